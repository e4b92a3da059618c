/**
 * A small file read whole (whole-file.ts): one inflate instead of the stream's gunzip and first-member probe. It must
 * never change what is read: a gzip file is taken whole only when it is exactly one intact member, and every file
 * parses to the same result, rows and errors whether it is read whole or streamed.
 */
import { crc32, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PARSE_LIMITS, parseEvidence, type ByteSource, type ParseLimits } from '../../../electron/engine/ingest/parse-file';
import { inflateOneMember, readWholeFile, wholeFileTuning } from '../../../electron/engine/ingest/whole-file';
import type { EventRow } from '../../../electron/engine/ingest/normalize';
import { apiRecord, invictusFiles, lookupEvents, put, readTrail, sha256, tempDir, trailJson } from '../../helpers/evidence';

const MAX = wholeFileTuning.maxBytes;
afterEach(() => void (wholeFileTuning.maxBytes = MAX));

const text = Buffer.from(trailJson(Array.from({ length: 40 }, (_, i) => apiRecord(`e-${i}`))));
const one = gzipSync(text);

describe('inflateOneMember', () => {
  it('gives the text of a file that is one intact member, header fields and all', () => {
    expect(inflateOneMember(one, MAX)).toEqual(text);
    // FNAME, FEXTRA and FCOMMENT are skipped as gunzip skips them.
    const named = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x08 | 0x04 | 0x10, 0, 0, 0, 0, 0, 3]), Buffer.from([3, 0, 1, 2, 3]), Buffer.from('log.json\0note\0'), one.subarray(10)]);
    expect(inflateOneMember(named, MAX)).toEqual(text);
    expect(inflateOneMember(gzipSync(Buffer.alloc(0)), MAX)).toEqual(Buffer.alloc(0));
  });

  it('refuses (null: the file is streamed) anything but exactly one intact member', () => {
    const second = gzipSync('{"Records":[{"eventName":"forged"}]}');
    const withCrc = (b: Buffer, at: number) => {
      const c = Buffer.from(b);
      c[c.length - at] ^= 0x01;
      return c;
    };
    const cases: [string, Buffer][] = [
      ['an appended member', Buffer.concat([one, second])],
      ['an empty first member before the content', Buffer.concat([gzipSync(Buffer.alloc(0)), one])],
      ['trailing zeros', Buffer.concat([one, Buffer.alloc(4)])],
      ['trailing garbage', Buffer.concat([one, Buffer.from('garbage')])],
      ['a truncated body', one.subarray(0, one.length - 20)],
      ['a missing trailer', one.subarray(0, one.length - 8)],
      ['a wrong CRC-32', withCrc(one, 8)],
      ['a wrong length', withCrc(one, 4)],
      ['a header CRC (FHCRC)', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x02, 0, 0, 0, 0, 0, 3, 0, 0]), one.subarray(10)])],
      ['not deflate', Buffer.concat([one.subarray(0, 10), Buffer.from('not a deflate stream at all')])],
      ['not gzip', text],
    ];
    for (const [what, bytes] of cases) expect(inflateOneMember(bytes, MAX), what).toBeNull();
    expect(crc32(text)).toBe(one.readUInt32LE(one.length - 8));
  });

  it('refuses a text longer than the cap, whether or not the trailer says so', () => {
    expect(inflateOneMember(one, text.length - 1)).toBeNull();
    expect(inflateOneMember(one, text.length)).toEqual(text);
    // A trailer that under-states the length: the inflate's own cap stops it.
    const lying = Buffer.from(one);
    lying.writeUInt32LE(10, lying.length - 4);
    expect(inflateOneMember(lying, 100)).toBeNull();
  });
});

describe('readWholeFile', () => {
  it('reads a file from its path or its bytes (a Uint8Array, as an archive member reaches a worker), with both hashes', async () => {
    const path = put(tempDir('whole'), 'a.json.gz', one);
    const expected = { size: one.length, sha256: sha256(one), compression: 'gzip', data: text, sha256Decompressed: sha256(text) };
    expect(await readWholeFile({ path }, DEFAULT_PARSE_LIMITS.maxDecompressedBytes)).toEqual(expected);
    const copy = new Uint8Array(one.length + 3).subarray(3);
    copy.set(one);
    expect(await readWholeFile({ bytes: copy as Buffer }, DEFAULT_PARSE_LIMITS.maxDecompressedBytes)).toEqual(expected);
    expect(await readWholeFile({ bytes: text }, DEFAULT_PARSE_LIMITS.maxDecompressedBytes)).toEqual({ size: text.length, sha256: sha256(text), compression: null, data: text, sha256Decompressed: null });
  });

  it('leaves to the stream an empty file, one past the size setting and a text past the decompressed cap', async () => {
    const dir = tempDir('whole');
    expect(await readWholeFile({ path: put(dir, 'empty.json', '') }, MAX)).toBeNull();
    expect(await readWholeFile({ path: put(dir, 'a.json.gz', one) }, text.length - 1)).toBeNull();
    wholeFileTuning.maxBytes = one.length - 1;
    expect(await readWholeFile({ path: put(dir, 'b.json.gz', one) }, MAX)).toBeNull();
    expect(await readWholeFile({ bytes: one }, MAX)).toBeNull();
  });
});

describe('a file parses the same read whole or streamed', () => {
  async function parsed(source: ByteSource, limits?: ParseLimits) {
    const rows: EventRow[] = [];
    try {
      const result = await parseEvidence(source, { rows: async (r) => void rows.push(...r) }, limits);
      return { result, rows };
    } catch (err) {
      return { error: String(err), rows };
    }
  }

  it('for trail files, exports, JSON Lines and damaged or appended-to files', async () => {
    const dir = tempDir('whole');
    const real = readTrail(invictusFiles()[0]!).bytes;
    const records = Array.from({ length: 30 }, (_, i) => apiRecord(`r-${i}`, { eventName: i % 2 ? 'Decrypt' : 'GetSecretValue' }));
    const jsonl = Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const files: [string, Buffer | string][] = [
      ['real.json.gz', gzipSync(real)],
      ['real.json', real],
      ['lookup.json', lookupEvents(records)],
      ['lines.jsonl.gz', gzipSync(jsonl)],
      ['appended.json.gz', Buffer.concat([gzipSync(real), gzipSync(trailJson([apiRecord('forged')]))])],
      ['padded.json.gz', Buffer.concat([gzipSync(jsonl), Buffer.alloc(16)])],
      ['truncated.json.gz', gzipSync(real).subarray(0, 300)],
      ['bad-crc.json.gz', (() => { const b = gzipSync(jsonl); b[b.length - 6] ^= 0xff; return b; })()],
      ['not-json.json', 'this is not JSON'],
      ['broken-record.jsonl', '{"eventID":"a","eventTime":"2024-03-01T10:00:00Z"\n{"x":\n'],
      ['empty.json', ''],
    ];
    for (const [name, data] of files) {
      const path = put(dir, name, data);
      for (const source of [{ path }, { bytes: Buffer.from(data) }] as ByteSource[]) {
        wholeFileTuning.maxBytes = MAX;
        const whole = await parsed(source);
        wholeFileTuning.maxBytes = 0;
        const streamed = await parsed(source);
        expect(whole, name).toEqual(streamed);
      }
    }
    // A path that cannot be read (missing, a folder) fails with the same error either way.
    for (const path of [`${dir}/missing.json.gz`, dir]) {
      wholeFileTuning.maxBytes = MAX;
      const whole = await parsed({ path });
      wholeFileTuning.maxBytes = 0;
      expect(whole).toEqual(await parsed({ path }));
      expect(whole.error).toMatch(/cannot read/);
    }
    // The decompressed cap is reported the same way (the whole read leaves the file to the stream).
    wholeFileTuning.maxBytes = MAX;
    const capped = await parsed({ bytes: gzipSync(real) }, { ...DEFAULT_PARSE_LIMITS, maxDecompressedBytes: 100 });
    expect(capped.error).toMatch(/decompressed size exceeds the 100-byte cap/);
  });
});
