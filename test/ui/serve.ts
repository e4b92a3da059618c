/** `podtrail serve` on a case for a spec of its own: its URL (with the token), and stopping it; the case built from a generated bundle. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AttributionRecord } from '../../shared/attribution';
import { REPO } from './paths';

export const CLI = join(REPO, 'bin', 'podtrail.js');

/**
 * A new case `case.db` in `dir`: a bundle generated into `dir/bundle` (test/generator/cli.js with `generator`, the
 * arguments after `--out`), ingested after the evidence in `first`. Its path.
 */
export function generatedCase(dir: string, generator: string[], first: string[] = []): string {
  const bundle = join(dir, 'bundle');
  const gen = spawnSync(process.execPath, [join(REPO, 'dist', 'test', 'generator', 'cli.js'), '--out', bundle, ...generator], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`the generator failed (${gen.status}): ${gen.stderr}`);
  const db = join(dir, 'case.db');
  const ingest = spawnSync(process.execPath, [CLI, 'ingest', ...first, bundle, '--case', db, '--quiet'], { encoding: 'utf8' });
  if (ingest.status !== 0) throw new Error(`ingest failed (${ingest.status}): ${ingest.stderr}`);
  return db;
}

/** `podtrail attribute --case db`: every event's attribution record. */
export function attributions(db: string): AttributionRecord[] {
  const out = spawnSync(process.execPath, [CLI, 'attribute', '--case', db], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`attribute failed (${out.status}): ${out.stderr}`);
  return out.stdout.trim().split('\n').map((l) => JSON.parse(l) as AttributionRecord);
}

export interface Served {
  url: string;
  process: ChildProcess;
}

export async function serveCase(db: string): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--case', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('podtrail serve printed no URL in 30 s')), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (/^http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
  return { url, process: child };
}

/** Stop the server (when it is still running) and wait for it to exit. */
export async function stopServed(served: Served | null): Promise<void> {
  const p = served?.process;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGTERM');
  await exited;
}
