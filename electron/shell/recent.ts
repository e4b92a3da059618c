/** Recently opened cases, most recent first, kept in `<userData>/recent.json`. Node only. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';

export const MAX_RECENT = 10;

export class RecentCases {
  constructor(private readonly file: string) {}

  /** The list as stored, dropping entries that are not absolute paths (a hand-edited or corrupt file). */
  list(): string[] {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { cases?: unknown };
      const cases = Array.isArray(parsed.cases) ? parsed.cases : [];
      return cases.filter((c): c is string => typeof c === 'string' && isAbsolute(c)).slice(0, MAX_RECENT);
    } catch {
      return [];
    }
  }

  /** The cases that still exist, most recent first. */
  existing(): string[] {
    return this.list().filter((c) => existsSync(c));
  }

  add(casePath: string): string[] {
    const cases = [casePath, ...this.list().filter((c) => c !== casePath)].slice(0, MAX_RECENT);
    this.write(cases);
    return cases;
  }

  clear(): void {
    this.write([]);
  }

  private write(cases: string[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ cases }, null, 2) + '\n');
    renameSync(tmp, this.file);
  }
}
