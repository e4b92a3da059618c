/**
 * Vitest global setup: every test's temporary files go under one directory of this run, removed when the run ends.
 * Tests make their cases and bundles with `mkdtempSync(join(tmpdir(), …))` and many leave them (~5,400 directories,
 * ~15 GB, after a day of runs here); `os.tmpdir()` reads TMPDIR, which the test processes (and the
 * CLI processes they start, and SQLite's temporary files) inherit from this one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const before = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'podtrail-tests-'));
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(root, { recursive: true, force: true });
  };
}
