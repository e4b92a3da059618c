/**
 * "Why not this pod?" in the detail pane: on a generated bundle with EKS audit logs, an IRSA event whose session
 * was narrowed to one pod lists the other pods of its service account alive at the exchange, each with the rule
 * and the records that ruled it out — the same list `podtrail trace` prints. Its own case and server (the demo
 * case has no audit logs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, test } from '@playwright/test';
import { checkGuards, guard, openEvent, waitForCase } from './app';
import { REPO } from './paths';
import type { AttributionRecord } from '../../shared/attribution';

const CLI = join(REPO, 'bin', 'podtrail.js');
let dir = '';
let server: ChildProcess | null = null;
let url = '';
let target: AttributionRecord;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podtrail-ui-ruled-out-'));
  const bundle = join(dir, 'bundle');
  const gen = spawnSync(process.execPath, [join(REPO, 'dist', 'test', 'generator', 'cli.js'), '--out', bundle, '--events', '2500', '--seed', '9003', '--k8s'], { encoding: 'utf8' });
  expect(gen.status, gen.stderr).toBe(0);
  const db = join(dir, 'case.db');
  expect(spawnSync(process.execPath, [CLI, 'ingest', bundle, '--case', db, '--quiet'], { encoding: 'utf8' }).status).toBe(0);
  const out = spawnSync(process.execPath, [CLI, 'attribute', '--case', db], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const all = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as AttributionRecord);
  target = all.find((a) => a.mechanism === 'irsa' && a.confidence.pod === 'inferred' && (a.ruledOut?.length ?? 0) > 0)!;
  expect(target, 'an IRSA event with pods ruled out').toBeDefined();
  server = spawn(process.execPath, [CLI, 'serve', '--case', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('podtrail serve printed no URL in 30 s')), 30_000);
    createInterface({ input: server!.stdout! }).on('line', (line) => {
      if (/^http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('the detail pane lists the pods ruled out, with the rule and the records', async ({ page }) => {
  const guards = guard(page);
  await page.goto(url);
  await waitForCase(page);
  await openEvent(page, target.eventID);
  await expect(page.getByTestId('attribution-pod')).toHaveText(target.pod!.name);
  const section = page.getByTestId('ruled-out');
  await expect(section).toBeVisible();
  for (const x of target.ruledOut!) {
    const row = section.getByTestId('ruled-out-pod').filter({ hasText: x.pod.name });
    await expect(row).toContainText(x.rule);
    for (const e of x.evidence.slice(0, 2)) await expect(row).toContainText(e);
  }
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/ui/ruled-out.png' });
  await checkGuards(page, guards, [`${new URL(url).origin}/`, `blob:${new URL(url).origin}/`, 'data:']);
});
