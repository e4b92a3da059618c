/**
 * Issue 12, item 4: `evidence.list` answers in a bounded size whatever the number of rejected records — the counts
 * per file, the first RECORD_ERRORS_PER_FILE rejected records of each file — and `evidence.recordErrors` gives the
 * rest of one file's, page by page.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseService } from '../../../electron/engine/service/case-service';
import { RECORD_ERROR_PAGE_MAX, RECORD_ERRORS_PER_FILE, type EvidenceListing, type RecordErrorPage } from '../../../shared/api';
import { apiRecord, put, tempDir, trailJson } from '../../helpers/evidence';
import { ingestDone } from '../../helpers/service';

/** Records of `{}`: each one rejected (no eventTime, eventSource, eventName). */
const BAD = 100_000;

let service: CaseService;
let bigFile: string;
let mixedFile: string;
let goodFile: string;
const pushes: { name: string; payload: unknown }[] = [];

async function ok<T>(name: string, input: unknown): Promise<T> {
  const r = await service.dispatch(name, input);
  if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

beforeAll(async () => {
  const dir = tempDir('evidence-list');
  bigFile = put(dir, 'evidence/empty-records.json', trailJson(Array.from({ length: BAD }, () => ({}))));
  const noTime = apiRecord('mixed-bad');
  delete noTime.eventTime;
  mixedFile = put(dir, 'evidence/mixed.json', trailJson([apiRecord('mixed-good'), noTime, {}, apiRecord('mixed-good-2')]));
  goodFile = put(dir, 'evidence/good.json', trailJson([apiRecord('good-1')]));
  service = CaseService.open(join(dir, 'case.db'), (name, payload) => pushes.push({ name, payload }));
  await ok('ingest.start', { paths: [join(dir, 'evidence')] });
  await ingestDone(pushes);
}, 120_000);

afterAll(() => service.close());

describe('evidence.list with many rejected records (issue 12)', () => {
  it('answers with the counts per file and the first rejected records of each, in a bounded size', async () => {
    const listing = await ok<EvidenceListing>('evidence.list', {});
    const bytes = Buffer.byteLength(JSON.stringify(listing));
    // 100,000 rejected records listed in full made a 15 MB answer.
    expect(bytes).toBeLessThan(32 * 1024);
    const byPath = new Map(listing.files.map((f) => [f.path, f]));
    expect(byPath.get(bigFile)).toMatchObject({ status: 'complete', records: 0, rejected: BAD });
    expect(byPath.get(mixedFile)).toMatchObject({ status: 'complete', rejected: 2, newEvents: 2 });
    expect(byPath.get(goodFile)).toMatchObject({ status: 'complete', rejected: 0 });

    const big = byPath.get(bigFile)!;
    const bigErrors = listing.recordErrors.filter((e) => e.fileId === big.id);
    expect(bigErrors.map((e) => e.recordIndex)).toEqual(Array.from({ length: RECORD_ERRORS_PER_FILE }, (_, i) => i));
    expect(bigErrors.every((e) => e.path === bigFile && /eventTime/.test(e.message))).toBe(true);
    // A file with fewer rejected records has them all.
    const mixed = listing.recordErrors.filter((e) => e.fileId === byPath.get(mixedFile)!.id);
    expect(mixed.map((e) => [e.path, e.recordIndex])).toEqual([
      [mixedFile, 1],
      [mixedFile, 2],
    ]);
    expect(listing.recordErrors.filter((e) => e.fileId === byPath.get(goodFile)!.id)).toEqual([]);
  });

  it('gives every rejected record of a file, page by page, on request', async () => {
    const listing = await ok<EvidenceListing>('evidence.list', {});
    const big = listing.files.find((f) => f.path === bigFile)!;
    const seen: number[] = [];
    for (let offset = 0; ; offset += RECORD_ERROR_PAGE_MAX) {
      const page = await ok<RecordErrorPage>('evidence.recordErrors', { fileId: big.id, offset, limit: RECORD_ERROR_PAGE_MAX });
      expect(page).toMatchObject({ fileId: big.id, path: bigFile, total: BAD, offset });
      expect(page.errors.length).toBeLessThanOrEqual(RECORD_ERROR_PAGE_MAX);
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThan(RECORD_ERROR_PAGE_MAX * 512);
      seen.push(...page.errors.map((e) => e.recordIndex));
      if (page.errors.length < RECORD_ERROR_PAGE_MAX) break;
    }
    expect(seen).toHaveLength(BAD);
    expect(seen.every((n, i) => n === i)).toBe(true);

    const tail = await ok<RecordErrorPage>('evidence.recordErrors', { fileId: big.id, offset: BAD - 3, limit: 10 });
    expect(tail.errors.map((e) => e.recordIndex)).toEqual([BAD - 3, BAD - 2, BAD - 1]);
    const past = await ok<RecordErrorPage>('evidence.recordErrors', { fileId: big.id, offset: BAD, limit: 10 });
    expect(past.errors).toEqual([]);
  });

  it('refuses pages larger than the cap, and files the case does not hold', async () => {
    const listing = await ok<EvidenceListing>('evidence.list', {});
    const big = listing.files.find((f) => f.path === bigFile)!;
    expect(await service.dispatch('evidence.recordErrors', { fileId: big.id, offset: 0, limit: RECORD_ERROR_PAGE_MAX + 1 })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(await service.dispatch('evidence.recordErrors', { fileId: 999_999, offset: 0, limit: 10 })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });
});
