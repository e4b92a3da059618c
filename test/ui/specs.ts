/** The UI specs, run by browser.spec.ts (Chromium on `podtrail serve`) and electron.spec.ts (the desktop app). */
import { expect, type TestType } from '@playwright/test';
import type { EventPage, EventRowView } from '../../shared/api';
import { openEvent } from './app';
import type { UiApp } from './app';
import { demoFacts } from './paths';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Playwright's TestType generics differ per extension
export function uiSpecs(test: TestType<{ ui: UiApp } & any, any>): void {
  const demo = demoFacts();

  test('opens the demo case', async ({ ui }: { ui: UiApp }) => {
    const { page } = ui;
    await expect(page.getByTestId('case-name')).toHaveText(/\.db$/);
    // The generator's events, the hostile user agent's copy and the hostile chain (demo/make-demo.mjs).
    const events = demo.caseEvents.toLocaleString('en-US');
    await expect(page.getByTestId('event-count')).toContainText(events);
    await expect(page.getByTestId('event-total')).toContainText(events);
  });

  test('finds the attack, attributes it, draws its chain and shows the evidence of each step', async ({ ui }: { ui: UiApp }) => {
    const { page } = ui;
    const attack = demo.attack.getSecretValueEventID;
    await openEvent(page, attack);

    // A stolen IRSA token: CloudTrail proves the service account and cluster; the pod and node stay unknown.
    await expect(page.getByTestId('attribution-mechanism')).toHaveText('irsa');
    await expect(page.getByTestId('attribution-serviceaccount')).toHaveText('payments/payments-api');
    await expect(page.getByTestId('attribution-cluster')).toHaveText('payments-west');
    await expect(page.getByTestId('attribution-pod')).toHaveText('—');
    await expect(page.getByTestId('confidence-pod')).toHaveAttribute('data-confidence', 'none');
    await expect(page.getByTestId('attribution-node')).toHaveText('—');
    await expect(page.getByTestId('detail-pane')).toContainText(demo.attack.sourceIPAddress);

    const graph = page.getByTestId('chain-graph');
    await expect(graph.locator('canvas').first()).toBeAttached();
    await expect.poll(async () => Number(await graph.getAttribute('data-nodes'))).toBeGreaterThanOrEqual(3);

    // Each step of the chain opens the records that prove it; one of them is the token exchange.
    const edges = page.getByTestId('chain-edge');
    await expect(edges.first()).toBeVisible();
    const n = await edges.count();
    let exchangeShown = false;
    for (let i = 0; i < n && !exchangeShown; i++) {
      await edges.nth(i).click();
      const sel = page.getByTestId('graph-selection');
      await expect(sel).toBeVisible();
      exchangeShown = (await sel.textContent())?.includes(demo.attack.exchangeEventID) ?? false;
    }
    expect(exchangeShown, 'the AssumeRoleWithWebIdentity record is shown as the evidence of a step').toBe(true);
    await expect(page.getByTestId('graph-selection')).toContainText('AssumeRoleWithWebIdentity');
  });

  test('shows a Pod Identity event down to its pod and node, and exports a report that names the pod', async ({ ui }: { ui: UiApp }) => {
    const { page } = ui;
    const found = await ui.call<EventPage>('events.query', {
      filters: { mechanism: 'pod-identity' },
      sort: { column: 'eventTime', dir: 'asc' },
      offset: 0,
      limit: 500,
    });
    const row = found.rows.find((r: EventRowView) => r.pod && r.node && r.confidence.pod === 'proven');
    expect(row, 'a Pod Identity event with a proven pod in the demo case').toBeDefined();
    await openEvent(page, row!.eventID);

    await expect(page.getByTestId('attribution-mechanism')).toHaveText('pod-identity');
    await expect(page.getByTestId('attribution-serviceaccount')).toHaveText(`${row!.namespace}/${row!.serviceAccount}`);
    await expect(page.getByTestId('attribution-pod')).toHaveText(row!.pod!);
    await expect(page.getByTestId('attribution-node')).toHaveText(row!.node!);
    await expect(page.getByTestId('chain-graph').locator('canvas').first()).toBeAttached();

    const report = await ui.exportReport('html');
    expect(report.filename).toBe(`podtrail-report-${row!.eventID}.html`);
    expect(report.text).toContain(row!.pod!);
    expect(report.text).toContain(row!.eventID);
  });

  test('exports the attack report', async ({ ui }: { ui: UiApp }) => {
    await openEvent(ui.page, demo.attack.getSecretValueEventID);
    const report = await ui.exportReport('html');
    expect(report.text).toContain(demo.attack.getSecretValueEventID);
    expect(report.text).toContain('payments-api');
    expect(report.text).toContain(demo.attack.exchangeEventID);
  });

  test('shows a hostile user agent as text and never runs it', async ({ ui }: { ui: UiApp }) => {
    const { page } = ui;
    // Free-text search reaches the user agent…
    const search = page.getByTestId('event-search');
    // (the demo's hostile chain has more `<img src=x onerror` markup: this part is this record's alone)
    await search.fill('<img src=x onerror="window.__pwned=1">');
    await expect(page.getByTestId('event-total')).toContainText(/\b1\b/);
    await expect(page.locator(`[data-testid="event-row"][data-event-id="${demo.hostile.eventID}"]`)).toBeVisible();
    await search.fill('');

    // …and the record shows the markup as characters.
    await openEvent(page, demo.hostile.eventID);
    const raw = page.getByTestId('raw-record');
    await expect(raw).toContainText('<img src=x onerror=');
    await expect(raw).toContainText('<script>window.__pwned=2</script>');
    await expect(page.locator('img[src="x"]')).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();

    // The HTML report escapes it too.
    const report = await ui.exportReport('html');
    expect(report.text).toContain('&lt;img src=x onerror=');
    expect(report.text).not.toContain('<img src=x');
    expect(report.text).not.toContain('<script>window.__pwned');
  });

  test('counts flagged events, filters to them, and gives each detection its reason', async ({ ui }: { ui: UiApp }) => {
    const { page } = ui;
    const flagCount = page.getByTestId('flag-count');
    await expect(flagCount).toContainText(/⚑ \d+ flagged/);
    await flagCount.click();
    const flagged = await ui.call<EventPage>('events.query', { filters: { flag: 'any' }, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 100 });
    expect(flagged.total).toBeGreaterThan(0);
    await expect(page.getByTestId('event-total')).toContainText(`${flagged.total} events`);
    // Every row drawn is flagged (the table draws the rows in view, not all of them).
    await expect(page.getByTestId('event-row').first()).toBeVisible();
    expect(await page.getByTestId('row-flag').count()).toBe(await page.getByTestId('event-row').count());

    // The attacker's token exchange: outside the cluster, with the reason and a pivot to the same detection.
    await openEvent(page, demo.attack.exchangeEventID);
    const detection = page.getByTestId('detection');
    await expect(detection).toHaveCount(1);
    await expect(detection).toContainText('token-exchange-outside-cluster');
    await expect(detection).toContainText(demo.attack.sourceIPAddress);
    // The detection is carried to every call of the session the exchange opened: filtering on it gives the incident.
    const incident = await ui.call<EventPage>('events.query', { filters: { flag: 'token-exchange-outside-cluster' }, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 100 });
    expect(incident.rows.map((r) => r.eventID)).toEqual(expect.arrayContaining([demo.attack.exchangeEventID, demo.attack.getSecretValueEventID]));
    await detection.getByRole('button', { name: 'filter' }).click();
    await expect(page.getByTestId('event-total')).toHaveText(`${incident.total} events`);
  });

  test('shows the chain-of-custody log, and a report export is added to it', async ({ ui }: { ui: UiApp }) => {
    const { page } = ui;
    await openEvent(page, demo.attack.getSecretValueEventID);
    const report = await ui.exportReport('json');
    await page.getByTestId('evidence-toggle').click();
    const custody = page.getByTestId('custody-log');
    await custody.locator('summary').click();
    await expect(page.getByTestId('custody-status')).toHaveText('hash chain intact');
    const entries = page.getByTestId('custody-entry');
    await expect(entries.first()).toContainText('case-created');
    await expect(custody).toContainText('ingest');
    await expect(entries.last()).toContainText('export');
    await expect(entries.last()).toContainText(`json report on event ${demo.attack.getSecretValueEventID}`);
    expect(report.filename).toBe(`podtrail-report-${demo.attack.getSecretValueEventID}.json`);
  });
}
