/**
 * Keeping the work and the table at 1280×800 (issue 17 parts 4 and 5), in Debian's Chromium on a server of its own
 * (these tests write stars, notes and exports into the case, and stop the server at the end): the demo bundle plus
 * a small generated bundle with EKS audit logs.
 *
 * - star, tag and note the opened event and its session from the detail pane, star a row from the table; shown in
 *   the table's ★ column, kept in the case, each change in the custody log;
 * - the case report from the app: events and a whole session, examiner and case id, the notes, a readable chain;
 * - columns resized (remembered), hidden and shown again; ⚑ ★ time event stay in view when the table scrolls
 *   sideways; pod, node and I · P · N on screen at 1280×800;
 * - copy buttons on pod, node, service account and ARN;
 * - the Evidence panel's coverage per account and region, and audit files that do not read "new 0";
 * - the header's integrity indicator;
 * - a server that stops answering: one clear message and a Retry, never "Failed to fetch".
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test as base, type Page } from '@playwright/test';
import type { CoverageView, CustodyLog, EventPage, IntegrityView, TraceView } from '../../shared/api';
import type { NoteView } from '../../shared/notes';
import { checkGuards, guard, openEvent, waitForCase } from './app';
import { demoFacts, REPO } from './paths';
import { generatedCase, serveCase, stopServed, type Served } from './serve';

const demo = demoFacts();
const byTime = { column: 'eventTime', dir: 'asc' } as const;
let dir = '';
let server: Served | null = null;
let url = '';

interface App {
  page: Page;
  call<T>(name: string, input: unknown): Promise<T>;
}

const test = base.extend<{ app: App }>({
  app: async ({ page }, use) => {
    const guards = guard(page);
    await page.goto(url);
    await waitForCase(page);
    const { origin, searchParams } = new URL(url);
    const token = searchParams.get('token')!;
    const call = async <T,>(name: string, input: unknown): Promise<T> => {
      const res = await page.request.post(`${origin}/api/${name}`, { headers: { Authorization: `Bearer ${token}` }, data: input });
      const body = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } };
      if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
      return body.value as T;
    };
    await use({ page, call });
    await checkGuards(page, guards, [`${origin}/`, `blob:${origin}/`, 'data:']);
  },
});

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podtrail-ui-workflow-'));
  const db = generatedCase(dir, ['--events', '600', '--seed', '4242', '--k8s'], [join(REPO, 'demo', 'bundle')]);
  server = await serveCase(db);
  url = server.url;
});

test.afterAll(async () => {
  await stopServed(server);
  rmSync(dir, { recursive: true, force: true });
});

const row = (page: Page, eventID: string) => page.locator(`[data-testid="event-row"][data-event-id="${eventID}"]`);

/** Remove every active annotation (each test starts from none; removal is logged like any change). */
async function clearNotes(app: App): Promise<void> {
  for (const n of await app.call<NoteView[]>('notes.list', {})) await app.call('notes.remove', { id: n.id });
}

for (const viewport of [{ width: 1280, height: 800 }, { width: 1440, height: 900 }]) {
  test.describe(`at ${viewport.width}×${viewport.height}`, () => {
    test.use({ viewport });

    test('stars, tags and notes from the detail pane and the table, kept in the case and the custody log', async ({ app }) => {
      const { page } = app;
      // Cleared behind the page's back (it was loaded first): the window's notes are stale, as when the CLI or
      // another window changed the case; starring must still star.
      await clearNotes(app);
      const before = (await app.call<CustodyLog>('custody.log', {})).entries.length;
      const id = demo.attack.getSecretValueEventID;
      await openEvent(page, id);
      const panel = page.getByTestId('notes-panel');
      await panel.scrollIntoViewIfNeeded();
      await expect(panel.getByTestId('note-target-event')).toHaveAttribute('aria-checked', 'true');

      // Star the event: the detail pane and the row's ★ say so.
      await panel.getByTestId('note-star').click();
      await expect(panel.getByTestId('note-star')).toHaveAttribute('aria-pressed', 'true');
      await expect(row(page, id).getByTestId('row-star')).toHaveAttribute('aria-pressed', 'true');

      // A note on the event; a tag on its session.
      await panel.getByTestId('note-text').fill('secret read with the stolen token\nfrom 185.220.103.220');
      await panel.getByTestId('note-add').click();
      await expect(panel.getByTestId('note-item').filter({ hasText: 'secret read with the stolen token' })).toBeVisible();
      await expect(row(page, id).getByTestId('row-marks')).toHaveAttribute('data-notes', '1');
      await panel.getByTestId('note-target-session').click();
      await expect(panel.getByTestId('note-target-session')).toHaveAttribute('aria-checked', 'true');
      await panel.getByTestId('note-tag-input').fill('two words');
      await expect(panel.getByTestId('note-tag-add')).toBeDisabled();
      await panel.getByTestId('note-tag-input').fill('incident-9');
      await panel.getByTestId('note-tag-input').press('Enter');
      await expect(panel.getByTestId('note-tag')).toHaveText(['incident-9']);
      await expect(row(page, id).getByTestId('row-marks')).toHaveAttribute('data-tags', 'session:incident-9');
      await page.screenshot({ path: `test-results/ui/notes-${viewport.width}.png` });

      // Star another row from the table itself, without opening it.
      const other = await page.getByTestId('event-row').nth(2).getAttribute('data-event-id');
      expect(other).not.toBe(id);
      await row(page, other!).getByTestId('row-star').click();
      await expect(row(page, other!).getByTestId('row-star')).toHaveAttribute('aria-pressed', 'true');
      await expect(page.getByTestId('detail-pane')).toContainText(id); // the click did not open the row

      // From a row's menu: the note field of that event, ready to type into.
      const third = (await page.getByTestId('event-row').nth(4).getAttribute('data-event-id'))!;
      await row(page, third).click({ button: 'right' });
      await page.getByTestId('row-menu-note').click();
      await expect(page.getByTestId('detail-pane')).toContainText(third);
      await expect(page.getByTestId('note-text')).toBeFocused();
      await page.keyboard.type('looked at from the row menu');
      await page.getByTestId('note-add').click();
      await expect(row(page, third).getByTestId('row-marks')).toHaveAttribute('data-notes', '1');
      await app.call('notes.remove', { id: (await app.call<NoteView[]>('notes.list', { targets: [{ kind: 'event', value: third }] }))[0]!.id });
      await openEvent(page, id);

      // In the case, as shown; each change a custody entry.
      const notes = await app.call<NoteView[]>('notes.list', {});
      expect(notes.map((n) => [n.target.kind, n.target.value, n.kind, n.text])).toEqual([
        ['event', id, 'star', ''],
        ['event', id, 'note', 'secret read with the stolen token\nfrom 185.220.103.220'],
        ['session', demo.attack.accessKeyId, 'tag', 'incident-9'],
        ['event', other, 'star', ''],
      ]);
      const log = await app.call<CustodyLog>('custody.log', {});
      expect(log.check.ok).toBe(true);
      expect(log.entries.slice(before).filter((e) => e.details.target && (e.details.target as { value: string }).value !== third).map((e) => [e.action, e.details.op, e.details.id])).toEqual(
        notes.map((n) => ['annotate', 'add', n.id]),
      );

      // Remove the note from the pane: gone from the pane and the row, logged.
      await panel.getByTestId('note-target-event').click();
      await panel.getByTestId('note-item').filter({ hasText: 'secret read' }).getByTestId('note-remove').click();
      await expect(panel.getByTestId('note-item').filter({ hasText: 'secret read' })).toHaveCount(0);
      await expect(row(page, id).getByTestId('row-marks')).toHaveAttribute('data-notes', '0');
      expect((await app.call<CustodyLog>('custody.log', {})).entries.at(-1)).toMatchObject({ action: 'annotate', details: { op: 'remove', kind: 'note' } });
    });

    test('the case report from the app: starred events and a whole session, examiner and case id, the notes', async ({ app }) => {
      const { page } = app;
      await clearNotes(app);
      const id = demo.attack.getSecretValueEventID;
      await app.call('notes.add', { target: { kind: 'event', value: demo.attack.exchangeEventID }, kind: 'star', text: '' });
      await app.call('notes.add', { target: { kind: 'event', value: id }, kind: 'note', text: 'the secret <b>read</b>' });
      await page.reload();
      await waitForCase(page);
      await openEvent(page, id);
      await page.getByTestId('export-report').click();
      await page.getByTestId('export-case-report').click();
      const dialog = page.getByTestId('case-report-dialog');
      await expect(dialog).toBeVisible();
      const box = await dialog.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= viewport.width && box.y + box.height <= viewport.height, 'the dialog is on screen').toBe(true);
      // The selected event and the starred one are offered and checked; the session is offered.
      await expect(dialog.locator(`[data-testid="case-report-event"][data-value="${id}"]`)).toBeChecked();
      await expect(dialog.locator(`[data-testid="case-report-event"][data-value="${demo.attack.exchangeEventID}"]`)).toBeChecked();
      const key = dialog.locator(`[data-testid="case-report-key"][data-value="${demo.attack.accessKeyId}"]`);
      await key.check();
      await dialog.getByTestId('case-report-examiner').fill('Dana Examiner');
      await dialog.getByTestId('case-report-case-id').fill('IR-2026-0317');
      await page.screenshot({ path: `test-results/ui/case-report-dialog-${viewport.width}.png` });
      const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByTestId('case-report-html').click()]);
      expect(download.suggestedFilename()).toBe('podtrail-case-report-IR-2026-0317.html');
      const html = readFileSync(await download.path(), 'utf8');
      expect(html).toContain('<strong>IR-2026-0317</strong>');
      expect(html).toContain('<strong>Dana Examiner</strong>');
      expect(html).toContain('the secret &lt;b&gt;read&lt;/b&gt;');
      expect(html).toMatch(/<svg [^>]*class="chain" width="640"/);
      const session = await app.call<EventPage>('events.query', { filters: { accessKeyId: demo.attack.accessKeyId }, sort: byTime, offset: 0, limit: 1000 });
      for (const r of session.rows) expect(html).toContain(r.eventID);
      expect(html).toContain('token-exchange-outside-cluster');
      await expect(dialog).toHaveCount(0);
      const last = (await app.call<CustodyLog>('custody.log', {})).entries.at(-1)!;
      expect(last).toMatchObject({ action: 'export', details: { scope: 'case report', caseId: 'IR-2026-0317', keys: [demo.attack.accessKeyId] } });
      expect(last.details.events).toEqual(expect.arrayContaining([id, demo.attack.exchangeEventID]));
    });

    test('columns: pod, node and I · P · N on screen; resized and remembered; hidden and shown; the first columns stay in view', async ({ app }) => {
      const { page } = app;
      await page.evaluate(() => window.localStorage.clear());
      await page.reload();
      await waitForCase(page);
      const scroller = page.getByTestId('event-table');
      const sbox = (await scroller.boundingBox())!;
      for (const col of ['pod', 'node', 'confidence', 'time', 'event']) {
        const b = (await page.getByTestId(`col-${col}`).boundingBox())!;
        expect(b.x >= sbox.x && b.x + b.width <= sbox.x + sbox.width, `${col} is on screen without scrolling`).toBe(true);
      }

      // Resize the event column by dragging its edge: wider, and still so after a reload.
      const head = page.getByTestId('col-event');
      const w0 = (await head.boundingBox())!.width;
      const handle = (await page.getByTestId('resize-event').boundingBox())!;
      await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
      await page.mouse.down();
      await page.mouse.move(handle.x + 80, handle.y + handle.height / 2, { steps: 5 });
      await page.mouse.up();
      const w1 = (await head.boundingBox())!.width;
      expect(Math.abs(w1 - (w0 + 80 - handle.width / 2))).toBeLessThan(6);
      const cell = page.locator('[data-testid="event-row"] [data-col="event"]').first();
      expect(Math.round((await cell.boundingBox())!.width)).toBe(Math.round(w1));
      await page.reload();
      await waitForCase(page);
      expect(Math.round((await page.getByTestId('col-event').boundingBox())!.width)).toBe(Math.round(w1));

      // Hide the source column, then reset.
      await page.getByTestId('columns-button').click();
      await page.getByTestId('column-toggle-source').uncheck();
      await expect(page.getByTestId('col-source')).toHaveCount(0);
      await expect(page.locator('[data-testid="event-row"] [data-col="source"]')).toHaveCount(0);
      await expect(page.getByTestId('column-toggle-time')).toBeDisabled();
      await page.getByTestId('columns-reset').click();
      await expect(page.getByTestId('col-source')).toBeVisible();
      expect(Math.round((await page.getByTestId('col-event').boundingBox())!.width)).toBe(Math.round(w0));

      // Scrolled to the far right: the key column is in view, and so are ⚑, ★, time and event.
      await scroller.evaluate((el) => (el.scrollLeft = el.scrollWidth));
      await expect(page.getByTestId('col-key')).toBeInViewport();
      for (const col of ['flags', 'marks', 'time', 'event']) {
        const b = (await page.getByTestId(`col-${col}`).boundingBox())!;
        expect(b.x >= sbox.x - 1 && b.x + b.width <= sbox.x + sbox.width, `${col} stays in view`).toBe(true);
      }
      // The rows' pinned cells cover what scrolled under them: at their place, the pinned cell is what the pointer hits.
      const covered = await page.evaluate(() =>
        ['flags', 'marks', 'time', 'event'].map((col) => {
          const cell = document.querySelector(`[data-testid="event-row"] [data-col="${col}"]`)!;
          const b = cell.getBoundingClientRect();
          return cell.contains(document.elementFromPoint(b.x + 3, b.y + b.height / 2)) && b.height >= 20;
        }),
      );
      expect(covered).toEqual([true, true, true, true]);
      await page.screenshot({ path: `test-results/ui/columns-scrolled-${viewport.width}.png` });
    });

    test('copy buttons on pod, node, service account and ARN', async ({ app, context }) => {
      const { page } = app;
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
      const pi = await app.call<EventPage>('events.query', { filters: { mechanism: 'pod-identity' }, sort: byTime, offset: 0, limit: 50 });
      const target = pi.rows.find((r) => r.pod && r.node && r.serviceAccount)!;
      expect(target, 'a Pod Identity event with pod and node').toBeDefined();
      const trace = await app.call<TraceView>('trace.get', { target: target.eventID });
      const a = trace.attribution!;
      await openEvent(page, target.eventID);
      const want: [string, string][] = [
        ['copy-pod', a.pod!.name],
        ['copy-node', a.node!.instanceId!],
        ['copy-serviceaccount', `${a.namespace}/${a.serviceAccount}`],
        ['copy-principal', a.principal!],
        ['copy-key', target.accessKeyId!],
      ];
      if (a.cluster?.arn) want.push(['copy-cluster-arn', a.cluster.arn]);
      for (const [testId, value] of want) {
        const b = page.getByTestId(testId);
        await b.scrollIntoViewIfNeeded();
        await b.click();
        await expect(b).toHaveText('copied');
        expect(await page.evaluate(() => navigator.clipboard.readText()), testId).toBe(value);
      }
      expect(want.some(([, v]) => v.startsWith('arn:aws:'))).toBe(true);
    });

    test('the Evidence panel summarises coverage per account and region; audit files do not read "new 0"', async ({ app }) => {
      const { page } = app;
      const cov = await app.call<CoverageView>('evidence.coverage', {});
      expect(cov.cloudtrail.length).toBeGreaterThan(1);
      expect(cov.kubernetes.auditEvents).toBeGreaterThan(0);
      await page.getByTestId('evidence-toggle').click();
      const panel = page.getByTestId('coverage');
      await expect(panel).toBeVisible();
      await expect(panel.getByTestId('coverage-row')).toHaveCount(cov.cloudtrail.length);
      for (const c of cov.cloudtrail) {
        const r = panel.locator(`[data-testid="coverage-row"][data-account="${c.account ?? ''}"][data-region="${c.region ?? ''}"]`);
        await expect(r).toContainText(c.events.toLocaleString('en-US'));
        await expect(r).toContainText(`${c.hoursWithEvents.toLocaleString('en-US')} of ${c.hoursSpanned.toLocaleString('en-US')}`);
      }
      // Every event of the case is in some account/region row.
      expect(cov.cloudtrail.reduce((n, c) => n + c.events, 0)).toBe((await app.call<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 1 })).total);
      await expect(panel.getByTestId('coverage-kubernetes')).toContainText(`${cov.kubernetes.auditEvents.toLocaleString('en-US')} audit`);
      // Audit files: their records are audit events, and "new" is not a zero.
      const audit = page.getByTestId('evidence-file').filter({ hasText: 'EKS audit logs' });
      expect(await audit.count()).toBeGreaterThan(0);
      for (const f of await audit.all()) {
        await expect(f.getByTestId('evidence-new')).toHaveText('n/a');
        await expect(f.getByTestId('evidence-records')).toContainText('audit events');
      }
      await page.getByTestId('coverage').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/ui/coverage-${viewport.width}.png` });
    });

    test('the header shows the evidence integrity, and opens the Integrity panel', async ({ app }) => {
      const { page } = app;
      const badge = page.getByTestId('integrity-badge');
      const before = await app.call<IntegrityView | null>('integrity.get', {});
      if (!before) {
        await expect(badge).toHaveAttribute('data-verdict', 'none');
        await expect(badge).toHaveText('not verified');
        await app.call('integrity.verify', {});
        await page.reload();
        await waitForCase(page);
      }
      const v = (await app.call<IntegrityView | null>('integrity.get', {}))!;
      await expect(badge).toHaveAttribute('data-verdict', v.result.verdict);
      await expect(badge).toContainText(v.result.headline.slice(0, 40));
      const b = (await badge.boundingBox())!;
      expect(b.x + b.width <= viewport.width, 'on screen').toBe(true);
      await badge.click();
      await expect(page.getByTestId('integrity-panel')).toBeVisible();
    });

    test('an engine that stops answering: a clear message and a Retry, never "Failed to fetch"', async ({ app }) => {
      const { page } = app;
      const rows = page.getByTestId('event-row');
      await page.route('**/api/**', (route) => route.abort('connectionrefused'));
      await rows.nth(3).click();
      const banner = page.getByTestId('offline-banner');
      await expect(banner).toBeVisible();
      await expect(banner).toContainText('not answering');
      await expect(page.locator('body')).not.toContainText('Failed to fetch');
      await page.getByTestId('offline-retry').click();
      await expect(page.getByTestId('offline-retries')).toContainText('after 1 retry');
      await page.unroute('**/api/**');
      await page.getByTestId('offline-retry').click();
      await expect(banner).toHaveCount(0);
      await expect(rows.first()).toBeVisible();
      await rows.nth(3).click();
      await expect(page.getByTestId('detail-pane')).toBeVisible();
    });
  });
}

test('the server really stopped: the message, not "Failed to fetch"', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(url);
  await waitForCase(page);
  const exited = new Promise((resolve) => server!.process.once('exit', resolve));
  server!.process.kill('SIGTERM');
  await exited;
  await page.getByTestId('event-row').nth(1).click();
  await expect(page.getByTestId('offline-banner')).toBeVisible();
  await expect(page.getByTestId('offline-message')).toContainText('podtrail serve');
  await expect(page.locator('body')).not.toContainText('Failed to fetch');
  await page.getByTestId('offline-retry').click();
  await expect(page.getByTestId('offline-retries')).toBeVisible();
  await page.screenshot({ path: 'test-results/ui/offline.png' });
});
