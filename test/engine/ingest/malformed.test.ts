/**
 * Malformed and hostile evidence, end to end into a case: records that change types, JSON cut mid-record (a
 * trail file and JSON Lines), duplicate keys, very large fields. Every case must give an error that names the
 * file and the record (index, and the byte offset where the structure broke), and lose nothing from the good
 * files of the same ingest. The older cases (not gzip, truncated gzip, bombs, invalid UTF-8, deep nesting,
 * missing fields) are in parse-file.test.ts, ingest.test.ts and cli.test.ts; archives and links in archives.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence, type IngestSummary } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { DEFAULT_PARSE_LIMITS, EvidenceError, parseEvidence } from '../../../electron/engine/ingest/parse-file';
import { findDuplicateKey } from '../../../electron/engine/ingest/duplicate-keys';
import { CloudTrailRecord, normalizeRecord } from '../../../electron/engine/ingest/normalize';
import type { JsonObject } from '../../../electron/engine/util/json';
import { generateBundle } from '../../generator';
import { apiRecord, lookupEvents, put, sha256, tempDir, trailJson } from '../../helpers/evidence';
import { loadRecord, REPO } from '../../helpers/reference';
import { count, expectConsistent, outcomeOf, rawOf } from '../../helpers/case';

/** A good file loaded beside every malformed one: it must always load whole. */
const GOOD = Array.from({ length: 5 }, (_, i) => apiRecord(`good-${i}`));

interface Loaded {
  db: Database;
  summary: IngestSummary;
  dir: string;
  path: (rel: string) => string;
}

/** Write the files (and the good one) into a fresh folder and ingest it into a fresh case. */
async function ingestFiles(files: Record<string, string | Buffer>, workers = 0): Promise<Loaded> {
  const dir = tempDir('malformed');
  const ev = join(dir, 'ev');
  put(ev, 'good.json', trailJson(GOOD));
  for (const [rel, data] of Object.entries(files)) put(ev, rel, data);
  const db = openCase(join(dir, 'case.db'));
  const summary = await ingestEvidence(db, [ev], { workers });
  // Nothing is lost from the good file, whatever happened to the others.
  expect(outcomeOf(summary, join(ev, 'good.json'))).toMatchObject({ status: 'loaded', records: GOOD.length, rejected: 0 });
  for (const r of GOOD) expect(count(db, 'SELECT COUNT(*) FROM events WHERE event_id = ?', r.eventID)).toBe(1);
  expectConsistent(db);
  return { db, summary, dir, path: (rel) => join(ev, rel) };
}

const stringify = (r: unknown) => JSON.stringify(r);

describe('records that change types', () => {
  it.each([
    ['userIdentity a string', { userIdentity: 'root' }, /^userIdentity: Invalid input: expected object, received string$/],
    ['userIdentity an array', { userIdentity: [{ type: 'Root' }] }, /^userIdentity: /],
    ['eventTime a number (epoch seconds)', { eventTime: 1709287200 }, /^eventTime: expected ISO 8601 .*; found the number 1709287200$/],
    ['eventTime an object', { eventTime: { $date: '2024-03-01T10:00:00Z' } }, /^eventTime: expected ISO 8601 .*; found an object with keys "\$date"$/],
    ['eventName an array', { eventName: ['GetObject'] }, /^eventName: missing or not a string$/],
    ['eventSource null', { eventSource: null }, /^eventSource: missing or not a string$/],
    ['eventID a number', { eventID: 12345678901234567890 }, /^eventID: /],
    ['sourceIPAddress an object', { sourceIPAddress: { ip: '1.2.3.4' } }, /^sourceIPAddress: /],
    // Documented as polymorphic (objects, strings like HIDDEN_DUE_TO_SECURITY_REASONS, null): kept, raw and whole.
    ['requestParameters an array', { requestParameters: [{ a: 1 }, 'b'] }, null],
    ['requestParameters a string', { requestParameters: 'HIDDEN_DUE_TO_SECURITY_REASONS' }, null],
    ['responseElements a number', { responseElements: 42 }, null],
    ['userIdentity.sessionContext a string', { userIdentity: { type: 'AssumedRole', sessionContext: 'x' } }, null],
    ['userIdentity.accessKeyId a number', { userIdentity: { type: 'IAMUser', accessKeyId: 7 } }, null],
    ['readOnly a string that is not a boolean', { readOnly: 'maybe' }, null],
  ] as const)('%s', async (_label, over, rejected) => {
    const bad = apiRecord('typed-1', over as Record<string, unknown>);
    const { db, summary, path } = await ingestFiles({ 'typed.json': trailJson([apiRecord('typed-0'), bad, apiRecord('typed-2')]) });
    const outcome = outcomeOf(summary, path('typed.json'));
    expect(outcome.status).toBe('loaded');
    if (rejected) {
      expect(outcome.recordErrors).toEqual([{ recordIndex: 1, message: expect.stringMatching(rejected) }]);
      expect(db.prepare('SELECT event_id FROM events WHERE event_id LIKE ? ORDER BY event_id').pluck().all('typed-%')).toEqual(['typed-0', 'typed-2']);
    } else {
      expect(outcome.recordErrors).toEqual([]);
      const raw = rawOf(db, 'typed-1')!;
      expect(raw).toBe(stringify(bad));
    }
    // Correlation reads the kept records null-safely.
    expect(correlate(db).events).toBe(count(db, 'SELECT COUNT(*) FROM events'));
    db.close();
  });

  it('a record is refused exactly when the record schema refuses it (the check in place agrees with zod)', () => {
    const fields = ['eventSource', 'eventName', 'eventID', 'awsRegion', 'recipientAccountId', 'sourceIPAddress', 'userAgent', 'errorCode', 'userIdentity'];
    const values: unknown[] = [undefined, null, '', 'x', 0, 7, false, true, {}, { type: 'Root' }, [], ['x'], [{ a: 1 }]];
    let refused = 0;
    for (const field of fields) {
      for (const value of values) {
        const record: Record<string, unknown> = { ...apiRecord('schema-1') };
        if (value === undefined) delete record[field];
        else record[field] = value;
        const raw = JSON.stringify(record);
        const parsed = JSON.parse(raw) as unknown;
        const expected = CloudTrailRecord.safeParse(parsed);
        let message: string | null = null;
        try {
          normalizeRecord(parsed, raw, 0, { parsed: true });
        } catch (err) {
          message = (err as Error).message;
        }
        const label = `${field} = ${JSON.stringify(value)}`;
        if (expected.success) expect(message, label).toBeNull();
        else {
          refused++;
          expect(message, label).toBe(`${expected.error.issues[0]!.path.join('.')}: ${expected.error.issues[0]!.message}`);
        }
      }
    }
    expect(refused).toBeGreaterThan(50);
  });

  it.each([
    ['an object', '{"Records":{"0":' + stringify(apiRecord('x')) + '}}'],
    ['a string', '{"Records":"[]"}'],
    ['null', '{"Records":null}'],
  ])('a file whose Records is %s is reported as its record 0, and nothing of it is loaded', async (_label, text) => {
    const { db, summary, path } = await ingestFiles({ 'records.json': text });
    expect(outcomeOf(summary, path('records.json'))).toMatchObject({
      records: 0,
      newEvents: 0,
      recordErrors: [{ recordIndex: 0, message: expect.stringMatching(/^not a recognised evidence shape \(expected .*\{"Records":\[…\]\}/) }],
    });
    expect(summary.newEvents).toBe(GOOD.length);
    db.close();
  });
});

/** One record of each kind the chain rules read, from the generator and the real seed records. */
function chainRecords(): JsonObject[] {
  const dir = tempDir('gen');
  generateBundle({ outDir: join(dir, 'b'), events: 400, seed: 'malformed', hours: 1 });
  const byKind = new Map<string, JsonObject>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\/CloudTrail\/.*\.json\.gz$/.test(p)) {
        for (const r of (JSON.parse(gunzipSync(readFileSync(p)).toString('utf8')) as { Records: JsonObject[] }).Records) {
          const ui = (r.userIdentity ?? {}) as JsonObject;
          const kind = `${String(r.eventName)}|${String(ui.type)}|${String(ui.invokedBy)}`;
          if (!byKind.has(kind)) byKind.set(kind, r);
        }
      }
    }
  };
  walk(join(dir, 'b'));
  const seeds = ['000-01-GetSecretValue', '000-02-AssumeRoleWithWebIdentity', '000-04-AssumeRole', '001-05-AssumeRoleForPodIdentity', '001-07-AssumeRole'].map(
    (n) => loadRecord(`seed-examples/${n}.json`),
  );
  return [...seeds, ...byKind.values()];
}

/** Every key path of a record down to `depth`, through objects only. */
function paths(value: unknown, depth: number, prefix: string[] = []): string[][] {
  if (depth === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const out: string[][] = [];
  for (const [k, v] of Object.entries(value)) {
    out.push([...prefix, k], ...paths(v, depth - 1, [...prefix, k]));
  }
  return out;
}

function mutated(record: JsonObject, path: string[], value: unknown, id: string): JsonObject {
  const copy = structuredClone(record);
  copy.eventID = id;
  let o = copy as Record<string, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[path[path.length - 1]!] = value;
  return copy;
}

/** What the normaliser must do with a field set to a value of another type: keep the record, or refuse it naming the field. */
function expectedRejection(path: string[], value: unknown): string | null {
  const [top] = path;
  if (path.length === 1 && ['eventTime', 'eventSource', 'eventName'].includes(top!) && typeof value !== 'string') return top!;
  if (path.length === 1 && top === 'eventTime') return 'eventTime'; // a string, but not an ISO 8601 UTC time
  const optionalStrings = ['eventID', 'awsRegion', 'recipientAccountId', 'sourceIPAddress', 'userAgent', 'errorCode'];
  if (path.length === 1 && optionalStrings.includes(top!) && value !== null && typeof value !== 'string') return top!;
  if (path.length === 1 && top === 'userIdentity' && value !== null && (typeof value !== 'object' || Array.isArray(value))) return top;
  return null;
}

describe('every field of the records the chain rules read, set to another type', () => {
  const records = chainRecords();
  const kinds: [string, unknown][] = [
    ['null', null],
    ['a hostile string', '<img src=x onerror=alert(1)> HIDDEN_DUE_TO_SECURITY_REASONS'],
    ['a 20-digit number', 12345678901234567890],
    ['an array', [1, 'two', { three: 3 }]],
    ['an object', { nested: { deeper: ['x'] } }],
    ['a boolean', true],
  ];

  it('covers the chain records (IRSA, Pod Identity, node role, role chaining, eks-auth)', () => {
    const names = new Set(records.map((r) => r.eventName));
    for (const n of ['AssumeRoleWithWebIdentity', 'AssumeRole', 'AssumeRoleForPodIdentity', 'GetSecretValue']) expect(names).toContain(n);
    expect(records.length).toBeGreaterThan(15);
  });

  it.each(kinds)('as %s: each record is kept or refused naming the field; correlation completes', async (_label, value) => {
    const cases: { path: string[]; reject: string | null }[] = [];
    const out: JsonObject[] = [];
    records.forEach((r, ri) => {
      for (const p of paths(r, 4)) {
        out.push(mutated(r, p, value, `mut-${ri}-${p.join('.')}`));
        cases.push({ path: p, reject: expectedRejection(p, value) });
      }
    });
    // The unmutated records too, so that mutated copies sit beside the chains they would break.
    const { db, summary, path } = await ingestFiles({ 'chain.json': trailJson(records), 'mutated.json': trailJson(out) });
    const outcome = outcomeOf(summary, path('mutated.json'));
    const expected = cases.flatMap((c, i) => (c.reject ? [{ recordIndex: i, field: c.reject }] : []));
    expect(outcome.recordErrors.map((e) => e.recordIndex)).toEqual(expected.map((e) => e.recordIndex));
    outcome.recordErrors.forEach((e, k) => expect(e.message.startsWith(`${expected[k]!.field}:`), e.message).toBe(true));
    expect(outcome.records).toBe(out.length - expected.length);
    expect(outcomeOf(summary, path('chain.json')).rejected).toBe(0);
    // The chain rules, the IRSA and Pod Identity joins and the detections read every kept record without throwing.
    expect(correlate(db).events).toBe(count(db, 'SELECT COUNT(*) FROM events'));
    db.close();
  });
});

describe('JSON cut mid-record', () => {
  const records = Array.from({ length: 6 }, (_, i) => apiRecord(`cut-${i}`, { userAgent: `agent "${i}" {[` }));
  const trail = trailJson(records);
  const starts = records.map((r) => trail.indexOf(stringify(r)));

  it.each([
    ['inside a string', starts[3]! + 40],
    ['between two keys', trail.indexOf(',"eventTime"', starts[4]!) + 1],
    ['just after the opening brace', starts[2]! + 1],
  ])('a trail file cut %s fails whole, naming the record and where it starts', async (_label, at) => {
    const cutIn = starts.findLastIndex((s) => s < at);
    const { db, summary, path } = await ingestFiles({ 'cut.json': trail.slice(0, at) });
    const outcome = outcomeOf(summary, path('cut.json'));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(new RegExp(`^not valid JSON at byte ${at}: JSON ends early inside record ${cutIn} \\(which starts at byte ${starts[cutIn]}\\)`));
    // A truncated trail is refused whole, like a truncated gzip: nothing of it is in the case.
    expect(count(db, "SELECT COUNT(*) FROM events WHERE event_id LIKE 'cut-%'")).toBe(0);
    db.close();
  });

  it('a trail cut between records names the last complete record', async () => {
    const at = starts[4]!; // just after the comma that follows record 3
    const { summary, path, db } = await ingestFiles({ 'cut.json': trail.slice(0, at) });
    expect(outcomeOf(summary, path('cut.json')).error).toBe(`not valid JSON at byte ${at}: JSON ends early after record 3, the record array not closed: 2 unclosed bracket(s)`);
    db.close();
  });

  const lines = records.map(stringify);
  it.each([
    ['its last line cut inside a string', [...lines.slice(0, 5), lines[5]!.slice(0, 60)], [5]],
    ['its last line cut between keys', [...lines.slice(0, 5), lines[5]!.slice(0, lines[5]!.indexOf(',"eventTime"'))], [5]],
    ['a middle line cut inside a string', [lines[0]!, lines[1]!.slice(0, 50), ...lines.slice(2)], [1]],
    ['a middle line cut outside a string', [lines[0]!, lines[1]!.slice(0, lines[1]!.indexOf(',"eventTime"')), ...lines.slice(2)], [1]],
    ['two cut lines and a line of garbage', [lines[0]!, lines[1]!.slice(0, 50), 'garbage "x" {', lines[3]!, lines[4]!.slice(0, 9), lines[5]!], [1, 2, 4]],
  ] as const)('JSON Lines with %s: only those lines fail, by index; every other line loads', async (_label, fileLines, bad) => {
    const { db, summary, path } = await ingestFiles({ 'cut.jsonl': fileLines.join('\n') });
    const outcome = outcomeOf(summary, path('cut.jsonl'));
    expect(outcome).toMatchObject({ status: 'loaded', format: 'jsonl' });
    expect(outcome.recordErrors).toEqual(bad.map((i) => ({ recordIndex: i, message: expect.stringMatching(/^not valid JSON: /) })));
    const loaded = fileLines.map((_, i) => i).filter((i) => !(bad as readonly number[]).includes(i));
    // Each good line is stored under its own record index: nothing after a bad line shifted or vanished.
    const prov = db
      .prepare("SELECT e.event_id, s.record_index FROM events e JOIN event_sources s ON s.event_rowid = e.id JOIN evidence_files f ON f.id = s.file_id WHERE f.path = ? ORDER BY s.record_index")
      .all(path('cut.jsonl'));
    expect(prov).toEqual(loaded.map((i) => ({ event_id: `cut-${i}`, record_index: i })));
    db.close();
  });
});

describe('duplicate keys', () => {
  /** A record's text with `"key":value` inserted right after the first occurrence of `after`. */
  function withDuplicate(record: JsonObject, after: string, insert: string): string {
    const text = stringify(record);
    const at = text.indexOf(after);
    expect(at, `${after} in the record`).toBeGreaterThan(-1);
    return text.slice(0, at + after.length) + insert + text.slice(at + after.length);
  }
  const sts = apiRecord('dup-sts', {
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:pod',
      arn: 'arn:aws:sts::111122223333:assumed-role/pod-role/pod',
      accessKeyId: 'ASIAFIRSTKEY0000001',
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/pod-role' }, attributes: { mfaAuthenticated: 'false' } },
    },
    responseElements: { credentials: { accessKeyId: 'ASIAISSUEDKEY000001', expiration: 'Mar 1, 2024, 11:00:00 AM' } },
  });

  it.each([
    ['a top-level field', '"eventName":"AssumeRole"', ',"eventName":"GetCallerIdentity"', 'eventName'],
    ['userIdentity.accessKeyId', '"accessKeyId":"ASIAFIRSTKEY0000001"', ',"accessKeyId":"ASIAOTHERKEY0000002"', 'userIdentity.accessKeyId'],
    ['userIdentity.type', '"type":"AssumedRole"', ',"type":"Root"', 'userIdentity.type'],
    ['sessionContext.sessionIssuer.arn', '"arn":"arn:aws:iam::111122223333:role/pod-role"', ',"arn":"arn:aws:iam::999999999999:role/x"', 'userIdentity.sessionContext.sessionIssuer.arn'],
    ['responseElements.credentials.accessKeyId (the issued key)', '"accessKeyId":"ASIAISSUEDKEY000001"', ',"accessKeyId":"ASIAOTHERKEY0000003"', 'responseElements.credentials.accessKeyId'],
    ['a key written with escapes (event\\u004eame)', '"eventName":"AssumeRole"', ',"event\\u004eame":"GetCallerIdentity"', 'eventName'],
    ['the same value twice', '"eventName":"AssumeRole"', ',"eventName":"AssumeRole"', 'eventName'],
  ])('%s: the record is refused, naming the key; the rest of the file loads', async (_label, after, insert, key) => {
    const text = withDuplicate(sts, after, insert);
    // JSON.parse alone would have accepted it silently, keeping the last value.
    expect(() => JSON.parse(text)).not.toThrow();
    const file = `{"Records":[${stringify(apiRecord('dup-0'))},${text},${stringify(apiRecord('dup-2'))}]}`;
    const jsonl = [stringify(apiRecord('dupl-0')), text.replace('dup-sts', 'dupl-sts'), stringify(apiRecord('dupl-2'))].join('\n');
    const lookup = lookupEvents([apiRecord('dupk-0')], () => text.replace('dup-sts', 'dupk-sts'));
    const { db, summary, path } = await ingestFiles({ 'dup.json': file, 'dup.jsonl': jsonl, 'lookup.json': lookup });
    const message = `duplicate key "${key}": JSON readers disagree on its value (JSON.parse keeps the last one), so the record is refused`;
    expect(outcomeOf(summary, path('dup.json')).recordErrors).toEqual([{ recordIndex: 1, message }]);
    expect(outcomeOf(summary, path('dup.jsonl')).recordErrors).toEqual([{ recordIndex: 1, message }]);
    expect(outcomeOf(summary, path('lookup.json')).recordErrors).toEqual([{ recordIndex: 0, message }]);
    expect(db.prepare("SELECT event_id FROM events WHERE event_id LIKE 'dup%' ORDER BY event_id").pluck().all()).toEqual(['dup-0', 'dup-2', 'dupl-0', 'dupl-2']);
    // Neither key of the disputed record reached the chain tables.
    expect(count(db, "SELECT COUNT(*) FROM events WHERE access_key_id LIKE 'ASIA%KEY%'")).toBe(0);
    db.close();
  });

  it('the same key in sibling objects, arrays of objects and repeated records is not a duplicate', () => {
    expect(findDuplicateKey(stringify(sts))).toBeNull();
    expect(findDuplicateKey('{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}],"d":[[{"k":1}],{"k":{"k":1}}],"s":"\\"k\\":1,\\"k\\""}')).toBeNull();
    expect(findDuplicateKey('{"c":[{"k":1},{"k":2,"x":{"y":1,"y":2}}]}')).toBe('c[1].x.y');
    // Keys past the short-list threshold are tracked in a set.
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    expect(findDuplicateKey(stringify(many))).toBeNull();
    expect(findDuplicateKey(stringify(many).replace(/}$/, ',"k57":0}'))).toBe('k57');
  });

  it('an EKS audit event with a repeated user.username is refused, naming it', async () => {
    const audit = (id: string, user: string) =>
      `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"${id}","stage":"ResponseComplete","requestURI":"/api/v1/pods","verb":"list","user":${user},"sourceIPs":["10.0.0.1"],"stageTimestamp":"2024-03-01T10:00:00.000000Z"}`;
    const text = [audit('a-0', '{"username":"alice"}'), audit('a-1', '{"username":"system:node:x","username":"alice"}'), audit('a-2', '{"username":"bob"}')].join('\n');
    const { db, summary, path } = await ingestFiles({ 'audit.jsonl': text });
    expect(outcomeOf(summary, path('audit.jsonl')).recordErrors).toEqual([{ recordIndex: 1, message: expect.stringMatching(/^duplicate key "user\.username"/) }]);
    expect(db.prepare('SELECT audit_id FROM k8s_audit ORDER BY audit_id').pluck().all()).toEqual(['a-0', 'a-2']);
    db.close();
  });

  it('a "__proto__" key is kept as data and pollutes nothing', async () => {
    const text = stringify(apiRecord('proto-1')).replace(/}$/, ',"__proto__":{"polluted":true},"requestParameters2":{"__proto__":{"x":1}}}');
    const { db, summary, path } = await ingestFiles({ 'proto.json': `{"Records":[${text}]}` });
    expect(outcomeOf(summary, path('proto.json'))).toMatchObject({ records: 1, rejected: 0 });
    expect(rawOf(db, 'proto-1')).toBe(text);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    correlate(db);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    db.close();
  });
});

describe('very large values', () => {
  const MiB = 1024 * 1024;

  it('a 1 MiB user agent and a 1 MiB request parameter load whole, across read-chunk boundaries', async () => {
    // Files are read in 1 MiB chunks: each large value here straddles at least one chunk boundary.
    const ua = 'u'.repeat(MiB);
    const big = apiRecord('big-1', { userAgent: ua, requestParameters: { policy: 'p\\"{['.repeat(MiB / 5) } });
    const records = [apiRecord('big-0'), big, apiRecord('big-2', { userAgent: `é${'ü'.repeat(MiB / 2)}` })];
    const { db, summary, path } = await ingestFiles({
      'big.json': trailJson(records),
      'big-lookup.json': lookupEvents([apiRecord('bigl-1', { userAgent: ua })]),
    });
    expect(outcomeOf(summary, path('big.json'))).toMatchObject({ records: 3, rejected: 0 });
    expect(outcomeOf(summary, path('big-lookup.json'))).toMatchObject({ records: 1, rejected: 0 });
    expect(db.prepare("SELECT length(user_agent) FROM events_v WHERE event_id IN ('big-1', 'bigl-1')").pluck().all()).toEqual([MiB, MiB]);
    expect(rawOf(db, 'big-1')).toBe(stringify(big));
    expect(db.prepare("SELECT user_agent FROM events_v WHERE event_id = 'big-2'").pluck().get()).toBe(records[2]!.userAgent);
    expect(sha256(readFileSync(path('big.json')))).toBe(db.prepare('SELECT sha256 FROM evidence_files WHERE path = ?').pluck().get(path('big.json')));
    db.close();
  });

  it('a record over the size cap fails its file with the record index and where it starts', async () => {
    const records = [apiRecord('cap-0'), apiRecord('cap-1', { userAgent: 'x'.repeat(4096) }), apiRecord('cap-2')];
    const text = trailJson(records);
    const limits = { ...DEFAULT_PARSE_LIMITS, maxValueBytes: 2048 };
    const start = text.indexOf(stringify(records[1]));
    const end = start + stringify(records[1]).length;
    await expect(parseEvidence({ bytes: Buffer.from(text) }, { rows: async () => {} }, limits)).rejects.toThrow(
      new EvidenceError(`not valid JSON at byte ${end}: record 1 (which starts at byte ${start}) is larger than 2048 bytes`),
    );
  });
});

describe('the command line names the file and the record', () => {
  it('exits 2, prints each bad file with the record index or byte offset, and loads every good record', () => {
    const dir = tempDir('malformed-cli');
    const ev = join(dir, 'ev');
    const goodPath = put(ev, 'good.json', trailJson(GOOD));
    const trail = trailJson([apiRecord('c-0'), apiRecord('c-1')]);
    const cut = put(ev, 'cut.json', trail.slice(0, trail.length - 30));
    const typed = put(ev, 'typed.json', trailJson([apiRecord('t-0'), apiRecord('t-1', { userIdentity: 'root' })]));
    const lines = put(ev, 'lines.jsonl', `${stringify(apiRecord('l-0'))}\n${stringify(apiRecord('l-1')).slice(0, 30)}\n${stringify(apiRecord('l-2'))}\n`);
    const dup = put(ev, 'dup.json', `{"Records":[${stringify(apiRecord('d-0')).replace('"eventName":"ListBuckets"', '"eventName":"ListBuckets","eventName":"DeleteBucket"')}]}`);
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'podtrail.js'), 'ingest', '--quiet', '--case', join(dir, 'case.db'), ev], { encoding: 'utf8', timeout: 300_000, killSignal: 'SIGKILL' });
    expect(r.status, r.stderr).toBe(2);
    const at = trail.length - 30;
    expect(r.stdout).toContain(`${cut}: not valid JSON at byte ${at}: JSON ends early inside record 1 (which starts at byte ${trail.indexOf('{"eventVersion"', 20)})`);
    expect(r.stdout).toContain(`${typed} record 1: userIdentity: Invalid input: expected object, received string`);
    expect(r.stdout).toMatch(new RegExp(`${lines.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} record 1: not valid JSON: `));
    expect(r.stdout).toContain(`${dup} record 0: duplicate key "eventName"`);
    const db = openCase(join(dir, 'case.db'), { mustExist: true });
    expect(db.prepare('SELECT event_id FROM events ORDER BY event_id').pluck().all()).toEqual([...GOOD.map((g) => g.eventID), 'l-0', 'l-2', 't-0'].sort());
    expect(db.prepare("SELECT status FROM evidence_files WHERE path = ?").pluck().get(goodPath)).toBe('complete');
    db.close();
  });
});
