import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The tool version written into every manifest row, report and case log: package.json's `version`. */
function findVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'podtrail' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0-unknown';
}

export const TOOL_VERSION = findVersion();
export const TOOL_NAME = 'PodTrail';
