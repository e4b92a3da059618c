/** Where the built renderer is, from source (`electron/server`) or from the build (`dist/electron/server`). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository (or packaged app) root: the nearest folder up from here whose package.json is PodTrail's. */
export function appRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'podtrail') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find PodTrail's package.json above ${from}`);
    dir = up;
  }
}

export function rendererDistDir(): string {
  return join(appRoot(), 'renderer', 'dist');
}
