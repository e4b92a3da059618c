/**
 * A trail record's row read from its bytes by the WebAssembly walk (ingest/record-fields.ts) must be the row
 * `normalizeRecord` makes of `JSON.parse` of the same text, and every record the walk accepts must be one `JSON.parse`
 * accepts: a record it gets wrong is a wrong column (a key, a principal, a time) that every answer reads. Checked on
 * the generator's bundles, on the public records in test/fixtures, and on many mutations of them (bytes inserted,
 * deleted and replaced with JSON's own characters, keys repeated at every depth, keys and values written with escapes,
 * values of other types, white space, numbers and literals of every form). Where the walk declines, the parse reads
 * the record as before (parse-file.ts): those records are counted here, so that "declined" cannot pass for "right".
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fastRecordRow, MAX_FAST_BYTES, recordFieldsTuning, trailRecords, trailRow } from '../../../electron/engine/ingest/record-fields';
import { DEFAULT_PARSE_LIMITS, parseEvidence, type ParseLimits } from '../../../electron/engine/ingest/parse-file';
import { normalizeRecord, type EventRow } from '../../../electron/engine/ingest/normalize';
import { columnSpans, packRows } from '../../../electron/engine/ingest/raw-blocks';
import { generateBundle } from '../../generator';
import { Rng } from '../../generator/rng';
import { apiRecord, tempDir, trailJson } from '../../helpers/evidence';

/** What the slow path makes of the text: its row, or that it refuses it (not JSON, or not a record it takes). */
function slowRow(text: string, index: number): EventRow | 'refused' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'refused';
  }
  try {
    return normalizeRecord(value, text, index, { parsed: true, bytes: Buffer.from(text, 'utf8') });
  } catch {
    return 'refused';
  }
}

function fastRow(text: string, index: number): EventRow | null {
  return fastRecordRow(Buffer.from(text, 'utf8'), text, index);
}

/** Whether two rows are the same (toEqual's deep walk, with its diff, is slow over tens of thousands of rows). */
function sameRow(a: EventRow, b: EventRow): boolean {
  const keys = Object.keys(a) as (keyof EventRow)[];
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y) ? !x.equals(y) : !Object.is(x, y)) return false;
  }
  return true;
}

/** The row without the column spans the walk found (checked apart: `expectSpans`). */
function withoutSpans(row: EventRow): EventRow {
  const { columnSpans: _spans, ...rest } = row;
  return rest;
}

/** How the walk's column spans came out, over a test (`expectSpans`). */
const spanCounts = { found: 0, none: 0, searched: 0 };

/**
 * The column spans the walk found (record-fields.ts `columnSpansOf`) against those packing finds by searching the
 * text (raw-blocks.ts `columnSpans`): the same values, in the order of the text, each written as `"<key>":"<value>"`
 * (the search may find an earlier string of the same value: the filter is the same set of tokens).
 */
function expectSpans(row: EventRow, text: string): void {
  const known = row.columnSpans;
  if (known === undefined) {
    spanCounts.searched++;
    return;
  }
  const searched = columnSpans(row.raw, Buffer.byteLength(row.raw, 'utf8'), withoutSpans(row));
  if (known === null) {
    spanCounts.none++;
    expect(searched, text).toBeUndefined();
    return;
  }
  spanCounts.found++;
  const values = (spans: number[]): string[] => {
    const out: string[] = [];
    for (let k = 0; k < spans.length; k += 2) {
      if (k > 0) expect(spans[k]!, text).toBeGreaterThan(spans[k - 1]!);
      expect(row.raw.slice(spans[k]! - 3, spans[k]), text).toBe('":"');
      expect(row.raw[spans[k + 1]!], text).toBe('"');
      out.push(row.raw.slice(spans[k], spans[k + 1]));
    }
    return out.sort();
  };
  expect(values(known), text).toEqual(values(searched ?? []));
}

/** The two rows, compared cheaply; on a difference, by toEqual (which names it). The fast row's spans apart. */
function expectSame(fast: EventRow | null, slow: EventRow | 'refused', text: string): void {
  if (fast !== null) {
    expectSpans(fast, text);
    fast = withoutSpans(fast);
  }
  if (fast !== null && slow !== 'refused' && sameRow(fast, slow)) return;
  expect(fast, text).toEqual(slow);
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** The records of a trail file, a lookup-events export's inner records, or a single record, as compact JSON. */
function recordsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(recordsOf);
  if (value === null || typeof value !== 'object') return [];
  const o = value as Record<string, unknown>;
  if (Array.isArray(o.Records)) return o.Records;
  if (Array.isArray(o.Events)) return o.Events.flatMap((e) => (typeof (e as { CloudTrailEvent?: unknown }).CloudTrailEvent === 'string' ? [JSON.parse((e as { CloudTrailEvent: string }).CloudTrailEvent)] : []));
  return 'eventName' in o ? [o] : [];
}

const generated: string[] = [];
/** The generator's trail files, decompressed. */
const generatedFiles: Buffer[] = [];
function generatedRecords(): string[] {
  if (generated.length > 0) return generated;
  const dir = tempDir();
  for (const [seed, k8s] of [
    [3, false],
    [71, true],
    [4242, false],
  ] as const) {
    const out = generateBundle({ outDir: join(dir, `b${seed}`), events: 1500, seed, k8s }).outDir;
    for (const f of walk(out)) {
      if (!f.endsWith('.json.gz') || !f.includes('CloudTrail')) continue;
      const data = gunzipSync(readFileSync(f));
      generatedFiles.push(data);
      for (const r of recordsOf(JSON.parse(data.toString('utf8')))) generated.push(JSON.stringify(r));
    }
  }
  return generated;
}

function publicRecords(): string[] {
  const out: string[] = [];
  for (const f of walk(join(__dirname, '../../fixtures/reference/public'))) {
    if (!f.endsWith('.json') && !f.endsWith('.jsonl')) continue;
    const text = readFileSync(f, 'utf8');
    const values: unknown[] = [];
    try {
      values.push(JSON.parse(text));
    } catch {
      for (const line of text.split('\n')) {
        try {
          values.push(JSON.parse(line));
        } catch {
          // a file kept invalid on purpose, or a line that is not JSON: nothing to compare
        }
      }
    }
    for (const v of values) for (const r of recordsOf(v)) out.push(JSON.stringify(r));
  }
  return out;
}

describe('record fields read from the bytes (WebAssembly) against JSON.parse', () => {
  it('reads every plain generated record, the same row as normalizeRecord', () => {
    const records = generatedRecords();
    expect(records.length).toBeGreaterThan(3000);
    let insights = 0;
    const counted = { ...spanCounts };
    records.forEach((text, i) => {
      const slow = slowRow(text, i);
      const fast = fastRow(text, i);
      if (/"eventType":"AwsCloudTrailInsight"/.test(text)) {
        insights++;
        expect(fast).toBeNull();
        return;
      }
      expect(slow).not.toBe('refused');
      expectSame(fast, slow, text);
    });
    expect(insights).toBeLessThan(records.length / 10);
    // Compact ASCII records: the walk gave the spans of every one (a few generated values are not ASCII).
    expect(spanCounts.found - counted.found).toBeGreaterThan(records.length * 0.9);
  }, 120_000);

  it('reads the public records as normalizeRecord does, with their own spacing and key order', () => {
    const records = publicRecords();
    expect(records.length).toBeGreaterThan(100);
    let read = 0;
    const counted = { ...spanCounts };
    records.forEach((text, i) => {
      // Their compact form and the files' own indented one.
      for (const t of [text, JSON.stringify(JSON.parse(text), null, 2)]) {
        const slow = slowRow(t, i);
        const fast = fastRow(t, i);
        if (fast === null) continue;
        read++;
        expectSame(fast, slow, t);
      }
    });
    expect(read).toBeGreaterThan(records.length * 1.5);
    // Compact, the walk gives the spans; indented (white space after the colon), packing searches for them.
    expect(spanCounts.found - counted.found).toBeGreaterThan(records.length * 0.5);
    expect(spanCounts.searched - counted.searched).toBeGreaterThan(records.length * 0.5);
  });

  it('declines what the parse must read or refuse: repeated or escaped keys, other evidence, Insights, odd times and types', () => {
    const base = {
      eventTime: '2026-03-02T00:05:56Z',
      eventSource: 'sqs.amazonaws.com',
      eventName: 'DeleteMessage',
      userIdentity: { type: 'AssumedRole', accessKeyId: 'ASIAEXAMPLE', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::1:role/r' } } },
      requestParameters: { a: 1, b: [{ c: 2 }] },
    };
    const plain = JSON.stringify(base);
    expectSame(fastRow(plain, 0), slowRow(plain, 0), plain);
    const declined = [
      plain.replace('"eventName"', '"eventName":"X","eventName"'), // a key twice (the parse refuses it)
      plain.replace('{"a":1', '{"a":1,"a":2'), // twice, deep
      plain.replace('{"c":2}', '{"c":2,"c":2}'), // twice, in an array's object
      plain.replace('"eventName"', '"event\\u004eame"'), // an escaped key
      plain.replace('"requestParameters"', '"request\\u0050arameters"'), // anywhere
      plain.replace('{', '{"apiVersion":"audit.k8s.io/v1",'),
      plain.replace('{', '{"kind":"Event",'),
      plain.replace('{', '{"CloudTrailEvent":"{}",'),
      plain.replace('{', '{"eventType":"AwsCloudTrailInsight",'),
      plain.replace('{', '{"eventCategory":"Insight",'),
      plain.replace('2026-03-02T00:05:56Z', '2026-03-02 00:05:56'), // a time without a zone: noted by the parse
      plain.replace('"2026-03-02T00:05:56Z"', '1772409956'), // a number
      plain.replace('"eventTime":"2026-03-02T00:05:56Z",', ''), // none
      plain.replace('"sqs.amazonaws.com"', '7'),
      plain.replace('"DeleteMessage"', 'null'),
      plain.replace('{', '{"awsRegion":5,'),
      plain.replace('{', '{"errorCode":{},'),
      plain.replace('"userIdentity":{', '"userIdentity":[{').replace('"r"}}}', '"r"}}}]'),
      plain.replace('{"type"', '"x","y":{"type"'),
      `[${plain}]`,
      `${plain} ${plain}`,
      `${plain},`,
      plain.slice(0, -1),
      `{"eventTime":"2026-03-02T00:05:56Z","eventSource":"s","eventName":"n","big":"${'x'.repeat(MAX_FAST_BYTES)}"}`,
    ];
    for (const text of declined) expect(fastRow(text, 0), text.slice(0, 200)).toBeNull();
    // Not JSON: every form of a bad number, literal, string or structure, where a value of the record can be.
    const bad = ['1e', '1e+', '1E-', '-', '1.', '.5', '+1', '01', '-01', '1.e5', '0x10', 'tru', 'truex', 'fals', 'falsx', 'nul', 'nulll', 'NaN', 'Infinity', '"\\x"', '"\\u12G4"', '"a\tb"'.replace('\\t', '\t'), '[1,]', '{"x":1,}', '{"x"}', '{"x" 1}', '{x:1}', "'s'", '[1 2]', '{"x":1 "y":2}'];
    for (const v of bad) {
      const text = plain.replace('{"a":1', `{"a":${v}`);
      expect(slowRow(text, 0), text).toBe('refused');
      expect(fastRow(text, 0), text).toBeNull();
    }
  });

  it('gives the column spans of a compact ASCII record, and leaves them to packing where a value is escaped, spaced or not ASCII', () => {
    const base = JSON.stringify(apiRecord('e-1', { eventName: 'GetObject', requestParameters: { note: 'x' } }));
    const spansOf = (text: string): number[] | null | undefined => {
      const row = fastRow(text, 0);
      expect(row, text).not.toBeNull();
      expectSame(row, slowRow(text, 0), text);
      return row!.columnSpans;
    };
    expect(spansOf(base)).toEqual(expect.any(Array));
    // The event name escaped where the row reads it, and written plainly deeper in the record: the search finds that
    // one, so the walk (which knows only the first) leaves the spans to it.
    const escapedHere = base.replace('"eventName":"GetObject"', '"eventName":"Get\\u004fbject"').replace('{"note":"x"}', '{"eventName":"GetObject"}');
    expect(spansOf(escapedHere)).toBeUndefined();
    const deeper = escapedHere.indexOf('{"eventName":"GetObject"}') + '{"eventName":"'.length;
    expect(columnSpans(escapedHere, escapedHere.length, withoutSpans(fastRow(escapedHere, 0)!))).toContain(deeper);
    expect(spansOf(base.replace('"eventName":"GetObject"', '"eventName": "GetObject"'))).toBeUndefined();
    expect(spansOf(base.replace('{"note":"x"}', '{"note":"é"}'))).toBeNull();
  });

  it('reads values as JSON.parse does: escapes, non-ASCII, readOnly and empty keys, identities of every shape', () => {
    const cases: Record<string, unknown>[] = [
      { userAgent: 'a"b\\c\u00e9\n\t\u2028😀', sourceIPAddress: '\u0031.2.3.4' },
      { userAgent: 'é日本', eventID: '😀-id' },
      { readOnly: true },
      { readOnly: false },
      { readOnly: 'true' },
      { readOnly: 'false' },
      { readOnly: 'yes' },
      { readOnly: 1 },
      { readOnly: null },
      { userIdentity: null },
      { userIdentity: { accessKeyId: '' } },
      { userIdentity: { accessKeyId: 5, arn: null, type: ['AssumedRole'], userName: 'u\u00e9', invokedBy: 'ec2.amazonaws.com' } },
      { userIdentity: { sessionContext: null } },
      { userIdentity: { sessionContext: { sessionIssuer: 'x' } } },
      { userIdentity: { sessionContext: { sessionIssuer: { arn: 'arn:\\"x' } } } },
      { userIdentity: { sessionContext: [{ sessionIssuer: { arn: 'no' } }] } },
      { userIdentity: { principalId: 'AROA:x' }, requestParameters: { userIdentity: { arn: 'inner' }, arn: 'inner', eventName: 'inner' } },
      { eventID: null, awsRegion: null, errorCode: 'AccessDenied', recipientAccountId: '111122223333' },
      { resources: [], responseElements: {}, additionalEventData: { n: [-0, 1e5, 1.5e-3, -12.25e+2, 0.5, 1e400] } },
    ];
    for (const extra of cases) {
      const o = { eventVersion: '1.10', eventTime: '2026-03-02T00:05:56.123Z', eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', ...extra };
      for (const text of [JSON.stringify(o), JSON.stringify(o, null, 1), JSON.stringify(o, null, '\t').replace(/\n/g, ' \r\n').replace(/": /g, '" : ')]) {
        const fast = fastRow(text, 3);
        expect(fast, text).not.toBeNull();
        expectSame(fast, slowRow(text, 3), text);
      }
    }
  });

  it('never accepts a mutation JSON.parse refuses, and reads every one it accepts as the parse does', () => {
    const g = new Rng(20261207);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(g.next() * xs.length)]!;
    const sources = [...generatedRecords().slice(0, 400), ...publicRecords()];
    const pieces = ['"', '\\', ':', ',', '{', '}', '[', ']', ' ', '\n', '0', '-', '.', 'e', 'E', '+', '1', 't', 'f', 'n', 'u', '\\u00', '\\x', '\u0001', '\u007f', 'é', 'true', 'null', 'false', '-0', '01', '1.', '.5', '1e', '"a":1', '"a":2', '\\"', '\\u0041'];
    let accepted = 0;
    let refused = 0;
    let rowsChecked = 0;
    for (let n = 0; n < 30_000; n++) {
      let text = pick(sources);
      const edits = 1 + Math.floor(g.next() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(g.next() * (text.length + 1));
        const kind = g.next();
        if (kind < 0.3) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(g.next() * 3));
        else if (kind < 0.7) text = text.slice(0, at) + pick(pieces) + text.slice(at);
        else if (kind < 0.85) {
          // A key of the record written twice: copy a `"key":value` member next to itself.
          const m = /"(\w+)":("[^"\\]*"|-?\d+|true|false|null)/g;
          const all = [...text.matchAll(m)];
          if (all.length > 0) {
            const hit = pick(all);
            text = text.slice(0, hit.index! + hit[0].length) + ',' + hit[0] + text.slice(hit.index! + hit[0].length);
          }
        } else text = text.slice(0, at) + pick(pieces) + text.slice(at + 1);
      }
      // As a file gives it: the text its UTF-8 bytes decode to (a cut through a surrogate pair reads as U+FFFD).
      text = Buffer.from(text, 'utf8').toString('utf8');
      const slow = slowRow(text, n);
      const fast = fastRow(text, n);
      if (slow === 'refused') {
        refused++;
        expect(fast, text).toBeNull();
        continue;
      }
      if (fast === null) continue;
      accepted++;
      expectSame(fast, slow, text);
      rowsChecked++;
    }
    // Both sides drawn often enough to mean something.
    expect(refused).toBeGreaterThan(10_000);
    expect(accepted).toBeGreaterThan(3_000);
    expect(rowsChecked).toBe(accepted);
  }, 120_000);
});

describe('files parse the same with records read by the walk or by JSON.parse', () => {
  /** parseEvidence's result and rows, with the walk on or off. */
  async function parsed(data: Buffer, enabled: boolean) {
    recordFieldsTuning.enabled = enabled;
    const rows: EventRow[] = [];
    try {
      const result = await parseEvidence({ bytes: data }, { rows: async (r) => void rows.push(...r) });
      return { result, rows };
    } catch (err) {
      return { error: String(err), rows };
    } finally {
      recordFieldsTuning.enabled = true;
    }
  }

  async function expectSameParse(data: Buffer, what: string): Promise<void> {
    const fast = await parsed(data, true);
    const slow = await parsed(data, false);
    expect(fast.rows.length, what).toBe(slow.rows.length);
    fast.rows.forEach((row, i) => {
      expectSpans(row, what);
      const fastRow = withoutSpans(row);
      if (!sameRow(fastRow, slow.rows[i]!)) expect(fastRow, `${what}: row ${i}`).toEqual(slow.rows[i]);
    });
    expect({ ...fast, rows: [] }, what).toEqual({ ...slow, rows: [] });
    // Packed, the rows make the same search filters whether the walk gave the column spans or packing found them.
    const filters = (rows: EventRow[]): string[] => packRows(rows).filters.map((f) => Buffer.from(f).toString('hex'));
    expect(filters(fast.rows), what).toEqual(filters(slow.rows));
  }

  it('trail files and JSON Lines of the generator', async () => {
    const records = generatedRecords();
    for (const [i, data] of generatedFiles.entries()) await expectSameParse(data, `generated file ${i}`);
    const lines = records.slice(0, 2000);
    // Every line is the plain case but the Insights events: read by the walk.
    expect(lines.filter((l) => fastRow(l, 0) === null).length).toBe(lines.filter((l) => l.includes('"AwsCloudTrailInsight"')).length);
    await expectSameParse(Buffer.from(lines.join('\n') + '\n'), 'JSON Lines');
    await expectSameParse(Buffer.from(lines.join('\r\n')), 'JSON Lines, CRLF, no last newline');
  }, 120_000);

  it('JSON Lines and single values of every other kind of evidence beside plain records', async () => {
    const plain = (id: string, over: Record<string, unknown> = {}) => JSON.stringify(apiRecord(id, over));
    const lines = [
      plain('p-0'),
      JSON.stringify({ '@timestamp': '2024-03-01T10:00:00.000Z', '@version': '1', ...apiRecord('logstash-0') }),
      JSON.stringify({ ...apiRecord('stamp-0'), '@timestamp': '2024-03-01T10:00:00.000Z' }),
      // Other evidence that also has a record's fields: the parse tells it apart first.
      JSON.stringify({ ...apiRecord('digest-0'), digestStartTime: '2024-03-01T10:00:00Z', digestEndTime: '2024-03-01T11:00:00Z', logFiles: [] }),
      JSON.stringify({ ...apiRecord('keys-0'), PublicKeyList: [] }),
      JSON.stringify({ ...apiRecord('keys-1'), publicKeyList: [] }),
      JSON.stringify({ ...apiRecord('head-0'), Metadata: { signature: 'abc' } }),
      JSON.stringify({ ...apiRecord('cluster-0'), cluster: { arn: 'arn:aws:eks:us-east-1:111122223333:cluster/c', identity: {} } }),
      JSON.stringify({ ...apiRecord('audit-0'), apiVersion: 'audit.k8s.io/v1', auditID: 'a-1', verb: 'get', stage: 'ResponseComplete', stageTimestamp: '2024-03-01T10:00:00Z' }),
      JSON.stringify({ ...apiRecord('audit-1'), kind: 'Event', auditID: 'a-2', verb: 'get', stage: 'ResponseComplete', stageTimestamp: '2024-03-01T10:00:00Z' }),
      JSON.stringify({ ...apiRecord('lookup-1'), CloudTrailEvent: plain('lookup-0') }),
      JSON.stringify({ CloudTrailEvent: plain('lookup-0'), EventName: 'ListBuckets' }),
      JSON.stringify({ update: { _id: '1', _index: 'cloudtrail' } }),
      plain('after-update-0'),
      // Not an update's document: the line before it was a record, not the action.
      JSON.stringify({ doc: apiRecord('doc-0') }),
      plain('insight-0', { eventType: 'AwsCloudTrailInsight' }),
      plain('zoneless-0', { eventTime: '2024-03-01 10:00:00' }),
      plain('dup-0').replace('"eventName":', '"eventName":"X","eventName":'),
      plain('bad-0').slice(0, 40),
      plain('p-1'),
    ];
    await expectSameParse(Buffer.from(lines.join('\n') + '\n'), 'mixed lines');
    for (const [i, line] of lines.entries()) {
      await expectSameParse(Buffer.from(line), `line ${i} alone`);
      await expectSameParse(Buffer.from(JSON.stringify(JSON.parse(line.length > 60 ? line : '{}'), null, 2)), `line ${i} pretty-printed`);
    }
    await expectSameParse(Buffer.from(`${plain('c-0')}${plain('c-1')} ${plain('c-2')}`), 'concatenated JSON');
    await expectSameParse(Buffer.from(`[${plain('a-0')},${plain('a-1')}]`), 'a bare array');
  });
});

/** The rows `trailRecords` and `trailRow` make of a whole file (null: the file is left to the scanner). */
function trailRows(data: Buffer, limits: ParseLimits): (EventRow | null)[] | null {
  const t = trailRecords(data, limits);
  return t && Array.from({ length: t.count }, (_, i) => trailRow(data, t, i));
}

describe('a whole trail file read without the scanner (trailRecords)', () => {
  /** parseEvidence's result and rows, with trailRows on or off. */
  async function parsed(data: Buffer, wholeTrail: boolean, limits?: ParseLimits) {
    recordFieldsTuning.wholeTrail = wholeTrail;
    const rows: EventRow[] = [];
    try {
      const result = await parseEvidence({ bytes: data }, { rows: async (r) => void rows.push(...r) }, limits);
      return { result, rows };
    } catch (err) {
      return { error: String(err), rows };
    } finally {
      recordFieldsTuning.wholeTrail = true;
    }
  }

  async function expectSameParse(data: Buffer, what: string, limits?: ParseLimits): Promise<void> {
    const fast = await parsed(data, true, limits);
    const slow = await parsed(data, false, limits);
    expect(fast.rows.length, what).toBe(slow.rows.length);
    fast.rows.forEach((row, i) => {
      // The column spans apart: a record over 1 MiB has them here and not from the scanner's element (packing
      // searches for them then).
      expectSpans(row, what);
      const [a, b] = [withoutSpans(row), withoutSpans(slow.rows[i]!)];
      if (!sameRow(a, b)) expect(a, `${what}: row ${i}`).toEqual(b);
    });
    expect({ ...fast, rows: [] }, what).toEqual({ ...slow, rows: [] });
  }

  it('gives the generator\'s files the rows, indexes and results the scanner gives them', async () => {
    generatedRecords();
    let read = 0;
    for (const [i, data] of generatedFiles.entries()) {
      if (trailRows(data, DEFAULT_PARSE_LIMITS)?.every((r) => r !== null)) read++;
      await expectSameParse(data, `generated file ${i}`);
    }
    // Every file but the Insights ones is the plain case.
    expect(read).toBeGreaterThan(generatedFiles.length * 0.9);
  }, 120_000);

  it('reads records that a window of the file cuts, and leaves a record larger than a window to the scanner', async () => {
    const big = (id: string, bytes: number) => apiRecord(id, { userAgent: `ua-${'x'.repeat(bytes)}` });
    // Records of ~300 KB and one of 1.5 MB: windows of 2 MiB cut several of them.
    const records = Array.from({ length: 20 }, (_, i) => (i === 9 ? big(`w-${i}`, 1_500_000) : big(`w-${i}`, 290_000 + i * 7919)));
    const data = Buffer.from(trailJson(records));
    const rows = trailRows(data, DEFAULT_PARSE_LIMITS);
    expect(rows?.map((r) => r?.eventId)).toEqual(records.map((r) => r.eventID));
    await expectSameParse(data, 'cut records');
    // A record over 2 MiB is not read here: the scanner reads the file (the same rows).
    const over = Buffer.from(trailJson([apiRecord('o-0'), big('o-1', 2_200_000), apiRecord('o-2')]));
    expect(trailRows(over, DEFAULT_PARSE_LIMITS)).toBeNull();
    await expectSameParse(over, 'a record over a window');
  });

  it('leaves to the scanner every file that is not exactly a trail of plain records, with the same result', async () => {
    const records = Array.from({ length: 12 }, (_, i) => apiRecord(`d-${i}`, { eventName: i % 2 ? 'Decrypt' : 'GetSecretValue' }));
    const plain = trailJson(records);
    const fifth = JSON.stringify(records[5]);
    const with5 = (text: string) => plain.replace(fifth, text);
    // JSON the walk reads, records it does not: each handed over as the scanner's element, the rest read.
    const handed: [string, string][] = [
      ['a time without a zone', with5(fifth.replace(/"eventTime":"([^"]+)Z"/, '"eventTime":"$1"'))],
      ['an Insights record', with5(fifth.replace('"eventType":"AwsApiCall"', '"eventType":"AwsCloudTrailInsight"'))],
      ['a mistyped field', with5(fifth.replace(/"userIdentity":\{/, '"userIdentity":"root","x":{'))],
      ['a missing field', with5(fifth.replace(/"eventSource":"[^"]+",/, ''))],
      ['other evidence', with5(fifth.replace('{', '{"apiVersion":"audit.k8s.io/v1",'))],
    ];
    for (const [what, text] of handed) {
      const data = Buffer.from(text);
      const rows = trailRows(data, DEFAULT_PARSE_LIMITS);
      expect(rows?.map((r) => r !== null), what).toEqual(records.map((_, i) => i !== 5));
      await expectSameParse(data, what);
    }
    // Anything else leaves the whole file to the scanner.
    const declined: [string, string | Buffer][] = [
      ['a repeated key', with5(fifth.replace('"eventName":', '"eventName":"X","eventName":'))],
      ['an escaped key', with5(fifth.replace('"eventSource"', '"event\\u0053ource"'))],
      ['a record that is not an object', with5('"a string"')],
      ['not JSON in a record', with5(fifth.slice(0, -1))],
      ['invalid UTF-8', Buffer.concat([Buffer.from(plain.slice(0, 200)), Buffer.from([0xc3, 0x28]), Buffer.from(plain.slice(200))])],
      ['white space first', ` ${plain}`],
      ['pretty-printed', JSON.stringify({ Records: records }, null, 2)],
      ['a key after the records', `${plain.slice(0, -1)},"more":1}`],
      ['the records key twice', `${plain.slice(0, -1)},"Records":[]}`],
      ['data after the object', `${plain}{}`],
      ['no records', '{"Records":[]}'],
      ['a trailing comma', `${plain.slice(0, -2)},]}`],
      ['cut short', plain.slice(0, -1)],
    ];
    for (const [what, text] of declined) {
      const data = Buffer.from(text);
      expect(trailRows(data, DEFAULT_PARSE_LIMITS), what).toBeNull();
      await expectSameParse(data, what);
    }
    // Text that is not ASCII (read as UTF-8), and escapes, in the columns and elsewhere: the plain case.
    const intl = Buffer.from(trailJson(records.map((r, i) => ({ ...r, userAgent: `agent é日本😀 ${i}`, userIdentity: { type: 'IAMUser', userName: `zoë\u0000-${i}`, arn: 'arn:aws:iam::111122223333:user/zoë' }, requestParameters: { note: 'ß"\\' } }))));
    expect(trailRows(intl, DEFAULT_PARSE_LIMITS)?.map((r) => r?.userAgent)).toEqual(records.map((_, i) => `agent é日本😀 ${i}`));
    await expectSameParse(intl, 'not ASCII');
    // Records of a few dozen bytes: more than the tables are first made for (one a 256 bytes).
    const tiny = Buffer.from(trailJson(Array.from({ length: 3000 }, (_, i) => ({ eventTime: '2026-03-02T00:05:56Z', eventSource: 's', eventName: `n${i}` }))));
    expect(trailRows(tiny, DEFAULT_PARSE_LIMITS)?.map((r) => r?.eventName)).toEqual(Array.from({ length: 3000 }, (_, i) => `n${i}`));
    await expectSameParse(tiny, 'tiny records');
    // White space at the end is the plain case.
    expect(trailRows(Buffer.from(`${plain}\n`), DEFAULT_PARSE_LIMITS)?.filter((r) => r !== null)).toHaveLength(12);
    // The scanner's limits: a record deeper or larger than they allow is its to refuse (the file fails either way).
    const deep = with5(fifth.replace('{', `{"deep":${'['.repeat(300)}${']'.repeat(300)},`));
    expect(trailRows(Buffer.from(deep), DEFAULT_PARSE_LIMITS)).toBeNull();
    await expectSameParse(Buffer.from(deep), 'too deep');
    const limits = { ...DEFAULT_PARSE_LIMITS, maxDepth: 4 };
    const nested = with5(fifth.replace('{', '{"n":{"n":{"n":{}}},'));
    expect(trailRows(Buffer.from(nested), limits)).toBeNull();
    expect(trailRows(Buffer.from(nested), { ...limits, maxDepth: 6 })?.filter((r) => r !== null)).toHaveLength(12);
    await expectSameParse(Buffer.from(nested), 'deeper than the limit', limits);
    const small = { ...DEFAULT_PARSE_LIMITS, maxValueBytes: fifth.length };
    expect(trailRows(Buffer.from(plain), small)).toBeNull();
    await expectSameParse(Buffer.from(plain), 'larger than the limit', small);
  });
});
