/**
 * The application under test, the same for both projects: a page showing PodTrail, a way to call the API
 * directly (to pick test data), the report export, and guards that hold for every test — no request leaves
 * the app's own origin, and no dialog opens.
 */
import { expect, type Page } from '@playwright/test';

export interface UiApp {
  kind: 'browser' | 'electron';
  page: Page;
  /** One call of the API table, outside the UI (to pick test data). */
  call<T>(name: string, input: unknown): Promise<T>;
  /** Export the selected event's report in a format through the UI; the saved file's name and text. */
  exportReport(format: 'html' | 'json' | 'csv'): Promise<{ filename: string; text: string }>;
}

export interface Guards {
  requests: string[];
  dialogs: string[];
}

/** Listen for every request and dialog of the page. */
export function guard(page: Page): Guards {
  const g: Guards = { requests: [], dialogs: [] };
  page.context().on('request', (r) => g.requests.push(r.url()));
  page.on('request', (r) => g.requests.push(r.url()));
  page.on('dialog', (d) => {
    g.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('popup', (p) => g.dialogs.push(`popup: ${p.url()}`));
  return g;
}

/** After each test: everything the page fetched came from `allowed` prefixes, and nothing popped up. */
export async function checkGuards(page: Page, g: Guards, allowed: readonly string[]): Promise<void> {
  const outside = [...new Set(g.requests)].filter((u) => !allowed.some((p) => u.startsWith(p)));
  expect(outside, 'requests that left the app').toEqual([]);
  expect(g.dialogs, 'dialogs or pop-ups').toEqual([]);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
}

/** Wait until the case is loaded: the header names it and the table has rows. */
export async function waitForCase(page: Page): Promise<void> {
  await expect(page.getByTestId('event-count')).toBeVisible();
  await expect(page.getByTestId('event-row').first()).toBeVisible();
}

/** Jump to an eventID the way a user does: paste it in the search box and press Enter. */
export async function openEvent(page: Page, eventID: string): Promise<void> {
  const search = page.getByTestId('event-search');
  await search.fill(eventID);
  await search.press('Enter');
  const row = page.locator(`[data-testid="event-row"][data-event-id="${eventID}"]`);
  await expect(row).toBeVisible();
  await row.click();
  await expect(row).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('detail-pane')).toContainText(eventID);
}

/**
 * Browser mode against the server global-setup.ts started: open the app (the token leaves the address bar once
 * read), and a way to call the API with the same token. `done` checks the guards after the test.
 */
export async function openBrowserApp(page: Page): Promise<{ origin: string; call<T>(name: string, input: unknown): Promise<T>; done(): Promise<void> }> {
  const url = process.env.PODTRAIL_UI_URL;
  if (!url) throw new Error('PODTRAIL_UI_URL is not set: run through `npx playwright test` (global-setup.ts starts the server)');
  const { origin, searchParams } = new URL(url);
  const token = searchParams.get('token')!;
  const guards = guard(page);
  await page.goto(url);
  await waitForCase(page);
  return {
    origin,
    async call<T>(name: string, input: unknown): Promise<T> {
      const res = await page.request.post(`${origin}/api/${name}`, { headers: { Authorization: `Bearer ${token}` }, data: input });
      const body = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } };
      if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
      return body.value as T;
    },
    done: () => checkGuards(page, guards, [`${origin}/`, `blob:${origin}/`, 'data:']),
  };
}
