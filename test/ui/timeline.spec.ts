/**
 * The timeline above the table (Timeline.tsx), in Debian's Chromium on `podtrail serve` (global-setup.ts) on the
 * demo case, at 1280×800:
 *
 * - its total is the engine's for the filters shown, and the table's;
 * - while a newer count runs (held here at the network: on a case of millions of events the first count takes
 *   seconds) it says so and marks the bars of the earlier count as such, rather than giving the earlier filter's
 *   total as this one's; the new total replaces it when the count comes;
 * - a count that fails says so, and the next one recovers;
 * - dragging across it narrows the table to that time range, with the same total in both; *Whole case* undoes it.
 */
import { expect, test, type Page, type Route } from '@playwright/test';
import type { Histogram } from '../../shared/api';
import { openBrowserApp } from './app';

test.use({ viewport: { width: 1280, height: 800 } });

const status = (page: Page) => page.getByTestId('timeline-status');
const plot = (page: Page) => page.getByTestId('timeline');
/** "1,234 events" as the app writes a count (en-US grouping). */
const events = (n: number) => `${n.toLocaleString('en-US')} events`;

test('the timeline says what it counts: the engine\'s total, a count still running, a count that failed, a dragged range', async ({ page }) => {
  const app = await openBrowserApp(page);
  const totalOf = async (filters: object) =>
    (await app.call<Histogram>('events.histogram', { filters, buckets: 10 })).counts.reduce((a, b) => a + b, 0);
  const all = await totalOf({});
  expect(all).toBeGreaterThan(100);
  await expect(status(page)).toContainText(`${events(all)} over`);
  await expect(page.getByTestId('event-total')).toHaveText(events(all));
  await expect(plot(page)).toHaveAttribute('aria-busy', 'false');
  const bars = await plot(page).locator('rect.bar-rect').count();
  expect(bars).toBeGreaterThan(1);

  // A newer count held: the earlier bars stay, marked, and no total is given for the new filter until it comes.
  const held: Route[] = [];
  let hold = true;
  await page.route('**/api/events.histogram', (route) => void (hold ? held.push(route) : route.continue()));
  const word = 'GetSecretValue';
  const narrowed = await totalOf({ search: word });
  expect(narrowed).toBeGreaterThan(0);
  expect(narrowed).toBeLessThan(all);
  const search = page.getByTestId('event-search');
  await search.fill(word);
  await search.press('Enter');
  await expect(page.getByTestId('event-total')).toHaveText(events(narrowed));
  await expect(status(page)).toHaveText('Counting events… (the bars below are the previous count)');
  await expect(plot(page)).toHaveAttribute('aria-busy', 'true');
  await expect(plot(page)).toHaveClass(/\bstale\b/);
  await expect.poll(() => held.length).toBeGreaterThan(0);
  hold = false;
  for (const r of held.splice(0)) await r.continue();
  await page.unroute('**/api/events.histogram');
  await expect(status(page)).toContainText(`${events(narrowed)} over`);
  await expect(plot(page)).toHaveAttribute('aria-busy', 'false');
  await expect(plot(page)).not.toHaveClass(/\bstale\b/);

  // A count that fails: said, in place of a total; the next filter's count recovers.
  await page.route('**/api/events.histogram', (route) =>
    route.fulfill({ contentType: 'application/json', body: JSON.stringify({ ok: false, error: { code: 'internal', message: 'disk I/O error' } }) }),
  );
  await search.fill('');
  await search.press('Enter');
  await expect(status(page)).toHaveText('The timeline could not be counted: disk I/O error');
  await expect(page.getByRole('alert').filter({ hasText: 'disk I/O error' })).toBeVisible();
  await page.unroute('**/api/events.histogram');
  await search.fill(word);
  await search.press('Enter');
  await expect(status(page)).toContainText(`${events(narrowed)} over`);
  await search.fill('');
  await search.press('Enter');
  await expect(status(page)).toContainText(`${events(all)} over`);

  // A drag across the middle third: the table and the timeline count the same range, fewer than the whole case.
  const box = (await plot(page).boundingBox())!;
  await page.mouse.move(box.x + box.width / 3, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + 20, { steps: 5 });
  await page.mouse.move(box.x + (2 * box.width) / 3, box.y + 20, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('timeline-reset')).toBeVisible();
  await expect(status(page)).not.toContainText('Counting');
  const ranged = Number(((await page.getByTestId('event-total').textContent()) ?? '').replace(/\D/g, ''));
  expect(ranged).toBeGreaterThan(0);
  expect(ranged).toBeLessThan(all);
  await expect(status(page)).toContainText(`${events(ranged)} over`);
  await page.getByTestId('timeline-reset').click();
  await expect(page.getByTestId('event-total')).toHaveText(events(all));
  await expect(status(page)).toContainText(`${events(all)} over`);
  await app.done();
});
