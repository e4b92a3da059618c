/**
 * On a generated bundle with EKS audit logs (its own case and server: the demo case has none):
 * - "Why not this pod?": an IRSA event whose session was narrowed to one pod lists the other pods of its service
 *   account alive at the exchange, each with the rule and the records that ruled it out — as `podtrail trace` does.
 * - The proof of each hop: a step of the chain (service account → pod, pod → node, a candidate pod, a Pod Identity
 *   node the audit binding proves) lists exactly the records `podtrail trace --format json` cites for its hops, each
 *   with its file, record index and SHA-256 and its raw text, under one confidence word.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { checkGuards, guard, openEvent, waitForCase } from './app';
import { checkStepEvidence } from './steps';
import { attributions, CLI, generatedCase, serveCase, stopServed, type Served } from './serve';
import type { AttributionRecord } from '../../shared/attribution';
import type { EvidenceRecordView, TraceView } from '../../shared/api';

let dir = '';
let server: Served | null = null;
let url = '';
let db = '';
let target: AttributionRecord;
let all: AttributionRecord[] = [];

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podtrail-ui-ruled-out-'));
  db = generatedCase(dir, ['--events', '2500', '--seed', '9003', '--k8s']);
  all = attributions(db);
  target = all.find((a) => a.mechanism === 'irsa' && a.confidence.pod === 'inferred' && (a.ruledOut?.length ?? 0) > 0)!;
  expect(target, 'an IRSA event with pods ruled out').toBeDefined();
  server = await serveCase(db);
  url = server.url;
});

test.afterAll(async () => {
  await stopServed(server);
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

/** What `podtrail trace --format json` cites for an event: its hops with their records. */
function traceJson(eventID: string): TraceView {
  const out = spawnSync(process.execPath, [CLI, 'trace', '--case', db, '--format', 'json', eventID], { encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as TraceView;
}

/**
 * Click a step in the Steps list and check its evidence: exactly `records` (in that order), each with every file,
 * record index and SHA-256 `trace` gives, and its raw text once opened; one confidence word, `confidence`.
 */
async function checkStep(page: Page, edgeId: string, records: EvidenceRecordView[], confidence: string): Promise<void> {
  const step = page.locator(`[data-testid="chain-edge"][data-edge="${edgeId}"]`);
  await expect(step, `step ${edgeId}`).toHaveCount(1);
  await step.click();
  await checkStepEvidence(page, edgeId, records, confidence);
}

for (const size of [
  { width: 1440, height: 900 },
  { width: 1280, height: 800 },
]) {
  test(`a step lists exactly the records trace cites: service account → pod and pod → node of an inferred IRSA pod (${size.width}×${size.height})`, async ({ page }) => {
    await page.setViewportSize(size);
    const ev = all.find((a) => a.mechanism === 'irsa' && a.confidence.pod === 'inferred' && a.confidence.node === 'inferred' && a.node?.instanceId && a.accessKeyId);
    expect(ev, 'an IRSA event narrowed to one pod, its node from the binding').toBeDefined();
    const t = traceJson(ev!.eventID);
    const podHop = t.hops.find((h) => h.rule === 'irsa-pod')!;
    const nodeHop = t.hops.find((h) => h.rule === 'pod-identity-binding')!;
    expect(podHop.confidence).toBe('inferred');
    // The audit records that place the pod: its creation, its binding, the kubelet's token, its status with the pod IP.
    const audit = podHop.records.filter((r) => r.kind === 'audit').map((r) => r.eventName ?? '');
    for (const what of [/^create pods /, /^create pods\/binding /, /^create serviceaccounts\/token /, /^patch pods\/status /]) {
      expect(audit.some((a) => what.test(a)), `${what}: ${audit.join(', ')}`).toBe(true);
    }
    expect(nodeHop.records.map((r) => r.eventName)).toEqual([expect.stringMatching(/^create pods\/binding /)]);

    const guards = guard(page);
    await page.goto(url);
    await waitForCase(page);
    await openEvent(page, ev!.eventID);
    await expect(page.getByTestId('attribution-pod')).toHaveText(ev!.pod!.name);
    await checkStep(page, 'sa->pod', podHop.records, podHop.confidence);
    await page.screenshot({ path: `test-results/ui/step-evidence-sa-pod-${size.width}.png` });
    await checkStep(page, `pod->node:${ev!.node!.instanceId}`, nodeHop.records, nodeHop.confidence);
    await checkGuards(page, guards, [`${new URL(url).origin}/`, `blob:${new URL(url).origin}/`, 'data:']);
  });
}

test('an ambiguous IRSA pod: each candidate step lists the records trace cites, the inventory too', async ({ page }) => {
  // One whose hop cites an inventory (kubectl get pods) besides the audit events.
  const ambiguous = all.filter((a) => a.mechanism === 'irsa' && a.confidence.pod === 'ambiguous' && a.candidates.length > 1).slice(0, 10);
  const found = ambiguous.map((a) => ({ ev: a, hop: traceJson(a.eventID).hops.find((h) => h.rule === 'irsa-pod')! })).find((x) => x.hop.records.some((r) => r.kind === 'document'));
  expect(found, 'an IRSA event left ambiguous between pods, its hop citing an inventory').toBeDefined();
  const { ev, hop: podHop } = found!;
  expect(podHop.confidence).toBe('ambiguous');
  const guards = guard(page);
  await page.goto(url);
  await waitForCase(page);
  await openEvent(page, ev.eventID);
  const pods = [...new Set(ev.candidates.map((c) => c.pod!.name))];
  for (const pod of pods.slice(0, 2)) await checkStep(page, `sa->pod:${pod}`, podHop.records, 'ambiguous');
  await expect(page.getByTestId('graph-selection').locator('[data-testid="step-evidence"][data-kind="document"]').first()).toBeVisible();
  await checkGuards(page, guards, [`${new URL(url).origin}/`, `blob:${new URL(url).origin}/`, 'data:']);
});

test('a Pod Identity node the audit binding proves: pod → node reads proven once and lists the binding first', async ({ page }) => {
  const ev = all.find((a) => a.mechanism === 'pod-identity' && a.confidence.node === 'proven' && a.node?.instanceId && !a.chained);
  expect(ev, 'a Pod Identity event whose node the binding proves').toBeDefined();
  const t = traceJson(ev!.eventID);
  const binding = t.hops.find((h) => h.rule === 'pod-identity-binding')!;
  expect(binding.confidence).toBe('proven');
  const timing = t.hops.filter((h) => h.rule === 'pod-identity-node');
  const guards = guard(page);
  await page.goto(url);
  await waitForCase(page);
  await openEvent(page, ev!.eventID);
  await checkStep(page, `pod->node:${ev!.node!.instanceId}`, [...binding.records, ...timing.flatMap((h) => h.records)], 'proven');
  const step = page.locator(`[data-testid="chain-edge"][data-edge="pod->node:${ev!.node!.instanceId}"]`);
  await expect(step).toHaveText(/node binding · proven$/);
  await checkGuards(page, guards, [`${new URL(url).origin}/`, `blob:${new URL(url).origin}/`, 'data:']);
});
