/**
 * Export of the filtered table through the API (`events.export`): chunk by chunk, the same lines as `podtrail
 * attribute` in the same order, exactly the events the table's filters select, and the finished export in the
 * custody log with the SHA-256 of the whole file.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseService } from '../../../electron/engine/service/case-service';
import { CHUNK_EVENTS, exportFilename } from '../../../electron/engine/service/table-export';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { openCase } from '../../../electron/engine/db/open';
import { csvHeader, csvRow } from '../../../electron/engine/report/csv';
import { timesketchLine } from '../../../electron/engine/report/timesketch';
import type { CustodyLog, EventFilters, EventPage, TableExportChunk, TableExportFormat } from '../../../shared/api';
import { ingestedService, type ServiceHarness } from '../../helpers/service';

let service: CaseService;
let ok: ServiceHarness['ok'];
let casePath: string;
const byTime = { column: 'eventTime', dir: 'asc' } as const;

beforeAll(async () => {
  ({ service, ok, casePath } = await ingestedService('table-export', { events: 5000, seed: 5, k8s: true }));
}, 120_000);

afterAll(() => service.close());

/** Run an export to the end; the file and the chunks it took. */
async function exportAll(filters: EventFilters, format: TableExportFormat): Promise<{ text: string; chunks: TableExportChunk[] }> {
  const chunks = [await ok<TableExportChunk>('events.export', { filters, format })];
  while (!chunks.at(-1)!.done) chunks.push(await ok<TableExportChunk>('events.export', { exportId: chunks[0]!.exportId }));
  return { text: chunks.map((c) => c.body).join(''), chunks };
}

describe('events.export', () => {
  it('without filters, JSON Lines equal `podtrail attribute` line for line, in several chunks', async () => {
    const { text, chunks } = await exportAll({}, 'jsonl');
    const db = openCase(casePath, { readonly: true, mustExist: true });
    try {
      const cli = [...new CaseQueries(db).attributionLines()].join('');
      expect(text).toBe(cli);
    } finally {
      db.close();
    }
    const total = (await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 1 })).total;
    expect(total).toBeGreaterThan(CHUNK_EVENTS);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.at(-1)!.events).toBe(total);
    expect(chunks.at(-1)!.sha256).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    expect(chunks.at(-1)!.bytes).toBe(Buffer.byteLength(text, 'utf8'));
  });

  it('exports exactly the filtered events, as the table has them, and logs the export in the custody log', async () => {
    const filters: EventFilters = { flag: 'any' };
    const page = await ok<EventPage>('events.query', { filters, sort: byTime, offset: 0, limit: 1000 });
    expect(page.total).toBeGreaterThan(0);
    const { text, chunks } = await exportAll(filters, 'timesketch');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(page.total);
    const events = lines.map((l) => JSON.parse(l) as { eventID: string; flags: string[]; timestamp_desc: string; datetime: string });
    expect(events.map((e) => e.eventID)).toEqual(page.rows.map((r) => r.eventID));
    expect(events.every((e) => e.flags.length > 0 && e.timestamp_desc === 'Event Time' && e.datetime.endsWith('+00:00'))).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.filename).toMatch(/^podtrail-events-\d{8}-\d{6}Z\.timesketch\.jsonl$/);

    const log = await ok<CustodyLog>('custody.log', {});
    expect(log.check.ok).toBe(true);
    const entry = log.entries.at(-1)!;
    expect(entry.action).toBe('export');
    expect(entry.details).toMatchObject({ scope: 'event table', format: 'timesketch', filters, events: page.total, sha256: last.sha256, destination: last.filename });
  });

  it('CSV has the header once and one row per event, with the key filter', async () => {
    const any = await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 200 });
    const key = any.rows.find((r) => r.accessKeyId)!.accessKeyId!;
    const page = await ok<EventPage>('events.query', { filters: { accessKeyId: key }, sort: byTime, offset: 0, limit: 1000 });
    const { text } = await exportAll({ accessKeyId: key }, 'csv');
    expect(text.startsWith(csvHeader())).toBe(true);
    const db = openCase(casePath, { readonly: true, mustExist: true });
    try {
      const expected = [...new CaseQueries(db).attributions()].filter((a) => a.accessKeyId === key);
      expect(expected).toHaveLength(page.total);
      expect(text).toBe(csvHeader() + expected.map(csvRow).join(''));
      // The Timesketch lines are the CLI's too.
      expect((await exportAll({ accessKeyId: key }, 'timesketch')).text).toBe(expected.map(timesketchLine).join(''));
    } finally {
      db.close();
    }
  });

  it('an empty selection gives an empty file (CSV: the header), finished at once', async () => {
    const r = await ok<TableExportChunk>('events.export', { filters: { accessKeyId: 'AKIANOTINTHISCASE000' }, format: 'jsonl' });
    expect(r).toMatchObject({ done: true, events: 0, body: '', bytes: 0 });
    const c = await ok<TableExportChunk>('events.export', { filters: { accessKeyId: 'AKIANOTINTHISCASE000' }, format: 'csv' });
    expect(c.body).toBe(csvHeader());
  });

  it('a cancelled or unknown export is refused, and bad input too', async () => {
    const first = await ok<TableExportChunk>('events.export', { filters: {}, format: 'jsonl' });
    expect(first.done).toBe(false);
    const cancelled = await ok<TableExportChunk>('events.export', { exportId: first.exportId, cancel: true });
    expect(cancelled.sha256).toBeNull();
    const again = await service.dispatch('events.export', { exportId: first.exportId });
    expect(again.ok).toBe(false);
    expect(!again.ok && again.error.code).toBe('not-found');
    const bad = await service.dispatch('events.export', { filters: {}, format: 'xml' });
    expect(!bad.ok && bad.error.code).toBe('bad-input');
  });

  it('names the file by format and time', () => {
    const at = new Date('2026-03-02T10:15:00.123Z');
    expect(exportFilename('csv', at)).toBe('podtrail-events-20260302-101500Z.csv');
    expect(exportFilename('jsonl', at)).toBe('podtrail-events-20260302-101500Z.jsonl');
    expect(exportFilename('timesketch', at)).toBe('podtrail-events-20260302-101500Z.timesketch.jsonl');
  });
});
