/**
 * A credential session as the unit of triage, and the export of the filtered table (issue 17 parts 2 and 4,
 * issue 13 part 3), in Debian's Chromium on `podtrail serve` (global-setup.ts) on the demo case, whose planted
 * attack is a stolen IRSA token exchanged from outside the cluster and then used (demo/demo.json).
 *
 * - the access key filter from the detail pane, the table's row menu and the graph, shown as a removable chip;
 * - the ⚑ of a row names its detections (tooltip and accessible label);
 * - the detection filter lists each detection with its count and severity, and one detection gives the whole
 *   incident (every call of the flagged session and of the role it assumed);
 * - the filtered table exported as Timesketch JSONL, CSV and JSON Lines: every event under the filters, every
 *   line parses, logged in the custody log;
 * at 1440×900 and at 1280×800.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test as base, type Page } from '@playwright/test';
import type { CaseSummary, CustodyLog, EventFilters, EventPage } from '../../shared/api';
import { FLAGS, type Flag } from '../../shared/attribution';
import { DETECTIONS } from '../../shared/detections';
import { openBrowserApp, openEvent } from './app';
import { demoFacts } from './paths';

const demo = demoFacts();
const byTime = { column: 'eventTime', dir: 'asc' } as const;

interface Triage {
  page: Page;
  call<T>(name: string, input: unknown): Promise<T>;
  /** Every event under the filters (through the API, for comparison). */
  all(filters: EventFilters): Promise<EventPage>;
}

const test = base.extend<{ t: Triage }>({
  t: async ({ page }, use) => {
    const app = await openBrowserApp(page);
    await use({ page, call: app.call, all: (filters) => app.call<EventPage>('events.query', { filters, sort: byTime, offset: 0, limit: 1000 }) });
    await app.done();
  },
});

const total = (page: Page) => page.getByTestId('event-total');
const chip = (page: Page) => page.getByTestId('filter-chip');

/** The key chip is shown, names the key, and the table holds exactly the key's events. */
async function expectKeyFilter(t: Triage, key: string): Promise<void> {
  const { page } = t;
  await expect(chip(t.page)).toBeVisible();
  await expect(chip(page)).toContainText(key);
  await expect(chip(page)).toHaveAttribute('data-filter', 'accessKeyId');
  const expected = await t.all({ accessKeyId: key });
  expect(expected.total).toBeGreaterThan(1);
  await expect(total(page)).toHaveText(`${expected.total.toLocaleString('en-US')} events`);
  const rows = page.getByTestId('event-row');
  await expect(rows).toHaveCount(expected.total);
  expect(new Set(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-event-id'))))).toEqual(new Set(expected.rows.map((r) => r.eventID)));
}

async function removeChip(t: Triage): Promise<void> {
  await t.page.getByTestId('filter-chip-remove').click();
  await expect(chip(t.page)).toHaveCount(0);
  await expect(total(t.page)).toHaveText(`${demo.caseEvents.toLocaleString('en-US')} events`);
}

/** Open the export menu and take one table export; the saved file's name and text. */
async function exportTable(page: Page, format: 'csv' | 'jsonl' | 'timesketch'): Promise<{ filename: string; text: string }> {
  await page.getByTestId('export-report').click();
  await expect(page.getByTestId('export-menu')).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-table-${format}`).click()]);
  return { filename: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
}

for (const viewport of [{ width: 1440, height: 900 }, { width: 1280, height: 800 }]) {
  test.describe(`at ${viewport.width}×${viewport.height}`, () => {
    test.use({ viewport });

    test('filters the table to one access key from the detail pane, shown as a removable chip', async ({ t }) => {
      const { page } = t;
      await openEvent(page, demo.attack.getSecretValueEventID);
      await expect(page.getByTestId('attribution-key')).toHaveText(demo.attack.accessKeyId);
      await page.getByTestId('pivot-key').click();
      await expectKeyFilter(t, demo.attack.accessKeyId);
      const box = await chip(page).boundingBox();
      expect(box && box.x + box.width <= viewport.width && box.y + box.height <= viewport.height, 'the chip is on screen').toBe(true);
      await page.screenshot({ path: `test-results/ui/key-chip-${viewport.width}.png` });
      await removeChip(t);
    });

    test('exports the filtered table as Timesketch JSONL: every line parses, one per filtered event, logged in custody', async ({ t }) => {
      const { page } = t;
      await page.getByTestId('filter-detection').selectOption('token-exchange-outside-cluster');
      const expected = await t.all({ flag: 'token-exchange-outside-cluster' });
      await expect(total(page)).toHaveText(`${expected.total} events`);
      await page.getByTestId('export-report').click();
      const menu = page.getByTestId('export-menu');
      await expect(page.getByTestId('export-table-head')).toContainText(`${expected.total} events`);
      const box = await menu.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= viewport.width && box.y + box.height <= viewport.height, 'the export menu is on screen').toBe(true);
      await page.screenshot({ path: `test-results/ui/export-menu-${viewport.width}.png` });
      await page.getByTestId('export-report').click(); // closed again: exportTable opens it
      const file = await exportTable(page, 'timesketch');
      expect(file.filename).toMatch(/^podtrail-events-\d{8}-\d{6}Z\.timesketch\.jsonl$/);
      expect(file.text.endsWith('\n')).toBe(true);
      const lines = file.text.slice(0, -1).split('\n');
      const events = lines.map((l) => JSON.parse(l) as { eventID: string; message: string; datetime: string; timestamp_desc: string; flags: string[] });
      expect(events).toHaveLength(expected.total);
      expect(events.map((e) => e.eventID)).toEqual(expected.rows.map((r) => r.eventID));
      for (const e of events) {
        expect(e.timestamp_desc).toBe('Event Time');
        expect(e.datetime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);
        expect(e.message.length).toBeGreaterThan(10);
        expect(e.flags).toContain('token-exchange-outside-cluster');
      }
      const log = await t.call<CustodyLog>('custody.log', {});
      expect(log.check.ok).toBe(true);
      const entry = log.entries.at(-1)!;
      expect(entry.action).toBe('export');
      expect(entry.details).toMatchObject({ scope: 'event table', format: 'timesketch', events: expected.total, destination: file.filename, filters: { flag: 'token-exchange-outside-cluster' } });
    });
  });
}

test('filters to a key from the table row menu and from the graph', async ({ t }) => {
  const { page } = t;
  await openEvent(page, demo.attack.getSecretValueEventID);
  const row = page.locator(`[data-testid="event-row"][data-event-id="${demo.attack.getSecretValueEventID}"]`);
  await row.click({ button: 'right' });
  const menu = page.getByTestId('row-menu');
  await expect(menu).toBeVisible();
  await expect(menu.getByTestId('row-menu-flag')).toContainText('token-exchange-outside-cluster (high)');
  await menu.getByTestId('row-menu-key').click();
  await expect(menu).toHaveCount(0);
  await expectKeyFilter(t, demo.attack.accessKeyId);
  await removeChip(t);

  // The graph: the step from the event to its session, then "Filter session" in the graph's toolbar.
  await openEvent(page, demo.attack.getSecretValueEventID);
  await expect(page.getByTestId('graph-filter-key')).toBeDisabled();
  await page.getByTestId('chain-edge').first().click();
  await expect(page.getByTestId('graph-filter-key')).toBeEnabled();
  await page.getByTestId('graph-filter-key').click();
  await expectKeyFilter(t, demo.attack.accessKeyId);
  await removeChip(t);
});

test('the ⚑ of a row names its detections, with their severity, in its tooltip and accessible label', async ({ t }) => {
  const { page } = t;
  await page.getByTestId('filter-detection').selectOption({ value: 'any' });
  const flagged = await t.all({ flag: 'any' });
  await expect(total(page)).toHaveText(`${flagged.total} events`);
  // ListSecrets of the stolen session: its first call of that API and the session's stolen token.
  const two = flagged.rows.find((r) => r.flags.length > 1)!;
  expect(two, 'an event with two detections in the demo case').toBeDefined();
  const mark = page.locator(`[data-testid="event-row"][data-event-id="${two.eventID}"] [data-testid="row-flag"]`);
  await mark.scrollIntoViewIfNeeded();
  for (const f of two.flags) {
    await expect(mark).toHaveAttribute('title', new RegExp(`${f} \\(${DETECTIONS[f].severity}\\)`));
    await expect(mark).toHaveAttribute('aria-label', new RegExp(`${f} \\(${DETECTIONS[f].severity}\\)`));
  }
  await expect(mark).toHaveAttribute('aria-label', /^2 detections: token-exchange-outside-cluster \(high\), first-seen-api \(medium\)$/);
  await expect(page.getByRole('img', { name: /^2 detections: / }).first()).toBeVisible();
  const one = page.locator(`[data-testid="event-row"][data-event-id="${demo.attack.exchangeEventID}"] [data-testid="row-flag"]`);
  await expect(one).toHaveAttribute('aria-label', 'detection: token-exchange-outside-cluster (high)');
  await expect(one).toHaveAttribute('data-severity', 'high');
  // Every row drawn carries the mark (the table draws the rows in view); every mark names its row's detections.
  const marks = await page.getByTestId('row-flag').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  expect(marks.length).toBe(await page.getByTestId('event-row').count());
  expect(marks.every((m) => /^(detection|\d detections): /.test(m) && FLAGS.some((f) => m.includes(f)))).toBe(true);
});

test('the detection filter lists each detection with its count and severity; one detection gives the whole incident', async ({ t }) => {
  const { page } = t;
  const summary = await t.call<CaseSummary>('case.summary', {});
  const select = page.getByTestId('filter-detection');
  const any = select.locator('option[value="any"]');
  await expect(any).toHaveText(`any flagged (${summary.flaggedEvents})`);
  for (const f of FLAGS) {
    const option = select.locator(`option[data-flag="${f}"]`);
    await expect(option).toHaveText(`${f} (${summary.byFlag[f] ?? 0})`);
    await expect(option).toHaveAttribute('data-severity', DETECTIONS[f].severity);
    // Grouped under its severity.
    expect(await option.evaluate((o) => (o.parentElement as HTMLOptGroupElement).label)).toBe(`${DETECTIONS[f].severity} severity`);
  }
  expect(await select.locator('optgroup').evaluateAll((g) => g.map((x) => (x as HTMLOptGroupElement).label))).toEqual(['high severity', 'medium severity']);

  // The exchange's detection reaches every call of the stolen session (and of the role it assumed).
  await select.selectOption('token-exchange-outside-cluster');
  const n = summary.byFlag['token-exchange-outside-cluster']!;
  await expect(total(page)).toHaveText(`${n} events`);
  const session = await t.all({ accessKeyId: demo.attack.accessKeyId });
  const flagged = await t.all({ accessKeyId: demo.attack.accessKeyId, flag: 'token-exchange-outside-cluster' });
  expect(flagged.total).toBe(session.total);
  const incident = await t.all({ flag: 'token-exchange-outside-cluster' });
  const ids = new Set(incident.rows.map((r) => r.eventID));
  for (const e of [demo.attack.exchangeEventID, ...session.rows.map((r) => r.eventID)]) expect(ids.has(e), e).toBe(true);
  await expect(page.locator(`[data-testid="event-row"][data-event-id="${demo.attack.exchangeEventID}"]`)).toBeVisible();
  // Each call says why: the same session as the exchange.
  await openEvent(page, demo.attack.getSecretValueEventID);
  const detection = page.getByTestId('detection').filter({ hasText: 'token-exchange-outside-cluster' });
  await expect(detection).toContainText(`same session as ${demo.attack.exchangeEventID}`);
  await expect(detection.getByTestId('severity')).toHaveText('high');
});

test('exports the filtered table as CSV and JSON Lines: the header once, one record per event', async ({ t }) => {
  const { page } = t;
  await openEvent(page, demo.attack.getSecretValueEventID);
  await page.getByTestId('pivot-key').click();
  const expected = await t.all({ accessKeyId: demo.attack.accessKeyId });
  await expect(total(page)).toHaveText(`${expected.total} events`);

  const jsonl = await exportTable(page, 'jsonl');
  expect(jsonl.filename).toMatch(/\.jsonl$/);
  const records = jsonl.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { eventID: string; accessKeyId: string; mechanism: string; flags: Flag[] });
  expect(records.map((r) => r.eventID)).toEqual(expected.rows.map((r) => r.eventID));
  expect(records.every((r) => r.accessKeyId === demo.attack.accessKeyId && r.mechanism === 'irsa')).toBe(true);

  const csv = await exportTable(page, 'csv');
  expect(csv.filename).toMatch(/\.csv$/);
  const lines = csv.text.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^eventID,eventTime,/);
  expect(lines[0]).toContain('flags');
  expect(lines).toHaveLength(expected.total + 1);
  for (const r of expected.rows) expect(csv.text).toContain(r.eventID);
});

test('exports the whole case, read in several chunks, into one file with one line per event', async ({ t }) => {
  const { page } = t;
  await expect(total(page)).toHaveText(`${demo.caseEvents.toLocaleString('en-US')} events`);
  const file = await exportTable(page, 'timesketch');
  const lines = file.text.trimEnd().split('\n');
  expect(lines).toHaveLength(demo.caseEvents); // more than one chunk (CHUNK_EVENTS, electron/engine/service/table-export.ts)
  const ids = lines.map((l) => (JSON.parse(l) as { eventID: string }).eventID);
  expect(new Set(ids).size).toBeGreaterThan(demo.caseEvents - 50); // conflicting records share an eventID
  const entry = (await t.call<CustodyLog>('custody.log', {})).entries.at(-1)!;
  expect(entry.details).toMatchObject({ scope: 'event table', format: 'timesketch', events: demo.caseEvents, filters: {} });
  expect(entry.details.bytes).toBe(Buffer.byteLength(file.text, 'utf8'));
  expect(entry.details.sha256).toBe(createHash('sha256').update(file.text, 'utf8').digest('hex'));
});
