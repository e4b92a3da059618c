/**
 * Several different records under one eventID (a conflict) in `trace` and in reports, on the real records
 * iam-ug_01 and iam-ug_02 of the IAM user guide (the same AssumeRole as logged in the caller's account and in the
 * role's account: one eventID, different content): the trace and the report say which record they are on and list
 * the others; `<eventID>#<variant>` traces and reports each on its own; a hop cites the record the chain used,
 * not whichever was ingested first.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { correlate } from '../../../electron/engine/chain/correlate';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { exportReport } from '../../../electron/engine/report/export';
import type { ReportModel } from '../../../electron/engine/report/model';
import { traceText } from '../../../electron/engine/report/text';
import { parseCsv } from '../../helpers/csv';
import { put, tempDir } from '../../helpers/evidence';
import { referencePath } from '../../helpers/reference';
import { expectNoExecutableMarkup, visibleText } from './hostile-html';
import { eventsWithRaw } from '../../helpers/case';

const UG01 = 'public/doc-examples/iam-ug_01_sts-AssumeRole_by-IAMUser_line129.json';
const UG02 = 'public/doc-examples/iam-ug_02_sts-AssumeRole_by-AWSAccount_cross-account_line181.json';
const ID = 'dEXAMPLE-ac7f-466c-a608-4ac8dEXAMPLE';
/** What tells the two records apart in any rendering: their `credentials.expiration`. */
const EXPIRES_01 = 'Jul 18, 2023, 4:07:39 PM';
const EXPIRES_02 = 'Jul 18, 2014, 4:07:39 PM';

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;
const typeOf = (raw: string) => (JSON.parse(raw) as { userIdentity: { type: string } }).userIdentity.type;

describe('the real records iam-ug_01 and iam-ug_02, as published', () => {
  let db: Database;
  let q: CaseQueries;
  let casePath: string;
  let path01: string;
  let path02: string;

  beforeAll(async () => {
    const dir = tempDir('variants-real');
    path01 = join(dir, 'evidence', 'iam-ug_01.json');
    path02 = join(dir, 'evidence', 'iam-ug_02.json');
    put(dir, 'evidence/.keep', '');
    copyFileSync(referencePath(UG01), path01);
    copyFileSync(referencePath(UG02), path02);
    casePath = join(dir, 'case.db');
    db = openCase(casePath);
    await ingestEvidence(db, [path01, path02], { workers: 0 });
    correlate(db);
    q = new CaseQueries(db);
  });

  afterAll(() => db?.close());

  it('are two variants of one eventID: iam-ug_01 first', () => {
    const rows = eventsWithRaw(db).filter((e) => e.event_id === ID);
    expect(rows.map((r) => [r.variant, typeOf(r.raw)])).toEqual([
      [0, 'IAMUser'],
      [1, 'AWSAccount'],
    ]);
  });

  it('trace <eventID> is on variant 0 and lists the other record, where it was read from and how it differs', () => {
    const t = q.trace(ID)!;
    expect(t.event).toMatchObject({ variant: 0, variants: 2 });
    expect(t.event!.provenance.map((p) => p.path)).toEqual([path01]);
    expect(t.event!.otherVariants).toHaveLength(1);
    const other = t.event!.otherVariants[0]!;
    expect(other.variant).toBe(1);
    expect(other.provenance.map((p) => [p.path, p.recordIndex])).toEqual([[path02, 0]]);
    expect(other.differs).toContain('userIdentity');
    expect(other.differs).toContain('responseElements');
    expect(other.differs).not.toContain('eventID');
    expect(typeOf(other.raw)).toBe('AWSAccount');
    const text = traceText(t);
    expect(text).toContain(`eventID ${ID} — variant 0 of 2 different records under this eventID`);
    expect(text).toContain(`other record under this eventID: variant 1 from ${path02} #0; differs in `);
    expect(text).toContain(`(trace ${ID}#1)`);
    expect(t.attribution!.notes.join('\n')).toContain(`this is variant 0 (${path01} #0), the others: variant 1 (${path02} #0)`);
  });

  it('trace <eventID>#1 traces the other record, attributed on its own (as `attribute` lists it)', () => {
    const t = q.trace(`${ID}#1`)!;
    expect(t).not.toBeNull();
    expect(t.event).toMatchObject({ eventID: ID, variant: 1, variants: 2 });
    expect(t.event!.provenance.map((p) => p.path)).toEqual([path02]);
    expect(typeOf(t.event!.raw)).toBe('AWSAccount');
    expect(t.event!.otherVariants.map((o) => [o.variant, o.provenance[0]!.path])).toEqual([[0, path01]]);
    const listed = [...q.attributions()].filter((a) => a.eventID === ID);
    expect(listed).toHaveLength(2);
    expect(t.attribution).toMatchObject({ mechanism: listed[1]!.mechanism, principal: listed[1]!.principal, accessKeyId: listed[1]!.accessKeyId });
    expect(q.trace(`${ID}#0`)!.event!.raw).toBe(q.trace(ID)!.event!.raw);
    expect(q.trace(`${ID}#2`)).toBeNull();
  });

  it('the report is on the record asked for, says so, and shows the other record once', async () => {
    for (const [target, own, other] of [
      [ID, EXPIRES_01, EXPIRES_02],
      [`${ID}#1`, EXPIRES_02, EXPIRES_01],
    ] as const) {
      const html = (await exportReport(db, q, casePath, target, 'html', null)).body;
      expectNoExecutableMarkup(html);
      const text = visibleText(html);
      expect(text).toContain('Conflict. The bundle holds 2 different records under this eventID.');
      expect(text).toContain('The other records under this eventID');
      expect(occurrences(html, own)).toBe(1);
      expect(occurrences(html, other)).toBe(1);
      // The event's own record comes first under "The event", the other one after it.
      const event = text.slice(text.indexOf('The event'));
      expect(event.indexOf(own)).toBeLessThan(event.indexOf(other));
    }
    const json = JSON.parse((await exportReport(db, q, casePath, `${ID}#1`, 'json', null)).body) as ReportModel;
    expect(json.event).toMatchObject({ eventID: ID, variant: 1, variants: 2 });
    expect(json.event.provenance[0]!.path).toBe(path02);
    expect(json.event.otherVariants.map((o) => o.variant)).toEqual([0]);
    expect(json.files.map((f) => f.path).sort()).toEqual([path01, path02].sort());
    const csv = parseCsv((await exportReport(db, q, casePath, `${ID}#1`, 'csv', null)).body);
    expect(csv.find((r) => r[0] === 'event' && r[1] === 'variant')?.[2]).toMatch(/^1 of 2 different records/);
    expect(csv.find((r) => r[0] === 'event other record')).toEqual(['event other record', 'variant 0', expect.stringContaining(`${path01} #0; differs in `)]);
  });
});

/**
 * The same two records with the issued key made a temporary one (`ASIA…`, as STS issues; the published records
 * carry the caller's `AKIA…` key there), the role account's copy (iam-ug_02) ingested first so that it is variant
 * 0, and a call made with the issued key. The chain takes the caller's copy (iam-ug_01, variant 1): that is the
 * record its hops must cite.
 */
describe('a variant: the key issued is ASIA…, the role-account copy ingested first', () => {
  const KEY = 'ASIAQRSTUVWXYZEXAMPLE';
  const CALL = 'c0ffee00-0000-4000-8000-000000000001';
  let db: Database;
  let q: CaseQueries;
  let casePath: string;
  let path01: string;
  let path02: string;

  const withKey = (rel: string) => {
    const r = JSON.parse(readFileSync(referencePath(rel), 'utf8')) as { responseElements: { credentials: { accessKeyId: string } } };
    r.responseElements.credentials.accessKeyId = KEY;
    return JSON.stringify(r, null, 2);
  };

  beforeAll(async () => {
    const dir = tempDir('variants-asia');
    path02 = put(dir, 'first/iam-ug_02.json', withKey(UG02));
    path01 = put(dir, 'second/iam-ug_01.json', withKey(UG01));
    const call = put(
      dir,
      'second/call.json',
      JSON.stringify({
        eventVersion: '1.08',
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAQRSTUVWXYZEXAMPLE:JohnDoe-EC2-dev',
          arn: 'arn:aws:sts::111122223333:assumed-role/EC2-dev/JohnDoe-EC2-dev',
          accountId: '111122223333',
          accessKeyId: KEY,
        },
        eventTime: '2014-07-18T15:30:00Z',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        awsRegion: 'us-east-2',
        sourceIPAddress: '192.0.2.101',
        userAgent: 'aws-cli/1.11.10 Python/2.7.8',
        eventID: CALL,
        recipientAccountId: '111122223333',
      }),
    );
    casePath = join(dir, 'case.db');
    db = openCase(casePath);
    await ingestEvidence(db, [path02], { workers: 0 });
    await ingestEvidence(db, [path01, call], { workers: 0 });
    correlate(db);
    q = new CaseQueries(db);
  });

  afterAll(() => db?.close());

  it('variant 0 is the role-account copy (AWSAccount), variant 1 the caller’s (IAMUser)', () => {
    const t = q.trace(ID)!;
    expect(t.event!.provenance[0]!.path).toBe(path02);
    expect(typeOf(t.event!.raw)).toBe('AWSAccount');
    expect(t.event!.otherVariants.map((o) => [o.variant, o.provenance[0]!.path])).toEqual([[1, path01]]);
  });

  it('the key-issuance hop of a call made with the key cites the caller’s copy the chain used, then the other copy', () => {
    const t = q.trace(CALL)!;
    const hop = t.hops.find((h) => h.rule === 'key-issuance')!;
    expect(hop, 'the call is linked to the AssumeRole by its key').toBeDefined();
    // The claim is the caller's copy's (its window); iam-ug_02's record says the key expired at 16:07:39.
    expect(hop.claim).toContain(KEY);
    expect(hop.claim).not.toContain('2014-07-18T16:07:39');
    expect(hop.records.map((r) => [r.id, r.variant, r.provenance[0]!.path])).toEqual([
      [ID, 1, path01],
      [ID, 0, path02],
    ]);
    expect(typeOf(hop.records[0]!.raw)).toBe('IAMUser');
    expect(hop.records[0]!.variantNote).toContain('this hop rests on variant 1');
    expect(hop.records[1]!.variantNote).toContain('the claim rests on variant 1');
    const text = traceText(t);
    expect(text).toContain(`${ID} (variant 1 of 2) — ${path01} #0`);
    expect(text).toContain('this hop rests on variant 1');
  });

  it('the role-account copy’s own trace: “the same call as logged in the caller’s account” cites that copy, not itself', () => {
    const t = q.trace(ID)!;
    const citing = t.hops.filter((h) => h.records.some((r) => r.id === ID));
    expect(citing.length).toBeGreaterThan(0);
    for (const h of citing) {
      const first = h.records.find((r) => r.id === ID)!;
      expect([first.variant, first.provenance[0]!.path, typeOf(first.raw)], h.claim).toEqual([1, path01, 'IAMUser']);
      expect(first.raw).not.toBe(t.event!.raw);
    }
    const principal = citing.find((h) => h.claim.includes("logged in the caller's account"));
    expect(principal, 'the principal hop through the caller’s copy').toBeDefined();
    expect(principal!.records).toHaveLength(1);
    expect(principal!.records[0]!.otherVariants!.map((o) => [o.variant, o.provenance[0]!.path])).toEqual([[0, path02]]);
  });

  it('the reports cite the same records, each raw record once, and come out the same twice', async () => {
    for (const target of [CALL, ID]) {
      const one = await exportReport(db, q, casePath, target, 'html', null);
      const two = await exportReport(db, q, casePath, target, 'html', null);
      expect(two.body).toBe(one.body);
      expectNoExecutableMarkup(one.body);
      expect(occurrences(one.body, EXPIRES_01), target).toBe(1);
      expect(occurrences(one.body, EXPIRES_02), target).toBe(1);
      expect(visibleText(one.body)).toContain('this hop rests on variant 1');
    }
    const csv = parseCsv((await exportReport(db, q, casePath, CALL, 'csv', null)).body);
    expect(csv.filter((r) => r[0] === 'hop 1 record').map((r) => r[1])).toEqual([`${ID} variant 1 of 2`, `${ID} variant 0 of 2`]);
    expect(csv.find((r) => r[0] === 'hop 1 record')![2]).toContain(`${path01} #0; 2 different records share this eventID; this hop rests on variant 1`);
  });
});
