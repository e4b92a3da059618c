/** `podtrail serve` on a case for a spec of its own: its URL (with the token), and stopping it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO } from './paths';

export const CLI = join(REPO, 'bin', 'podtrail.js');

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
