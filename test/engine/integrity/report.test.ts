/**
 * Reports carry the integrity of the files their event was read from (event_sources → evidence_files → the
 * latest verification), in every format, from case data only: the same case gives the same bytes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { buildReport } from '../../../electron/engine/report/model';
import { reportHtml } from '../../../electron/engine/report/html';
import { reportCsv } from '../../../electron/engine/report/csv';
import { runVerification } from '../../../electron/engine/integrity/store';
import { writeFixture } from '../../helpers/integrity-fixture';

/** Event ids of the fixture's log files: the n-th file holds …n0 and …n1. */
const eventOf = (n: number) => `00000000-0000-4000-8000-${String(n * 10).padStart(12, '0')}`;

async function caseOf(fx: ReturnType<typeof writeFixture>) {
  const db = openCase(join(fx.dir, 'case.db'));
  await ingestEvidence(db, [fx.bundle], { workers: 0 });
  correlate(db);
  return db;
}

describe('integrity in reports', () => {
  it('says "not verified" before a verification, and what it proved after, deterministically', async () => {
    const fx = writeFixture();
    const db = await caseOf(fx);
    const q = new CaseQueries(db);
    const before = buildReport(q, 'case.db', eventOf(3));
    expect(before.integrity.verification).toBeNull();
    expect(before.integrity.event).toEqual([{ path: fx.at(fx.logs[2]!.key), status: 'not-verified', detail: 'the case has not been verified (podtrail verify)' }]);
    expect(reportHtml(before)).toContain('The case has not been verified against CloudTrail digest files');

    runVerification(db);
    const after = buildReport(q, 'case.db', eventOf(3));
    expect(after.integrity.verification).toMatchObject({ runId: 1, verdict: 'authenticated', headline: 'authenticated to 2026-03-02T04:00:00Z' });
    expect(after.integrity.event).toEqual([{ path: fx.at(fx.logs[2]!.key), status: 'authenticated', detail: expect.stringContaining('authenticated (its signature verified)') }]);
    const html = reportHtml(after);
    expect(html).toContain('<strong>authenticated to 2026-03-02T04:00:00Z</strong>');
    expect(html).not.toContain('Evidence integrity failure');
    expect(reportCsv(after)).toContain('integrity,verification,#1');
    // Built twice from the same case: the same bytes (no clock reads).
    expect(reportHtml(buildReport(q, 'case.db', eventOf(3)))).toBe(html);
    db.close();
  });

  it('names a failed file at the top of the report of an event read from it', async () => {
    const fx = writeFixture();
    const log = fx.logs[2]!;
    writeFileSync(fx.at(log.key), gzipSync(log.content.toString('utf8').replace('"ListBuckets"', '"ListUsers"')));
    const db = await caseOf(fx);
    runVerification(db);
    const m = buildReport(new CaseQueries(db), 'case.db', eventOf(3));
    expect(m.integrity.event[0]!.status).toBe('failed');
    const html = reportHtml(m);
    expect(html).toMatch(/<div class="warn"><strong>Evidence integrity failure\.<\/strong><ul><li>[^<]*_Fx00000000000003\.json\.gz: SHA-256 of its decompressed content is/);
    expect(reportCsv(m)).toMatch(/integrity,[^,]*Fx00000000000003\.json\.gz,"FAILED: /);
    db.close();
  });
});
