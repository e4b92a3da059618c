/**
 * The raw blocks' skip index (ingest/block-filter.ts): a block's filter must never lack a token of a record in it —
 * a dropped block is an event search silently misses — and must still skip most blocks that hold a token not.
 * Property-style: many generated records (mixed case, non-ASCII, JSON escapes, numbers, arrays), packed by the
 * parse workers' own code (raw-blocks.ts packRows), and for each record terms drawn from its own text and values.
 */
import { describe, expect, it } from 'vitest';
import { CODEC_BROTLI, COLUMN_VALUES, columnSpans, decompressBlock, packRows } from '../../../electron/engine/ingest/raw-blocks';
import { asciiLower, BlockFilter, blockTokens, buildBlockFilter, filterBytes, filterProbe, searchableText, tokenHash, tokensOf } from '../../../electron/engine/ingest/block-filter';
import { join } from 'node:path';
import { openCase } from '../../../electron/engine/db/open';
import { tempDir } from '../../helpers/evidence';
import { normalizeRecord, type EventRow } from '../../../electron/engine/ingest/normalize';
import { fieldMatches, isBareToken, requiredTokens, textMatches, valuesAt, type SearchTerm } from '../../../electron/engine/service/search-terms';
import { Rng } from '../../generator/rng';
import { referenceBlockFilter, referenceBlockTokens } from './block-filter-reference';

/** The generator's seeded PRNG, as a function giving [0, 1). */
function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.next();
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/:.@=+ "\\\néüßŁ日本😀\t';
const ASCII_ALPHABET = [...ALPHABET].filter((c) => c.charCodeAt(0) < 128).join('');
/** Whether `word` draws from ASCII only (half of the records: their column values are set apart in the filter). */
let asciiOnly = false;

function word(r: () => number, n = 1 + Math.floor(r() * 14)): string {
  const alphabet = [...(asciiOnly ? ASCII_ALPHABET : ALPHABET)];
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)]!;
  return s;
}

function value(r: () => number, depth: number): unknown {
  const x = r();
  if (depth < 2 && x < 0.15) return Array.from({ length: 1 + Math.floor(r() * 3) }, () => value(r, depth + 1));
  if (depth < 2 && x < 0.3) return Object.fromEntries(Array.from({ length: 1 + Math.floor(r() * 3) }, () => [word(r, 3 + Math.floor(r() * 6)).replace(/\W/g, 'k') || 'k', value(r, depth + 1)]));
  if (x < 0.4) return Math.floor(r() * 1e6) / (r() < 0.5 ? 1 : 100);
  if (x < 0.45) return r() < 0.5;
  if (x < 0.5) return null;
  return word(r);
}

function record(r: () => number, i: number, allAscii = false): Record<string, unknown> {
  asciiOnly = allAscii || i % 2 === 0;
  return {
    eventVersion: '1.08',
    eventTime: new Date(Date.UTC(2026, 2, 1) + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: r() < 0.2 ? 'sts.amazonaws.com' : 'secretsmanager.amazonaws.com',
    eventName: r() < 0.5 ? 'GetSecretValue' : 'AssumeRole',
    awsRegion: 'us-east-1',
    sourceIPAddress: `10.0.${i % 250}.${(i * 7) % 250}`,
    userAgent: word(r, 20),
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::111122223333:assumed-role/${word(r, 6)}/s${i}`, accessKeyId: `ASIA${String(i).padStart(16, '0')}` },
    requestParameters: { secretId: `${r() < 0.5 ? 'prod' : 'dev'}/${word(r)}`, extra: value(r, 0), [word(r, 4).replace(/\W/g, 'x') || 'x']: value(r, 0) },
    responseElements: r() < 0.5 ? null : { list: [value(r, 1), value(r, 1)] },
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    recipientAccountId: '111122223333',
  };
}

/** Every leaf path of a parsed record (arrays looked through), with its values. */
function leafPaths(v: unknown, path: string[] = []): string[][] {
  if (Array.isArray(v)) return v.flatMap((x) => leafPaths(x, path));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...path, k]));
  return path.length ? [path] : [];
}

/** A whole-token phrase of a text: from the start of one token to the end of a later one (maybe one token). */
function phraseOf(r: () => number, text: string): string | null {
  const spans: [number, number][] = [];
  const re = /[A-Za-z0-9\u0080-\uffff]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) spans.push([m.index, m.index + m[0].length]);
  if (spans.length === 0) return null;
  const a = Math.floor(r() * spans.length);
  const b = Math.min(spans.length - 1, a + Math.floor(r() * 4));
  return text.slice(spans[a]![0], spans[b]![1]);
}

/** ASCII letters upper-cased (search ignores ASCII case only). */
function asciiUpper(s: string): string {
  return s.replace(/[a-z]/g, (c) => c.toUpperCase());
}

/** A glob that the whole value matches: some of its characters replaced by `*` or `?`. */
function globOf(r: () => number, v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const x = r();
    if (x < 0.1) {
      out += '*';
      i += Math.floor(r() * 4);
    } else if (x < 0.15) out += '?';
    else out += r() < 0.3 ? asciiUpper(v[i]!) : v[i]!;
  }
  return out;
}

/** The values the column search matches a free-text phrase against (event-query.ts SEARCH_COLUMNS). */
function columnsOf(row: EventRow): string[] {
  return [row.eventName, row.eventSource, row.principalArn, row.sourceIp, row.userAgent, row.accessKeyId, row.eventId].filter((v): v is string => v !== null);
}

function rows(n: number, seed: number, allAscii = false): { rows: EventRow[]; records: Record<string, unknown>[] } {
  const r = rng(seed);
  const records = Array.from({ length: n }, (_, i) => record(r, i, allAscii));
  return { records, rows: records.map((rec, i) => normalizeRecord(rec, JSON.stringify(rec), i)) };
}

describe('block filter', () => {
  it.each([
    ['half of them ASCII', false],
    ['all ASCII (every record with its column values set apart)', true],
  ])('never drops a block that holds a term: every phrase and field glob drawn from 4,000 generated records (%s) passes its block', (_label, allAscii) => {
    const r = rng(17);
    const { rows: input } = rows(4000, 5, allAscii);
    const raws = input.map((x) => x.raw);
    const batch = packRows(input);
    expect(batch.filters).toHaveLength(batch.blocks.length);
    const filters = batch.filters.map((f) => new BlockFilter(f));
    let checked = 0;
    let byColumns = 0;
    batch.rows.forEach((row, i) => {
      const filter = filters[row.block]!;
      // The filter cuts the block into the records as the rows point at them.
      const offsets = filter.offsets;
      expect(offsets).toContain(row.rawOff);
      expect(offsets[offsets.indexOf(row.rawOff) + 1]! - row.rawOff).toBe(row.rawLen);
      const raw = raws[i]!;
      const text = searchableText(raw);
      for (let k = 0; k < 3; k++) {
        const phrase = phraseOf(r, text);
        if (!phrase) continue;
        const term: SearchTerm = { kind: 'text', text: r() < 0.5 ? asciiUpper(phrase) : phrase, key: '' };
        // The record matches the term (exact check), and its block's filter lets the term through or (a bare token)
        // the column search finds it in one of the record's column values.
        expect(textMatches(term.text, text)).toBe(true);
        const admitted = filter.admits(filterProbe(requiredTokens(term), isBareToken(term)));
        const inColumns = isBareToken(term) && columnsOf(input[i]!).some((v) => asciiLower(v).includes(asciiLower(term.text)));
        expect(admitted || inColumns, term.text).toBe(true);
        if (!admitted) byColumns++;
        // Without the bare-token shortcut, every term passes its block.
        expect(filter.admits(filterProbe(requiredTokens(term), false))).toBe(true);
        checked++;
      }
      const parsed = JSON.parse(raw) as unknown;
      const paths = leafPaths(parsed);
      for (let k = 0; k < 2; k++) {
        const path = paths[Math.floor(r() * paths.length)]!;
        const v = valuesAt(parsed, path)[0];
        const term: SearchTerm = { kind: 'field', path, pattern: globOf(r, String(v)), key: '' };
        expect(fieldMatches(term, parsed)).toBe(true);
        expect(filter.admits(filterProbe(requiredTokens(term), isBareToken(term)))).toBe(true);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(16_000);
    // The shortcut was taken often: terms found only by the column search, their blocks not decompressed.
    expect(byColumns).toBeGreaterThan(100);
  });

  it('an event name found only as the event name is skipped by a bare-token search, not by a phrase across its edge', () => {
    const { rows: input } = rows(12_000, 11, true);
    // Two records also write the name elsewhere (in a request parameter).
    for (const i of [0, 50]) {
      const rec = JSON.parse(input[i]!.raw) as { requestParameters: Record<string, unknown> };
      rec.requestParameters.action = 'secretsmanager:GetSecretValue';
      input[i] = normalizeRecord(rec, JSON.stringify(rec), i);
    }
    const batch = packRows(input);
    const filters = batch.filters.map((f) => new BlockFilter(f));
    const bare = filterProbe(['getsecretvalue'], true);
    const elsewhere = new Set([batch.rows[0]!.block, batch.rows[50]!.block]);
    for (const b of elsewhere) expect(filters[b]!.admits(bare)).toBe(true);
    // Blocks where the name occurs as eventName alone: skipped, but for the filter's false positives.
    const others = filters.filter((_f, b) => !elsewhere.has(b) && batch.rows.some((row) => row.block === b && row.eventName === 'GetSecretValue'));
    expect(others.length).toBeGreaterThan(5);
    expect(others.filter((f) => !f.admits(bare)).length).toBeGreaterThanOrEqual(Math.floor(others.length * 0.9));
    // `"eventName":"GetSecretValue"` as a phrase runs across the value's edge: every block holding it passes.
    const phrase = filterProbe(requiredTokens({ kind: 'text', text: 'eventName":"GetSecretValue', key: '' }), false);
    for (const row of batch.rows) if (row.eventName === 'GetSecretValue') expect(filters[row.block]!.admits(phrase)).toBe(true);
  });

  it("skips a token found outside the values only where the record's own values hold it too (the column search finds those)", () => {
    const configRole = (i: number, principal: string, arn: string): EventRow => {
      const rec = record(rng(i), i, true) as { userIdentity: Record<string, unknown>; errorMessage?: string };
      rec.userIdentity.principalId = principal;
      rec.userIdentity.arn = arn;
      return normalizeRecord(rec, JSON.stringify(rec), i);
    };
    const role = 'arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForConfig';
    // AWS Config's sessions: the word is in principalId and in the record's own ARN.
    const covered = packRows(Array.from({ length: 6000 }, (_, i) => configRole(i, `AROAEXAMPLE:AWSConfig-Describe${i % 3 === 0 ? '' : '-x'}`, `${role}/AWSConfig-Describe`)));
    // The same, but the second record's ARN names another session: only its own principalId holds the word (and the
    // record before it wrote the word in its ARN: what one record's values hold never covers another's text).
    const alone = Array.from({ length: 3000 }, (_, i) => configRole(i, 'AROAEXAMPLE:AWSConfig-Describe', `${role}/AWSConfig-Describe`));
    alone[1] = configRole(1, 'AROAEXAMPLE:AWSConfig-Describe', `${role}/other-session`);
    const uncovered = packRows(alone);
    const bare = filterProbe(['describe'], true);
    const coveredFilters = covered.filters.map((f) => new BlockFilter(f));
    expect(coveredFilters.length).toBeGreaterThan(5);
    expect(coveredFilters.filter((f) => !f.admits(bare)).length).toBeGreaterThanOrEqual(Math.floor(coveredFilters.length * 0.9));
    const block = uncovered.rows[1]!.block;
    expect(new BlockFilter(uncovered.filters[block]!).admits(bare)).toBe(true);
    // Any other term still passes every block that holds it (each token either way).
    const phrase = filterProbe(requiredTokens({ kind: 'text', text: 'AWSConfig-Describe', key: '' }), false);
    for (const f of coveredFilters) expect(f.admits(phrase)).toBe(true);
  });

  it("skips a word of the text that one of the record's own values holds as a substring, not a phrase holding it", () => {
    const rotation = (i: number, name: string): EventRow => {
      const rec = record(rng(i), i, true) as { eventName: string; requestParameters: Record<string, unknown> };
      rec.eventName = name;
      rec.requestParameters.note = 'Rotation of the secret finished';
      return normalizeRecord(rec, JSON.stringify(rec), i);
    };
    // The word stands alone in the text and starts the event name (the column search finds it as a substring).
    const covered = packRows(Array.from({ length: 6000 }, (_, i) => rotation(i, 'RotationSucceeded')));
    const alone = Array.from({ length: 3000 }, (_, i) => rotation(i, 'RotationSucceeded'));
    alone[1] = rotation(1, 'RotateSecret'); // its values do not hold the word: its block is needed
    const uncovered = packRows(alone);
    const bare = filterProbe(['rotation'], true);
    const coveredFilters = covered.filters.map((f) => new BlockFilter(f));
    expect(coveredFilters.length).toBeGreaterThan(5);
    expect(coveredFilters.filter((f) => !f.admits(bare)).length).toBeGreaterThanOrEqual(Math.floor(coveredFilters.length * 0.9));
    expect(new BlockFilter(uncovered.filters[uncovered.rows[1]!.block]!).admits(bare)).toBe(true);
    // A phrase holding the word probes its salted hash too: every block still passes (the columns do not hold it).
    const phrase = filterProbe(requiredTokens({ kind: 'text', text: 'Rotation of the', key: '' }), false);
    for (const f of coveredFilters) expect(f.admits(phrase)).toBe(true);
    // Letters only: a token with a digit is hashed as it is even when a value holds it (`000`, in the eventID).
    const digits = packRows(Array.from({ length: 3000 }, (_, i) => {
      const rec = record(rng(i), i, true) as { requestParameters: Record<string, unknown> };
      rec.requestParameters.note = 'code 000';
      return normalizeRecord(rec, JSON.stringify(rec), i);
    }));
    for (const f of digits.filters) expect(new BlockFilter(f).admits(filterProbe(['000'], true))).toBe(true);
  });

  it('packs the bytes a record was read from, or its text encoded, byte-exact and in order', () => {
    // Every third record comes with the bytes it was decoded from (as a trail's records do), the others as text alone
    // (lookup-events, SIEM records); non-ASCII records included.
    const { rows: input } = rows(1500, 23, false);
    const texts = input.map((row) => row.raw);
    const mixed = input.map((row, i) => {
      const raw = row.raw;
      return i % 3 === 0 ? normalizeRecord(JSON.parse(raw), raw, i, { parsed: true, bytes: Buffer.from(raw, 'utf8') }) : row;
    });
    expect(mixed[0]!.rawBytes).toBeInstanceOf(Buffer);
    expect(mixed.some((row, i) => i % 3 === 0 && Buffer.byteLength(row.raw) !== row.raw.length)).toBe(true);
    // The record's SHA-256 is the same from its bytes as from its text.
    for (const [i, row] of mixed.entries()) expect(row.rawSha256).toBe(input[i]!.rawSha256);
    const batch = packRows(mixed);
    expect(batch.rows.every((row) => row.rawBytes === null && row.raw === '')).toBe(true);
    for (const [i, row] of batch.rows.entries()) {
      const block = decompressBlock(CODEC_BROTLI, batch.blocks[row.block]!);
      expect(block.toString('utf8', row.rawOff, row.rawOff + row.rawLen), `record ${i}`).toBe(texts[i]);
    }
  });

  it('sizes a filter at 12 bits a token at least, grown to fill the page space its row takes in a case', () => {
    const dir = tempDir('filter-pages');
    for (const tokens of [1, 40, 700, 2_500, 3_680, 4_500, 6_000, 11_000, 30_000]) {
      const head = 2 + Math.ceil(tokens / 10);
      const bytes = filterBytes(head, tokens);
      expect(bytes * 8, `${tokens} tokens`).toBeGreaterThanOrEqual(tokens * 12);
      // Rows of this size, appended as the writer does, in a case's pages: little of those pages is left unused.
      const db = openCase(join(dir, `case-${tokens}.db`));
      const insert = db.prepare('INSERT INTO raw_block_filters (block, filter) VALUES (?, ?)');
      db.pragma('foreign_keys = OFF');
      db.transaction(() => {
        for (let b = 1; b <= 64; b++) insert.run(b, Buffer.alloc(head + bytes, b));
      })();
      const pages = db.prepare("SELECT COUNT(*) n, SUM(unused) unused, SUM(pgsize) size FROM dbstat WHERE name = 'raw_block_filters' AND pagetype != 'internal'").get() as { n: number; unused: number; size: number };
      expect(db.pragma('page_size', { simple: true })).toBe(16384);
      // (64 small rows share a few pages, the last one part-filled: only rows of 2,000 tokens and more are weighed.)
      if (tokens < 2_000) {
        db.close();
        continue;
      }
      // Unfitted, a row one byte larger than half a page leaves half of every page empty.
      expect(pages.unused / pages.size, `${tokens} tokens: ${pages.unused} of ${pages.size} bytes unused`).toBeLessThan(0.02);
      // …and a few bytes more (the size varints are counted at their largest) would take more pages.
      db.prepare('DELETE FROM raw_block_filters').run();
      db.transaction(() => {
        for (let b = 1; b <= 64; b++) insert.run(b, Buffer.alloc(head + bytes + 8, b));
      })();
      const more = db.prepare("SELECT SUM(pgsize) FROM dbstat WHERE name = 'raw_block_filters' AND pagetype != 'internal'").pluck().get() as number;
      expect(more, `${tokens} tokens`).toBeGreaterThan(pages.size);
      db.close();
    }
  });

  it('skips most blocks for a token they do not hold (false positives under ~0.3 %, the rate of 12 bits a token)', () => {
    const { rows: input } = rows(3000, 9);
    const batch = packRows(input);
    const filters = batch.filters.map((f) => new BlockFilter(f));
    const all = new Set(input.flatMap((x) => tokensOf(searchableText(x.raw))));
    let tries = 0;
    let passed = 0;
    for (let i = 0; tries < 20_000; i++) {
      const token = `absent${i}q`;
      if (all.has(token)) continue;
      for (const f of filters) {
        tries++;
        if (f.mayContain(tokenHash(token))) passed++;
      }
    }
    expect(passed / tries).toBeLessThan(0.004);
  });

  it('tokenizes each record apart, decodes JSON escapes and folds ASCII case only', () => {
    const a = '{"k":"tail"}';
    const b = '{"k":"line\\nNext \\u00c9t\\u00e9 caf\\u00e9"}';
    const block = Buffer.from(a + b, 'utf8');
    const f = new BlockFilter(buildBlockFilter(block, [a, b]).filter);
    for (const t of ['tail', 'next', 'Été', 'café', 'k', 'line']) expect(f.mayContain(tokenHash(t))).toBe(true);
    expect(tokensOf('Été ÉTÉ abC')).toEqual(['Été', 'ÉtÉ', 'abc']);
    expect(searchableText(b)).toBe('{"k":"line\nNext Été café"}');
    expect(() => buildBlockFilter(block, [a])).toThrow(/records hold/);
    // Records that meet on letters (not JSON objects) are still tokenized apart.
    const joined = new BlockFilter(buildBlockFilter(Buffer.from('abcd'), ['ab', 'cd']).filter);
    expect(joined.mayContain(tokenHash('ab')) && joined.mayContain(tokenHash('cd'))).toBe(true);
    expect(joined.offsets).toEqual([0, 2, 4]);
  });
});

/** A block's inputs as packRows gives them: texts, UTF-8 lengths, column-value spans, event names lower-cased. */
function blockInputs(input: EventRow[], withSpans: boolean) {
  const records = input.map((x) => x.raw);
  const lengths = records.map((t) => Buffer.byteLength(t, 'utf8'));
  return {
    block: Buffer.from(records.join(''), 'utf8'),
    records,
    lengths,
    spans: withSpans ? input.map((x, i) => columnSpans(records[i]!, lengths[i]!, x)) : undefined,
    names: withSpans ? input.map((x) => asciiLower(x.eventName)) : undefined,
  };
}

/** The distinct token hashes the WebAssembly module put in a block's set, in order. */
function moduleTokens(x: ReturnType<typeof blockInputs>, joined = false): number[] {
  const { table, size } = blockTokens(x.block, x.records, x.lengths, joined, x.spans, x.names);
  const out = [...table].filter((h) => h !== 0).sort((a, b) => a - b);
  expect(out).toHaveLength(size);
  return out;
}

describe('the WebAssembly token hashing (assembly/block-tokens.ts)', () => {
  it.each([1, 2, 3, 4, 5, 6])('hashes the tokens the JavaScript did, on generated records with escapes, non-ASCII text and column values (seed %i)', (seed) => {
    const { rows: input } = rows(300 + seed * 40, 100 + seed, seed % 3 === 0);
    // Blocks of every size from one record up, with the column values set apart and not (the migration's way).
    for (let at = 0, n = 1; at < input.length; at += n, n = n * 2 + 1) {
      const part = input.slice(at, at + n);
      for (const withSpans of [true, false]) {
        const x = blockInputs(part, withSpans);
        expect(moduleTokens(x)).toEqual(referenceBlockTokens(x.block, x.records, x.lengths, x.spans, x.names));
        // And the filter's bytes: the same header, the same bits.
        expect(Buffer.from(buildBlockFilter(x.block, x.records, x.lengths, x.spans, x.names).filter).equals(referenceBlockFilter(x.block, x.records, x.lengths, x.spans, x.names))).toBe(true);
      }
    }
  });

  it('hashes the words of event names salted where the JavaScript did, in record order', () => {
    // "rotation" outside the values: salted where it is new to the block and a word of the record's event name,
    // unsalted where it came first in a record whose name does not hold it.
    const mk = (name: string, i: number) => {
      const rec = { eventVersion: '1.08', eventTime: '2026-03-01T00:00:00Z', eventSource: 'secretsmanager.amazonaws.com', eventName: name, awsRegion: 'us-east-1', eventID: `id-${i}`, additionalEventData: { note: `Rotation of the key, and "quoted" \\ text ${i}` } };
      return normalizeRecord(rec, JSON.stringify(rec), i);
    };
    for (const names of [['RotationSucceeded', 'GetSecretValue'], ['GetSecretValue', 'RotationSucceeded'], ['RotationSucceeded', 'RotationSucceeded']]) {
      const input = names.map(mk);
      const x = blockInputs(input, true);
      expect(x.spans!.every((s) => s !== undefined)).toBe(true);
      expect(moduleTokens(x)).toEqual(referenceBlockTokens(x.block, x.records, x.lengths, x.spans, x.names));
    }
  });

  it('hashes records that meet on token bytes one by one, with and without values, as the JavaScript did', () => {
    const records = ['ab', 'cd', 'x\\ny', 'Été', 'été', '', 'q'];
    const block = Buffer.from(records.join(''), 'utf8');
    const lengths = records.map((t) => Buffer.byteLength(t, 'utf8'));
    const spans = [[0, 1], [], undefined, [0, 2], undefined, [], [0, 1]];
    const names = ['ab', 'xcdx', 'x', 'été', 'e', '', 'q'];
    const x = { block, records, lengths, spans, names };
    expect(moduleTokens(x, true)).toEqual(referenceBlockTokens(block, records, lengths, spans, names));
    const plain = { block, records, lengths, spans: undefined, names: undefined };
    expect(moduleTokens(plain, true)).toEqual(referenceBlockTokens(block, records, lengths));
  });

  it('grows its sets and its memory for large blocks, and hashes the next block right after', () => {
    // ~400,000 distinct tokens: the block's set doubles from 8,192 slots to 1M.
    const words: string[] = [];
    for (let i = 0; i < 400_000; i++) words.push(((i * 2654435761) >>> 0).toString(36));
    const many = words.join(' ');
    const x = { block: Buffer.from(many, 'utf8'), records: [many], lengths: [many.length], spans: undefined, names: undefined };
    const got = moduleTokens(x);
    expect(got).toEqual(referenceBlockTokens(x.block, x.records, x.lengths));
    expect(got.length).toBeGreaterThan(390_000);
    const filter = new BlockFilter(buildBlockFilter(x.block, x.records).filter);
    for (const w of words.slice(0, 1000)) expect(filter.mayContain(tokenHash(w))).toBe(true);
    // A 72 MB record: the module's memory passes the 64 MiB it keeps, and the next call instantiates it again.
    const long = 'alpha beta '.repeat(6_500_000) + words[7];
    const y = { block: Buffer.from(long, 'utf8'), records: [long], lengths: [long.length], spans: undefined, names: undefined };
    expect(moduleTokens(y)).toEqual([tokenHash('alpha'), tokenHash('beta'), tokenHash(words[7]!)].sort((a, b) => a - b));
    const { rows: input } = rows(200, 9);
    const z = blockInputs(input, true);
    expect(moduleTokens(z)).toEqual(referenceBlockTokens(z.block, z.records, z.lengths, z.spans, z.names));
  });
});

describe('columnSpans: where a record writes its column values', () => {
  const at = (raw: string, value: string, from = 0) => {
    const i = raw.indexOf(`"${value}"`, from) + 1;
    return [i, i + value.length];
  };

  it('finds each column at an occurrence holding the row\'s own value, in text order, and only there', () => {
    // The session issuer's arn comes first and differs from the principal's; a request parameter is named
    // eventName too, with another value; the user agent holds a quote (escaped in JSON): not looked for.
    const record = {
      eventVersion: '1.08',
      userIdentity: {
        type: 'AssumedRole',
        sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/issuer' } },
        arn: 'arn:aws:sts::111122223333:assumed-role/issuer/s1',
        accessKeyId: 'ASIAEXAMPLEKEY000001',
      },
      eventTime: '2024-03-01T10:00:00Z',
      requestParameters: { eventName: 'NotTheName' },
      eventSource: 'kms.amazonaws.com',
      eventName: 'Decrypt',
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.9',
      userAgent: 'agent "quoted"',
      eventID: '3f1c2a4e-0000-4000-8000-000000000001',
    };
    const raw = JSON.stringify(record);
    const row: EventRow = normalizeRecord(record, raw, 0);
    const expected = [
      at(raw, record.userIdentity.arn),
      at(raw, record.userIdentity.accessKeyId),
      at(raw, 'kms.amazonaws.com'),
      at(raw, 'Decrypt'),
      at(raw, '203.0.113.9'),
      at(raw, record.eventID),
    ]
      .sort((a, b) => a[0]! - b[0]!)
      .flat();
    expect(columnSpans(raw, raw.length, row)).toEqual(expected);
    // Not ASCII (the byte length differs from the text's): none.
    expect(columnSpans(raw, raw.length + 1, row)).toBeUndefined();
    // A record that writes none of its values where a key says so: none.
    expect(columnSpans('{"eventName":"Other"}', 21, row)).toBeUndefined();
  });

  it('equals a plain search for each key and value on generated records, escapes in and around the values', () => {
    // The reference: for each column whose value JSON writes as it is, the first `"<key>":"<value>"`; in text order.
    const reference = (raw: string, row: EventRow): number[] | undefined => {
      const found: [number, number][] = [];
      for (const [key, of] of COLUMN_VALUES) {
        const v = of(row);
        if (!v || /["\\\x00-\x1f]/.test(v)) continue;
        const at = raw.indexOf(`"${key}":"${v}"`);
        if (at >= 0) found.push([at + key.length + 4, at + key.length + 4 + v.length]);
      }
      return found.length ? found.sort((a, b) => a[0] - b[0]).flat() : undefined;
    };
    // Half the records without the characters JSON escapes (the generator's words hold them often).
    const clean = (v: unknown): unknown =>
      typeof v === 'string' ? v.replace(/["\\\n\t]/g, '') : Array.isArray(v) ? v.map(clean) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)])) : v;
    const r = rng(41);
    const records = Array.from({ length: 3000 }, (_, i) => (i % 2 ? clean(record(r, i, true)) : record(r, i, true)) as Record<string, unknown>);
    const generated = records.map((rec, i) => normalizeRecord(rec, JSON.stringify(rec), i));
    let escaped = 0;
    let spanned = 0;
    records.forEach((rec, i) => {
      const raw = JSON.stringify(rec);
      if (raw.includes('\\')) escaped++;
      const got = columnSpans(raw, raw.length, generated[i]!);
      if (got) spanned++;
      expect(got, raw).toEqual(reference(raw, generated[i]!));
    });
    // Both kinds were there: records with escapes (a quote, backslash or control character in some value) and without.
    expect(escaped).toBeGreaterThan(300);
    expect(records.length - escaped).toBeGreaterThan(300);
    expect(spanned).toBe(records.length);
  });
});
