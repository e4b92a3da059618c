/**
 * The event table at 1280×800 and larger (issue 17 part 5), in Debian's Chromium on `podtrail serve`
 * (global-setup.ts) on the demo case:
 *
 * - the source IP column sorts as addresses (3.44.x before 3.209.x, 10.0.7.x before 10.0.19.x; IPv4, then IPv6,
 *   then service names and other text), in the engine;
 * - Escape in the search box leaves the field and keeps the query;
 * - a cell cut off by its column carries its full value as a tooltip (title);
 * - a search that matches nothing says so, and the note of an earlier jump ("event at row …") is gone.
 */
import { expect, test as base, type Page } from '@playwright/test';
import type { EventPage, EventQuery, EventRowView } from '../../shared/api';
import { openBrowserApp, openEvent } from './app';
import { demoFacts } from './paths';

const demo = demoFacts();

interface Table {
  page: Page;
  call<T>(name: string, input: unknown): Promise<T>;
}

const test = base.extend<{ t: Table }>({
  t: async ({ page }, use) => {
    const app = await openBrowserApp(page);
    await use({ page, call: app.call });
    await app.done();
  },
});

const total = (page: Page) => page.getByTestId('event-total');
const search = (page: Page) => page.getByTestId('event-search');

/** Every row of the case in one sort, through the API, page by page. */
async function allRows(t: Table, sort: EventQuery['sort']): Promise<EventRowView[]> {
  const rows: EventRowView[] = [];
  for (let offset = 0; ; offset += 1000) {
    const p = await t.call<EventPage>('events.query', { filters: {}, sort, offset, limit: 1000 });
    rows.push(...p.rows);
    if (rows.length >= p.total || p.rows.length === 0) return rows;
  }
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
/** 0 IPv4, 1 IPv6, 2 anything else (a service name, junk), 3 none. */
const family = (ip: string | null) => (ip === null ? 3 : V4.test(ip) ? 0 : ip.includes(':') ? 1 : 2);
const v4Number = (ip: string) => V4.exec(ip)!.slice(1).reduce((n, o) => n * 256 + Number(o), 0);

for (const viewport of [{ width: 1440, height: 900 }, { width: 1280, height: 800 }]) {
  test.describe(`at ${viewport.width}×${viewport.height}`, () => {
    test.use({ viewport });

    test('sorts the source IP column as addresses, not text', async ({ t }) => {
      const { page } = t;
      const header = page.getByTestId('col-sourceIp');
      await header.scrollIntoViewIfNeeded();
      await header.click();
      await expect(header).toHaveAttribute('aria-sort', 'ascending');

      // The engine's order: families in turn; IPv4 by number; IPv6 by text.
      const rows = await allRows(t, { column: 'sourceIp', dir: 'asc' });
      expect(rows).toHaveLength(demo.caseEvents);
      const ips = rows.map((r) => r.sourceIp);
      for (let i = 1; i < ips.length; i++) {
        const [a, b] = [ips[i - 1]!, ips[i]!];
        expect(family(a) <= family(b), `${a} before ${b}`).toBe(true);
        if (family(a) === 0 && family(b) === 0) expect(v4Number(a) <= v4Number(b), `${a} before ${b}`).toBe(true);
        if (family(a) === 1 && family(b) === 1) expect(a <= b, `${a} before ${b}`).toBe(true);
      }
      // Where text order would be wrong: 3.44 < 3.209, 10.0.7 < 10.0.19, 10.0.19.58 < 10.0.19.127.
      const at = (prefix: string) => ips.findIndex((ip) => ip?.startsWith(prefix));
      for (const [lo, hi] of [['3.44.', '3.209.'], ['10.0.7.', '10.0.19.'], ['10.0.19.58', '10.0.19.127'], ['4.', '10.']] as const) {
        expect(at(lo), `${lo} is in the demo`).toBeGreaterThanOrEqual(0);
        expect(at(lo), `${lo}… before ${hi}…`).toBeLessThan(at(hi));
      }

      // The table shows that order.
      const shown = page.locator('[data-testid="event-row"] .td-sourceIp');
      await expect(shown.first()).toHaveText(ips[0]!);
      const n = Math.min(await shown.count(), 20);
      const onScreen = await shown.evaluateAll((els, k) => els.slice(0, k).map((e) => e.textContent), n);
      expect(onScreen).toEqual(ips.slice(0, n));
      expect(ips[0]).toMatch(/^3\.44\./);
    });

    test('Escape in the search box leaves the field and keeps the query', async ({ t }) => {
      const { page } = t;
      await search(page).fill('GetSecretValue');
      // A count, not the case's total and not "…" (the count while the filtered query is in flight).
      const all = `${demo.caseEvents.toLocaleString('en-US')} events`;
      await expect(total(page)).toHaveText(new RegExp(`^(?!${all}$)[\\d,]+ events$`));
      const filtered = await total(page).textContent();
      expect(filtered).toMatch(/^[\d,]+ events$/);
      await search(page).press('Escape');
      await expect(search(page)).toHaveValue('GetSecretValue');
      await expect(search(page)).not.toBeFocused();
      await page.waitForTimeout(400); // past the search box's debounce
      await expect(search(page)).toHaveValue('GetSecretValue');
      await expect(total(page)).toHaveText(filtered!);
      await expect(page.getByTestId('event-row').first()).toContainText('GetSecretValue');
    });

    test('a cell cut off by its column shows its full value as a tooltip', async ({ t }) => {
      const { page } = t;
      // Text cells, with their full value in the title whether cut or not.
      const cells = page.locator('[data-testid="event-row"] [role="cell"][data-col]');
      await expect(page.locator('[data-testid="event-row"] [data-col="event"]').first()).toBeVisible();
      const info = await cells.evaluateAll((els) =>
        els.map((e) => ({ col: e.getAttribute('data-col')!, text: (e.textContent ?? '').trim(), title: e.getAttribute('title'), cut: e.scrollWidth > e.clientWidth + 1 })),
      );
      const textCols = new Set(['event', 'source', 'account', 'region', 'sourceIp', 'error', 'mechanism', 'cluster', 'nsSa', 'pod', 'node']);
      const cut = info.filter((c) => c.cut && textCols.has(c.col));
      expect(cut.length, 'some cells are cut off in the demo').toBeGreaterThan(0);
      for (const c of cut) {
        expect(c.title, `${c.col} "${c.text}" has a tooltip`).toBeTruthy();
        expect(c.title!.length, `${c.col}: the tooltip is the full value`).toBeGreaterThanOrEqual(c.text.length);
        expect(c.title, `${c.col}: the tooltip holds what the cell shows`).toContain(c.text);
      }
      // Every filled text cell has one (a cell may be cut at another width or zoom).
      for (const c of info.filter((x) => textCols.has(x.col) && x.text !== '' && x.text !== '—')) expect(c.title, `${c.col} "${c.text}"`).toBeTruthy();
      // Hovering shows it: the title is on the element under the pointer (the cell or its text).
      const first = page.locator('[data-testid="event-row"] [role="cell"][data-col="event"]').first();
      expect(await first.getAttribute('title')).toBeTruthy();
    });

    test('a nonsense search says no events match, and drops the note of an earlier jump', async ({ t }) => {
      const { page } = t;
      await openEvent(page, demo.attack.getSecretValueEventID);
      await expect(page.getByTestId('search-notice')).toContainText('at row');
      await search(page).fill('zq-no-such-thing-7f3a9');
      await expect(total(page)).toHaveText('0 events');
      await expect(page.getByTestId('event-row')).toHaveCount(0);
      const empty = page.getByTestId('table-empty');
      await expect(empty).toBeVisible();
      await expect(empty).toContainText('No events match');
      await expect(empty).toContainText('zq-no-such-thing-7f3a9');
      await expect(page.getByTestId('search-notice')).toHaveCount(0);
      const box = await empty.boundingBox();
      expect(box && box.x >= 0 && box.y + box.height <= viewport.height, 'the message is on screen').toBe(true);
      await page.screenshot({ path: `test-results/ui/no-match-${viewport.width}.png` });
    });
  });
}

test('a filter change asks the engine for the first page alone, shows its rows and total together, and the next page once scrolled', async ({ t }) => {
  const { page } = t;
  await expect(total(page)).toHaveText(`${demo.caseEvents.toLocaleString('en-US')} events`);
  // A region whose first event (by time, the table's order) is not the case's first (the rows visibly change), with
  // more than one page of events.
  const sort: EventQuery['sort'] = { column: 'eventTime', dir: 'asc' };
  const all = await t.call<EventPage>('events.query', { filters: {}, sort, offset: 0, limit: 1 });
  const facets = await t.call<{ regions: string[] }>('events.facets', {});
  let region: string | null = null;
  let want: EventPage | null = null;
  for (const r of facets.regions) {
    const p = await t.call<EventPage>('events.query', { filters: { region: r }, sort, offset: 0, limit: 1 });
    if (p.total > 400 && p.rows[0]!.eventID !== all.rows[0]!.eventID) {
      region = r;
      want = p;
      break;
    }
  }
  expect(region, 'a region of more than two pages whose first event is not the case’s first').not.toBeNull();
  const expectedTotal = `${want!.total.toLocaleString('en-US')} events`;

  // In the page: each table page asked for and answered (its offset, in order), and the first row and the total
  // after every batch of DOM changes.
  await page.evaluate(() => {
    const w = window as unknown as { __log: string[]; __snaps: [string | null, string | null][] };
    w.__log = [];
    w.__snaps = [];
    const original = window.fetch.bind(window);
    window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const page = url.includes('/api/events.query') ? (JSON.parse(String(init?.body ?? '{}')) as { offset?: number }).offset : undefined;
      if (page !== undefined) w.__log.push(`ask ${page}`);
      const res = await original(input, init);
      if (page !== undefined) w.__log.push(`answer ${page}`);
      return res;
    };
    new MutationObserver(() => {
      const first = document.querySelector('[data-testid="event-row"][data-index="0"]')?.getAttribute('data-event-id') ?? null;
      w.__snaps.push([first, document.querySelector('[data-testid="event-total"]')?.textContent ?? null]);
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const select = page.locator('label.f', { has: page.locator('span', { hasText: /^region$/ }) }).locator('select');
  await select.selectOption(region!);
  await expect(total(page)).toHaveText(expectedTotal);
  await expect(page.locator('[data-testid="event-row"][data-index="0"]')).toHaveAttribute('data-event-id', want!.rows[0]!.eventID);

  const { asked, snaps } = await page.evaluate(() => {
    const w = window as unknown as { __log: string[]; __snaps: [string | null, string | null][] };
    return { asked: w.__log, snaps: w.__snaps };
  });
  // The first page is asked for alone: the pages after it only once it has answered (with the last query's total,
  // they went out at once and the engine answered two queries before the table could show one).
  expect(asked[0]).toBe('ask 0');
  expect(asked.indexOf('answer 0'), JSON.stringify(asked)).toBe(1);
  // Never the new rows under another total: both come from one render.
  const torn = snaps.filter(([first, shown]) => first === want!.rows[0]!.eventID && shown !== expectedTotal);
  expect(torn, JSON.stringify(snaps.slice(0, 20))).toEqual([]);

  // At the top of the table nothing past the rows in view is asked for; the next page once the viewport moves.
  const log = async () => page.evaluate(() => (window as unknown as { __log: string[] }).__log);
  await page.waitForTimeout(500);
  expect(await log()).toEqual(['ask 0', 'answer 0']);
  await page.getByTestId('event-table').evaluate((el) => (el.scrollTop = 40 * 22));
  await expect.poll(log).toContain('ask 200');
});
