/**
 * The detail pane's People section (issue 15), at 1280×800 in Debian's Chromium, on a generated bundle with EKS
 * audit logs, kubectl users, CI deploys and a planted exec attack (generator option `k8sActors`; a case and server of
 * its own). Checked against `podtrail attribute` and the evidence files themselves:
 *
 * - a call made from inside a pod someone exec'd into: the section names the actor with its confidence word (never
 *   "proven") and why, and lists the actions on the pod with the right person and time;
 * - an action opens to its audit record: the record as the evidence file holds it, with the file, the record index
 *   and the file's SHA-256;
 * - "their calls" sets the 'who' chip and leaves exactly the events whose attribution names that person;
 * - the Person tab it opens lists that person's AWS events (exactly those) and Kubernetes requests (their actions on
 *   pods and others, list pods…) in one timeline, in time order; a Kubernetes entry opens to its audit record with
 *   its file's SHA-256, an AWS entry selects its event in the table and opens it in the Event tab;
 * - an event of a pod nobody touched shows no one.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator } from '@playwright/test';
import type { AttributionRecord } from '../../shared/attribution';
import { checkGuards, guard, openEvent, waitForCase } from './app';
import { attributions, generatedCase, serveCase, stopServed, type Served } from './serve';
import { auditRecordInFile } from '../helpers/audit-files';

let dir = '';
let server: Served | null = null;
let all: AttributionRecord[] = [];

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podtrail-ui-people-'));
  const db = generatedCase(dir, ['--events', '2500', '--seed', '7201', '--hours', '6', '--k8s-actors']);
  all = attributions(db);
  server = await serveCase(db);
});

test.afterAll(async () => {
  await stopServed(server);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Open an audit record (an action's in the People section, a Kubernetes entry's in the Person tab): the record as the
 * evidence file holds it, at each file and record index shown, with each file's SHA-256. Answers the record shown.
 */
async function openAuditRecord(record: Locator, auditID: string): Promise<{ auditID: string; verb: string; objectRef: { subresource?: string } }> {
  await record.locator('summary').click();
  const raw = record.getByTestId('audit-record-raw');
  await expect(raw).toContainText(auditID);
  const sources = record.getByTestId('evidence-source');
  expect(await sources.count()).toBeGreaterThan(0);
  const shownRecord = JSON.parse((await raw.textContent())!) as { auditID: string; verb: string; objectRef: { subresource?: string } };
  expect(shownRecord.auditID).toBe(auditID);
  for (let j = 0; j < (await sources.count()); j++) {
    const path = (await sources.nth(j).getByTestId('evidence-path').textContent())!;
    const index = Number((await sources.nth(j).getByTestId('evidence-index').textContent())!.replace('record #', ''));
    expect(JSON.parse(auditRecordInFile(path, index)), `${path} #${index}`).toEqual(shownRecord);
    await expect(sources.nth(j).getByTestId('evidence-sha256')).toHaveText(createHash('sha256').update(readFileSync(path)).digest('hex'));
  }
  return shownRecord;
}

/** `2026-03-02T01:18:30.863Z` as the pane shows it. */
const shownTime = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');

test('the People section: the actor, the actions with their audit records, their calls and their timeline; no one on an untouched pod (1280×800)', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  // A call made from inside a pod during someone's exec session, whose exec is listed on the pod.
  const ev = all.find((a) => a.actor && (a.podActors ?? []).some((p) => p.action === 'exec' && p.auditID === a.actor!.auditID));
  expect(ev, 'a call attributed to a person exec’d into its pod').toBeDefined();
  const actor = ev!.actor!;
  const actions = ev!.podActors!;
  const url = server!.url;
  const origin = new URL(url).origin;
  const guards = guard(page);
  await page.goto(url);
  await waitForCase(page);
  await openEvent(page, ev!.eventID);

  const section = page.getByTestId('pod-actors');
  await expect(section).toBeVisible();
  // The actor: its person, one confidence word (never proven) and why.
  const who = section.getByTestId('event-actor');
  await expect(who).toContainText(`Actor: ${actor.principal}`);
  expect(['inferred', 'ambiguous']).toContain(actor.confidence);
  await expect(who.locator('.conf')).toHaveAttribute('data-confidence', actor.confidence);
  await expect(who.locator('.conf')).toHaveText(actor.confidence);
  await expect(who).not.toContainText('proven');
  await expect(who.getByTestId('event-actor-why')).toHaveText(actor.why);

  // Each action on the pod, in order, with its person and time.
  const items = section.getByTestId('pod-actor');
  await expect(items).toHaveCount(actions.length);
  for (let i = 0; i < actions.length; i++) {
    const p = actions[i]!;
    const item = items.nth(i);
    await expect(item).toHaveAttribute('data-action', p.action);
    await expect(item).toHaveAttribute('data-audit-id', p.auditID);
    await expect(item).toContainText(shownTime(p.time));
    await expect(item.getByTestId('pod-actor-principal')).toHaveText(p.principal ?? '—');
    await expect(item.locator('.conf')).toHaveAttribute('data-confidence', p.confidence);
  }

  // The exec opens to its audit record: as the evidence file holds it, with the file, record index and SHA-256.
  const exec = section.locator(`[data-testid="pod-actor"][data-action="exec"][data-audit-id="${actor.auditID}"]`);
  await expect(exec.getByTestId('pod-actor-principal')).toHaveText(actor.principal);
  const shownRecord = await openAuditRecord(exec.getByTestId('audit-record'), actor.auditID);
  expect(shownRecord.objectRef.subresource).toBe('exec');
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/ui/people-1280.png' });

  // "their calls": the 'who' chip, and exactly the events whose attribution names that person.
  const theirs = new Set(all.filter((a) => a.principal === actor.principal || a.actor?.principal === actor.principal).map((a) => a.eventID));
  expect(theirs.size).toBeGreaterThan(1);
  expect(theirs.size).toBeLessThan(60);
  await exec.getByTestId('pivot-principal').click();
  const chip = page.locator('[data-testid="filter-chip"][data-filter="principal"]');
  await expect(chip).toContainText(actor.principal);
  await expect(page.getByTestId('event-total')).toHaveText(`${theirs.size} events`);
  const rows = page.getByTestId('event-row');
  await expect(rows).toHaveCount(theirs.size);
  const shown = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-event-id')!));
  expect(new Set(shown)).toEqual(theirs);

  // The Person tab (the reverse pivot): the same person's AWS events and Kubernetes requests, in one timeline.
  await expect(page.getByTestId('detail-tab-person')).toHaveAttribute('aria-selected', 'true');
  const panel = page.getByTestId('person-panel');
  await expect(panel).toBeVisible();
  await expect(panel).toHaveAttribute('data-principal', actor.principal);
  await expect(panel.getByTestId('person-who')).toHaveText(actor.principal);
  const entries = panel.getByTestId('person-entry');
  await expect(entries.first()).toBeVisible();
  const listed = await entries.evaluateAll((els) => els.map((el) => ({ kind: el.getAttribute('data-kind')!, id: el.getAttribute('data-id')!, ms: Number(el.getAttribute('data-ms')), text: el.textContent ?? '' })));
  // Their AWS events: exactly the events the 'who' filter leaves, each at its eventTime.
  const awsListed = listed.filter((e) => e.kind === 'aws');
  expect(new Set(awsListed.map((e) => e.id))).toEqual(theirs);
  const byId = new Map(all.map((a) => [a.eventID, a]));
  for (const e of awsListed) {
    expect(e.ms, e.id).toBe(Date.parse(byId.get(e.id)!.eventTime));
    expect(e.text, e.id).toContain(shownTime(byId.get(e.id)!.eventTime));
  }
  // Their Kubernetes requests: every action of theirs on a pod (the exec included), and others (list pods…).
  const k8sListed = listed.filter((e) => e.kind === 'kubernetes');
  const theirActions = new Set(all.flatMap((a) => a.podActors ?? []).filter((p) => p.principal === actor.principal).map((p) => p.auditID));
  expect(theirActions.has(actor.auditID)).toBe(true);
  for (const id of theirActions) expect(k8sListed.map((e) => e.id), id).toContain(id);
  expect(k8sListed.some((e) => !theirActions.has(e.id) && / list pods /.test(e.text)), 'a request that is no action on a pod').toBe(true);
  // One timeline: in time order, the two kinds interleaved.
  for (let i = 1; i < listed.length; i++) expect(listed[i]!.ms, `${listed[i - 1]!.id} then ${listed[i]!.id}`).toBeGreaterThanOrEqual(listed[i - 1]!.ms);
  const firstK8s = listed.findIndex((e) => e.kind === 'kubernetes');
  expect(listed.slice(firstK8s).some((e) => e.kind === 'aws'), 'an AWS event after a Kubernetes request').toBe(true);
  await expect(panel.getByTestId('person-count')).toHaveText(`${awsListed.length} AWS events and ${k8sListed.length} Kubernetes requests, in time order`);
  // A Kubernetes entry opens to its audit record, as the evidence file holds it, with its file's SHA-256.
  const execEntry = panel.locator(`[data-testid="person-entry"][data-kind="kubernetes"][data-id="${actor.auditID}"]`);
  await execEntry.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/ui/person-1280.png' });
  await expect(execEntry.getByTestId('person-entry-what')).toHaveText(/^exec /);
  expect(await openAuditRecord(execEntry.getByTestId('audit-record'), actor.auditID)).toEqual(shownRecord);

  // An AWS entry opens its event: its row selected in the table, its detail in the Event tab.
  const other = awsListed.find((e) => e.id !== ev!.eventID)!;
  await panel.locator(`[data-testid="person-entry"][data-kind="aws"][data-id="${other.id}"]`).getByTestId('person-entry-open').click();
  await expect(page.locator(`[data-testid="event-row"][data-event-id="${other.id}"]`)).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('detail-tab-event')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('detail-pane')).toBeVisible();
  await expect(page.getByTestId('detail-pane')).toContainText(other.id);
  await expect(chip).toContainText(actor.principal);
  await page.getByTestId('detail-tab-person').click();
  await expect(panel.locator(`[data-testid="person-entry"][data-id="${other.id}"]`)).toHaveClass(/opened/);

  await chip.getByTestId('filter-chip-remove').click();
  await expect(page.getByTestId('event-total')).toHaveText(`${all.length.toLocaleString('en-US')} events`);
  await expect(page.getByTestId('person-panel')).toHaveCount(0);
  await expect(page.getByTestId('detail-tab-person')).toHaveCount(0);

  // An event of a pod nobody acted on: no one in the pane.
  const untouched = all.find((a) => a.pod && a.confidence.pod === 'proven' && (a.podActors ?? []).length === 0 && !a.actor);
  expect(untouched, 'an event of a pod nobody touched').toBeDefined();
  await openEvent(page, untouched!.eventID);
  await expect(page.getByTestId('attribution-pod')).toHaveText(untouched!.pod!.name);
  await expect(page.getByTestId('pod-actors')).toHaveCount(0);
  await expect(page.getByTestId('event-actor')).toHaveCount(0);
  await checkGuards(page, guards, [`${origin}/`, `blob:${origin}/`, 'data:']);
});
