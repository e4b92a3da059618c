/**
 * Hostile evidence in the UI (Debian's Chromium on `podtrail serve`, like browser.spec.ts). The demo case holds the
 * corpus of test/generator/hostile.ts carried through an STS chain (demo/make-demo.mjs): an AssumeRole made with
 * the stolen IRSA session, with a hostile role name, session name and session tags, then one call per hostile
 * string (user agent, source address, error code, error message, request parameters, tags) and one with 1 MiB
 * fields. Each test opens them in the table, the chain, the graph's evidence, the raw record and the report export,
 * and checks that the text is shown as text and that nothing runs: no `window.__pwned`, no dialog or pop-up, no
 * navigation away, no CSP violation (markup that tried to load or run), and no request to any origin but the server.
 */
import { readFileSync } from 'node:fs';
import { expect, test as base, type Page } from '@playwright/test';
import { HOSTILE, type HostileString } from '../generator/hostile';
import { revealInvisible } from '../../shared/invisible';
import { checkGuards, guard, openEvent, waitForCase } from './app';
import { demoFacts } from './paths';

const demo = demoFacts();
const byId = new Map(demo.hostile.events.map((e) => [e.hostile, e.eventID]));
const eventOf = (h: HostileString) => byId.get(h.id)!;

interface Hostile {
  page: Page;
  origin: string;
  token: string;
  exportReport(format: 'html' | 'json' | 'csv'): Promise<{ filename: string; text: string }>;
}

declare global {
  interface Window {
    __pwned?: unknown;
    __csp?: string[];
  }
}

const test = base.extend<{ h: Hostile }>({
  h: async ({ page }, use) => {
    const url = process.env.PODTRAIL_UI_URL;
    if (!url) throw new Error('PODTRAIL_UI_URL is not set: run through `npx playwright test` (global-setup.ts starts the server)');
    const { origin, searchParams } = new URL(url);
    const guards = guard(page);
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    // Every CSP violation is markup from the evidence that got into the page and tried to load or run something.
    await page.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp!.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
    });
    await page.goto(url);
    await waitForCase(page);

    await use({
      page,
      origin,
      token: searchParams.get('token')!,
      async exportReport(format) {
        await page.getByTestId('export-report').click();
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${format}`).click()]);
        return { filename: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
      },
    });

    await expectInert(page);
    await checkGuards(page, guards, [`${origin}/`, `blob:${origin}/`, 'data:']);
    expect(await page.evaluate(() => window.__csp), 'CSP violations').toEqual([]);
    expect(navigations.filter((u) => new URL(u).origin !== origin || new URL(u).pathname !== '/'), 'navigations away').toEqual([]);
    expect(new URL(page.url()).origin).toBe(origin);
  },
});

/** Nothing from the evidence became markup: no element or attribute that could run or load anything. */
async function expectInert(page: Page): Promise<void> {
  const found = await page.evaluate(() => ({
    pwned: window.__pwned,
    scripts: Array.from(document.scripts).map((s) => s.src || `inline: ${s.textContent?.slice(0, 40)}`),
    handlers: Array.from(document.querySelectorAll('*')).flatMap((el) => Array.from(el.attributes).filter((a) => a.name.startsWith('on')).map((a) => `${el.tagName} ${a.name}`)),
    frames: document.querySelectorAll('iframe, frame, object, embed').length,
    images: Array.from(document.querySelectorAll('img')).map((i) => i.getAttribute('src')),
    links: Array.from(document.querySelectorAll('a[href]')).map((a) => a.getAttribute('href')),
    styles: Array.from(document.querySelectorAll('style')).map((s) => s.textContent ?? '').filter((t) => /@import|__pwned|display:none/.test(t)),
    autofocus: document.querySelectorAll('[autofocus], [srcdoc]').length,
  }));
  expect(found.pwned, 'window.__pwned').toBeUndefined();
  expect(found.scripts.filter((s) => !/^http:\/\/127\.0\.0\.1:\d+\/assets\/[\w.-]+\.js$/.test(s)), 'scripts other than the app bundle').toEqual([]);
  expect(found.handlers, 'inline event handlers').toEqual([]);
  expect(found.frames, 'frames').toBe(0);
  expect(found.images.filter((s) => s === 'x' || /^https?:/.test(s ?? '')), 'images from evidence').toEqual([]);
  expect(found.links.filter((h) => /^javascript:/i.test(h ?? '')), 'javascript: links').toEqual([]);
  expect(found.styles, 'style elements from evidence').toEqual([]);
  expect(found.autofocus).toBe(0);
}

/** Bidi overrides, embeddings, isolates and marks: text that reorders what is on screen. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The text content of an element, exactly (Playwright's text matchers normalise whitespace). */
const textOf = (page: Page, testId: string) => page.getByTestId(testId).first().evaluate((el) => el.textContent ?? '');
const rowText = (page: Page, eventID: string) => page.locator(`[data-testid="event-row"][data-event-id="${eventID}"]`).evaluate((el) => el.textContent ?? '');

test.describe('hostile evidence', () => {
  // Each test opens many events (one per corpus string) on a 2-core machine shared with other jobs.
  test.describe.configure({ timeout: 180_000 });

  test('every hostile field shows as text in the table, the detail pane and the raw record, and none of it runs', async ({ h }) => {
    const { page } = h;
    for (const s of HOSTILE) {
      await openEvent(page, eventOf(s));
      // The table: the source IP and error columns hold the value, character for character, except that bidi
      // controls and other invisible characters are written as \u{…} (as in the reports).
      const row = await rowText(page, eventOf(s));
      expect(row, s.id).toContain(revealInvisible(s.value));
      // The detail pane's header names the source address as text.
      const pane = await textOf(page, 'detail-pane');
      expect(pane, s.id).toContain(`from ${revealInvisible(s.value)}`);
      // The raw record: the value as JSON writes it (quotes and controls escaped), as characters.
      const raw = await textOf(page, 'raw-record');
      expect(raw, s.id).toContain(revealInvisible(JSON.stringify(s.value).slice(1, -1)));
      // No bidi override, isolate or mark reaches the screen to reorder what the investigator reads.
      for (const [where, text] of [['row', row], ['detail pane', pane], ['raw record', raw]]) expect(text, `${s.id} in the ${where}`).not.toMatch(BIDI);
      if (revealInvisible(s.value) !== s.value) expect(pane, s.id).toMatch(/\\u\{[0-9a-f]{4,5}\}/);
      await expectInert(page);
    }
  });

  test('the chain of a hostile session: role, session name and tags are text in the steps and their records', async ({ h }) => {
    const { page } = h;
    await openEvent(page, eventOf(HOSTILE[0]!));
    // Stolen IRSA session → AssumeRole into a hostile role → this call: the root is still the service account.
    await expect(page.getByTestId('attribution-mechanism')).toHaveText('irsa');
    await expect(page.getByTestId('attribution-serviceaccount')).toHaveText('payments/payments-api');
    const graph = page.getByTestId('chain-graph');
    await expect.poll(async () => Number(await graph.getAttribute('data-nodes'))).toBeGreaterThanOrEqual(4);

    // The steps name the hostile role (graph labels are cut at 34 characters).
    const roleName = demo.hostile.assumeRole.roleArn.split('/').pop()!;
    const steps = page.getByTestId('chain-edge');
    await expect(steps.first()).toBeVisible();
    expect((await steps.allTextContents()).join('\n')).toContain(`AssumeRole → ${roleName.slice(0, 20)}`);

    // Each step's evidence: the AssumeRole record shows the hostile session name and tags as text.
    let sawSession = false;
    for (let i = 0; i < (await steps.count()); i++) {
      await steps.nth(i).click();
      const sel = page.getByTestId('graph-selection');
      await expect(sel).toBeVisible();
      const text = await sel.evaluate((el) => el.textContent ?? '');
      if (text.includes(demo.hostile.assumeRole.eventID)) {
        expect(text).toContain(revealInvisible(JSON.stringify(demo.hostile.assumeRole.sessionName).slice(1, -1)));
        expect(text).not.toMatch(BIDI);
        for (const s of HOSTILE.filter((x) => !x.invisible)) expect(text, s.id).toContain(JSON.stringify(s.value).slice(1, -1));
        sawSession = true;
      }
      await expectInert(page);
    }
    expect(sawSession, 'a step shows the AssumeRole with the hostile session name').toBe(true);

    // The AssumeRole itself, opened as an event.
    await openEvent(page, demo.hostile.assumeRole.eventID);
    expect(await textOf(page, 'raw-record')).toContain(revealInvisible(JSON.stringify(demo.hostile.assumeRole.sessionName).slice(1, -1)));
  });

  test('free-text search for markup finds the hostile events and runs nothing', async ({ h }) => {
    const { page } = h;
    const search = page.getByTestId('event-search');
    await search.fill('<img src=x onerror="window.__pwned');
    await expect(page.locator(`[data-testid="event-row"][data-event-id="${eventOf(HOSTILE[1]!)}"]`)).toBeVisible();
    await expectInert(page);
    await search.fill('javascript:window.__pwned');
    await expect(page.locator(`[data-testid="event-row"][data-event-id="${eventOf(HOSTILE.find((x) => x.id === 'javascript-url')!)}"]`)).toBeVisible();
  });

  test('the 1 MiB field keeps the table, the detail pane and the report intact', async ({ h }) => {
    const { page } = h;
    await openEvent(page, demo.hostile.hugeEventID);
    const row = page.locator(`[data-testid="event-row"][data-event-id="${demo.hostile.hugeEventID}"]`);
    const other = page.getByTestId('event-row').filter({ hasNot: page.locator(`[data-event-id="${demo.hostile.hugeEventID}"]`) }).first();
    // Same height as any other row; the error cell no wider than its column.
    const [hb, ob] = [await row.boundingBox(), await other.boundingBox()];
    expect(hb && ob && Math.abs(hb.height - ob.height) < 1).toBe(true);
    const cell = row.locator('.td-error');
    const header = page.getByTestId('col-error');
    expect(Math.abs((await cell.boundingBox())!.width - (await header.boundingBox())!.width)).toBeLessThan(1);
    expect(await cell.evaluate((el) => (el.textContent ?? '').length)).toBeGreaterThanOrEqual(1024 * 1024);
    // The whole value is in the raw record, and the page still answers.
    const raw = await textOf(page, 'raw-record');
    expect(raw).toContain('HUGE-FIELD-START');
    expect(raw).toContain('HUGE-FIELD-END');
    await page.getByTestId('event-search').fill('');
    await expect(page.getByTestId('event-row').first()).toBeVisible();
    await openEvent(page, demo.hostile.hugeEventID);
    const report = await h.exportReport('html');
    expect(report.text).toContain('HUGE-FIELD-END');
    expect(report.text).not.toContain('<script>window.__pwned');
    expect(report.text.trimEnd().endsWith('</html>')).toBe(true);
  });

  test('the reports of hostile events: HTML escaped with bidi shown, CSV neutralised, JSON whole', async ({ h }) => {
    const { page } = h;
    for (const id of ['script', 'attr-break', 'bidi-rlo', 'csv-equals', 'nul']) {
      const s = HOSTILE.find((x) => x.id === id)!;
      await openEvent(page, eventOf(s));
      const html = await h.exportReport('html');
      expect(html.filename).toBe(`podtrail-report-${eventOf(s)}.html`);
      expect(html.text, id).not.toMatch(/<script>window|<img src=x|<svg onload|<iframe|<a href="javascript|onfocus="window/);
      expect(html.text, id).not.toMatch(/[\u0000\u202e\u2066-\u2069]/);
      if (id === 'bidi-rlo') expect(html.text).toContain('report\\u{202e}fdp.exe');
      const csv = await h.exportReport('csv');
      const ipLine = csv.text.split('\n').find((l) => l.startsWith('attribution,sourceIPAddress,'))!;
      if (id === 'csv-equals') expect(ipLine).toContain(`"'=HYPERLINK(`);
      if (id === 'nul') expect(ipLine).toBe('attribution,sourceIPAddress,before\\u{0000}after');
      const json = JSON.parse((await h.exportReport('json')).text) as { event: { raw: string } };
      expect((JSON.parse(json.event.raw) as { userAgent: string }).userAgent).toBe(s.value);
      await expectInert(page);
    }
  });
});
