/**
 * Where a filtered page sorted by time is read (event-page.ts): SQL, or the in-memory columns when SQL would read
 * many rows for it. The pages' contents are compared with SQL's own in event-columns.test.ts; this holds the choice.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventFilters, EventQuery } from '../../../shared/api';
import { openCase } from '../../../electron/engine/db/open';
import { EventPages } from '../../../electron/engine/service/event-page';
import { tempDir } from '../../helpers/evidence';

const db = openCase(join(tempDir('event-page'), 'case.db'));
afterAll(() => db.close());

/** Which filter sets went to the columns, with the totals the columns gave. */
function pagesWith(totals: Map<string, number>): { pages: EventPages; fromColumns: EventFilters[] } {
  const fromColumns: EventFilters[] = [];
  const pages = new EventPages(
    db,
    (f) => totals.get(JSON.stringify(f)) ?? null,
    (f) => {
      fromColumns.push(f);
      return new Int32Array(0);
    },
  );
  return { pages, fromColumns };
}

const page = (filters: EventFilters): EventQuery => ({ filters, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 100 });

describe('a filtered page sorted by time', () => {
  it("is read from the columns for a key with 1,000 events or more (SQL would read and sort every one), with SQL for fewer", () => {
    const many = { accessKeyId: 'ASIAMANYEVENTS000001' };
    const few = { accessKeyId: 'ASIAFEWEVENTS0000001' };
    const { pages, fromColumns } = pagesWith(new Map([[JSON.stringify(many), 1_000], [JSON.stringify(few), 999]]));
    expect(pages.page(page(many))).toEqual({ total: 1_000, rows: [] });
    expect(pages.page(page(few))).toEqual({ total: 999, rows: [] });
    expect(fromColumns).toEqual([many]);
  });

  it('is read with SQL for other filters when walking the time index finds its rows soon (an empty case: at once)', () => {
    const timed = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 2) };
    const { pages, fromColumns } = pagesWith(new Map([[JSON.stringify(timed), 2_000]]));
    expect(pages.page(page(timed))).toEqual({ total: 2_000, rows: [] });
    expect(fromColumns).toEqual([]);
  });
});
