/**
 * Filtering the table by star and by tag (issue 17), at 1280×800 in Debian's Chromium on a server of its own (the
 * test writes stars and tags into its case): star two rows, the ★ filter keeps only them; tag two events from the
 * detail pane, clicking the tag keeps only them; each filter is a removable chip, and removing it brings every row
 * back. Under the ★ filter, a row unstarred leaves the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { NoteView } from '../../shared/notes';
import { checkGuards, guard, waitForCase } from './app';
import { generatedCase, serveCase, stopServed, type Served } from './serve';

let dir = '';
let server: Served | null = null;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podtrail-ui-note-filters-'));
  server = await serveCase(generatedCase(dir, ['--events', '600', '--seed', '4243', '--k8s']));
});

test.afterAll(async () => {
  await stopServed(server);
  rmSync(dir, { recursive: true, force: true });
});

const rows = (page: Page) => page.getByTestId('event-row');
const row = (page: Page, eventID: string) => page.locator(`[data-testid="event-row"][data-event-id="${eventID}"]`);
const chip = (page: Page, filter: string) => page.locator(`[data-testid="filter-chip"][data-filter="${filter}"]`);
const shownIDs = (page: Page) => rows(page).evaluateAll((els) => els.map((el) => el.getAttribute('data-event-id')).sort());

test('★ and tag filters keep exactly the starred and tagged rows, each a removable chip (1280×800)', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const url = server!.url;
  const { origin, searchParams } = new URL(url);
  const call = async <T,>(name: string, input: unknown): Promise<T> => {
    const res = await page.request.post(`${origin}/api/${name}`, { headers: { Authorization: `Bearer ${searchParams.get('token')}` }, data: input });
    const body = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } };
    if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
    return body.value as T;
  };
  const guards = guard(page);
  await page.goto(url);
  await waitForCase(page);
  expect(await call<NoteView[]>('notes.list', {})).toEqual([]);
  const allTotal = (await page.getByTestId('event-total').textContent())!;
  expect(allTotal).toMatch(/^[\d,]+ events$/);
  expect(Number(allTotal.replace(/\D/g, ''))).toBeGreaterThan(100);

  // Star two rows from the ★ column.
  const ids = await rows(page).evaluateAll((els) => els.map((el) => el.getAttribute('data-event-id')!));
  const starred = [ids[1]!, ids[4]!];
  for (const id of starred) {
    await row(page, id).getByTestId('row-star').click();
    await expect(row(page, id).getByTestId('row-star')).toHaveAttribute('aria-pressed', 'true');
  }
  // ★ in the filter bar: only those rows, shown as a chip.
  await page.getByTestId('filter-starred').click();
  await expect(page.getByTestId('filter-starred')).toHaveAttribute('aria-pressed', 'true');
  await expect(chip(page, 'starred')).toBeVisible();
  await expect(page.getByTestId('event-total')).toHaveText('2 events');
  await expect(rows(page)).toHaveCount(2);
  expect(await shownIDs(page)).toEqual([...starred].sort());
  for (const id of starred) await expect(row(page, id).getByTestId('row-star')).toHaveAttribute('aria-pressed', 'true');
  await page.screenshot({ path: 'test-results/ui/filter-starred-1280.png' });
  // Unstarred under the filter: the row leaves the table.
  await row(page, starred[1]!).getByTestId('row-star').click();
  await expect(page.getByTestId('event-total')).toHaveText('1 events');
  await expect.poll(() => shownIDs(page)).toEqual([starred[0]]);
  // The chip removed: every row back.
  await chip(page, 'starred').getByTestId('filter-chip-remove').click();
  await expect(chip(page, 'starred')).toHaveCount(0);
  await expect(page.getByTestId('filter-starred')).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByTestId('event-total')).toHaveText(allTotal);

  // Tag two events from the detail pane (and a third with another tag); clicking the tag filters the table to them.
  const tagged = [ids[2]!, ids[6]!];
  for (const [id, tag] of [[ids[3]!, 'benign'], [tagged[0]!, 'exfil-3'], [tagged[1]!, 'exfil-3']] as const) {
    await row(page, id).click();
    await expect(page.getByTestId('detail-pane')).toContainText(id);
    const panel = page.getByTestId('notes-panel');
    await expect(panel.getByTestId('note-target-event')).toHaveAttribute('aria-checked', 'true');
    await panel.getByTestId('note-tag-input').fill(tag);
    await panel.getByTestId('note-tag-input').press('Enter');
    await expect(panel.getByTestId('note-tag')).toHaveText([tag]);
  }
  expect((await call<NoteView[]>('notes.list', {})).filter((n) => n.kind === 'tag').map((n) => [n.target.value, n.text])).toEqual([
    [ids[3], 'benign'],
    [tagged[0], 'exfil-3'],
    [tagged[1], 'exfil-3'],
  ]);
  await page.getByTestId('notes-panel').getByTestId('note-tag').filter({ hasText: 'exfil-3' }).click();
  await expect(chip(page, 'tag')).toContainText('exfil-3');
  await expect(page.getByTestId('filter-tag')).toHaveValue('exfil-3');
  await expect(page.getByTestId('event-total')).toHaveText('2 events');
  expect(await shownIDs(page)).toEqual([...tagged].sort());
  for (const id of tagged) await expect(row(page, id).getByTestId('row-marks')).toHaveAttribute('data-tags', 'exfil-3');
  await page.screenshot({ path: 'test-results/ui/filter-tag-1280.png' });
  // The filter bar's tag list offers every tag of the case.
  await expect(page.getByTestId('filter-tag').locator('option')).toHaveText(['any', 'benign', 'exfil-3']);
  await page.getByTestId('filter-tag').selectOption('benign');
  await expect(chip(page, 'tag')).toContainText('benign');
  // The chip shows at once; the table's rows follow when the page is read again (CI once read them before).
  await expect(page.getByTestId('event-total')).toHaveText('1 events');
  await expect.poll(() => shownIDs(page)).toEqual([ids[3]]);
  await chip(page, 'tag').getByTestId('filter-chip-remove').click();
  await expect(chip(page, 'tag')).toHaveCount(0);
  await expect(page.getByTestId('event-total')).toHaveText(allTotal);
  await expect(rows(page).first()).toBeVisible();
  await checkGuards(page, guards, [`${origin}/`, `blob:${origin}/`, 'data:']);
});
