/**
 * Search every field of the raw record (issue 17 part 3), in Debian's Chromium on `podtrail serve` (global-setup.ts)
 * on the demo case, at 1280×800:
 *
 * - the secret the attack read (`requestParameters.secretId` of its GetSecretValue — in no column of the table) is
 *   found by free text, and the search box's total is the engine's;
 * - a field-qualified search (`requestParameters.secretId:<glob> sourceIPAddress:<ip> eventName:GetSecretValue`)
 *   finds that event among the attacker's few reads of the secret;
 * - a field of the raw record can be shown as a column: the row shows its secretId.
 */
import { expect, test } from '@playwright/test';
import type { EventPage, EventQuery } from '../../shared/api';
import { openBrowserApp } from './app';
import { demoFacts } from './paths';

const demo = demoFacts();
const SORT: EventQuery['sort'] = { column: 'eventTime', dir: 'asc' };

test.use({ viewport: { width: 1280, height: 800 } });

test('searching a secretId finds its GetSecretValue event; field globs narrow to it; the field shows as a column', async ({ page }) => {
  const app = await openBrowserApp(page);
  const eventID = demo.attack.getSecretValueEventID;
  const row = page.locator(`[data-testid="event-row"][data-event-id="${eventID}"]`);
  const search = page.getByTestId('event-search');
  const total = page.getByTestId('event-total');

  // The secret, read from the event's raw record by the engine (the table's field columns).
  const one = await app.call<EventPage>('events.query', { filters: { search: eventID }, sort: SORT, offset: 0, limit: 10, fields: ['requestParameters.secretId'] });
  const secretId = one.rows.find((r) => r.eventID === eventID)!.fields!['requestParameters.secretId']!;
  expect(secretId).toMatch(/^arn:aws:secretsmanager:[^:]+:\d{12}:secret:.+/);

  // Free text: the whole ARN.
  await search.fill(secretId);
  const bySecret = await app.call<EventPage>('events.query', { filters: { search: secretId }, sort: SORT, offset: 0, limit: 1000 });
  const index = bySecret.rows.findIndex((r) => r.eventID === eventID);
  expect(index).toBeGreaterThanOrEqual(0);
  // (other calls name the secret too: KMS Decrypt in its encryption context, for one)
  expect(bySecret.rows.filter((r) => r.eventName === 'GetSecretValue').length).toBeGreaterThan(0);
  await expect(total).toHaveText(new RegExp(`^${bySecret.total.toLocaleString('en-US').replace(/\D/g, '\\D?')} events$`));
  const rowH = (await page.getByTestId('event-row').first().boundingBox())!.height;
  await page.getByTestId('event-table').evaluate((el, y) => el.scrollTo(0, y), Math.max(0, index - 3) * rowH);
  await expect(row).toBeVisible();
  await expect(row.locator('.td-event')).toHaveText('GetSecretValue');

  // Field-qualified, with a glob: the secret's name, the attacker's address and the call.
  const [, name] = secretId.split(':secret:');
  const narrow = `requestParameters.secretId:*:secret:${name!.slice(0, 10)}* sourceIPAddress:${demo.attack.sourceIPAddress} eventName:GetSecretValue`;
  await search.fill(narrow);
  const byField = await app.call<EventPage>('events.query', { filters: { search: narrow }, sort: SORT, offset: 0, limit: 100 });
  expect(byField.rows.map((r) => r.eventID)).toContain(eventID);
  expect(byField.rows.every((r) => r.eventName === 'GetSecretValue' && r.sourceIp === demo.attack.sourceIPAddress)).toBe(true);
  expect(byField.total).toBeLessThan(bySecret.total);
  await expect(total).toHaveText(`${byField.total} events`);
  await expect(page.getByTestId('event-row')).toHaveCount(byField.total);
  await expect(row).toBeVisible();
  // A glob that does not cover the whole value finds nothing, and says so.
  await search.fill(`requestParameters.secretId:${name!.slice(0, 10)}* sourceIPAddress:${demo.attack.sourceIPAddress}`);
  await expect(page.getByTestId('table-empty')).toBeVisible();

  // The secretId as a column of the table.
  await search.fill(`requestParameters.secretId:${secretId} sourceIPAddress:${demo.attack.sourceIPAddress}`);
  await expect(row).toBeVisible();
  await page.getByTestId('field-columns-button').click();
  await page.getByTestId('field-column-input').fill('requestParameters.secretId');
  await page.getByTestId('field-column-add').click();
  const header = page.getByTestId('col-field:requestParameters.secretId');
  await header.scrollIntoViewIfNeeded();
  await expect(header).toBeVisible();
  const cell = row.locator('[data-testid="field-cell"][data-field="requestParameters.secretId"]');
  await cell.scrollIntoViewIfNeeded();
  await expect(cell).toHaveText(secretId);
  await expect(cell).toBeInViewport();

  // The column search still works as before (a substring of the event name).
  await search.fill('GetSecretVal');
  await expect(page.getByTestId('event-row').first()).toBeVisible();
  const bySubstring = await app.call<EventPage>('events.query', { filters: { search: 'GetSecretVal' }, sort: SORT, offset: 0, limit: 1 });
  expect(bySubstring.total).toBeGreaterThan(0);
  await expect(total).toHaveText(new RegExp(`^${bySubstring.total.toLocaleString('en-US').replace(/\D/g, '\\D?')} events$`));

  // Put the table back as it was for other specs (the column is remembered in this browser profile only).
  await page.getByTestId('field-column-remove').click();
  await app.done();
});
