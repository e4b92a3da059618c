/**
 * Before the UI tests: a fresh copy of the demo case in a temp dir of its own, and `podtrail serve` on it. The
 * tokened URL reaches the tests through the environment (PODTRAIL_UI_URL); the teardown stops the server (SIGTERM,
 * its clean shutdown) and removes the temp dir.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO } from './paths';

export default async function globalSetup(): Promise<() => Promise<void>> {
  for (const [file, why] of [
    ['dist/electron/cli/main.js', 'the CLI is not built'],
    ['renderer/dist/index.html', 'the renderer is not built'],
    ['demo/bundle', 'the demo bundle is missing (node demo/make-demo.mjs)'],
  ] as const) {
    if (!existsSync(join(REPO, file))) throw new Error(`${why}: ${file} missing — run \`npm run build\` first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'podtrail-ui-'));
  const casePath = join(dir, 'demo.db');
  const cli = join(REPO, 'bin', 'podtrail.js');
  const ingest = spawnSync(process.execPath, [cli, 'ingest', join(REPO, 'demo', 'bundle'), '--case', casePath, '--quiet'], { encoding: 'utf8' });
  if (ingest.status !== 0) throw new Error(`ingest of the demo bundle failed (${ingest.status}): ${ingest.stderr}`);

  const server = spawn(process.execPath, [cli, 'serve', '--case', casePath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`podtrail serve printed no URL in 30 s: ${stderr}`)), 30_000);
    server.once('exit', (code) => reject(new Error(`podtrail serve exited (${code}): ${stderr}`)));
    createInterface({ input: server.stdout }).on('line', (line) => {
      if (/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+$/.test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
  process.env.PODTRAIL_UI_URL = url;
  process.env.PODTRAIL_UI_CASE = casePath;
  process.env.PODTRAIL_UI_DIR = dir;

  return async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
