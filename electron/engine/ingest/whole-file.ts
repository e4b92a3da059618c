/**
 * A small evidence file read in one piece: its bytes, hashes and (gzip) decompressed text from one synchronous read,
 * one SHA-256 call each and one inflate, instead of a stream of transforms.
 *
 * The streamed read (parse-file.ts `parseEvidence`) inflates a gzip file twice: once to read it (Node's gunzip, which
 * reads every member) and once in `GzipMemberProbe`, which finds where the first member ends (data appended after
 * what CloudTrail wrote must be told apart). CloudTrail's files are small and have one member. Here one raw inflate
 * reads the first member and says how many compressed bytes it used (`bytesWritten`); when the member header, that
 * deflate stream and its 8-byte trailer make up the whole file, and the trailer's CRC-32 and length match what was
 * inflated (the checks gunzip makes), the file is one member and its text is exactly what gunzip gives. Anything
 * else — appended data, a truncated or damaged file, a header CRC, a file or text past `wholeFileTuning.maxBytes` or the
 * decompressed cap — returns null, and the file is read by the stream as before (which reports what is wrong the way
 * it always has). So this changes how fast a file is read, never what is read from it.
 */
import { hash } from 'node:crypto';
import { stat, readFile } from 'node:fs/promises';
import { constants as zlibConstants, crc32, inflateRawSync } from 'node:zlib';
import { gzipHeaderLength } from './gzip-members';
import type { ByteSource } from './parse-file';

/**
 * Files (and their decompressed text) up to `maxBytes` are read whole; larger ones are streamed. Each parse worker
 * holds one such file at a time (its bytes and its text, where the stream held 256 KiB of text): at most ~32 MiB more
 * a worker, against a peak under 1 GB that a 10M-event add into an open case approaches (docs/benchmarks.md).
 * CloudTrail's files are a few MiB of text. A setting, so that tests can stream every file and compare.
 */
export const wholeFileTuning = { maxBytes: 16 * 1024 * 1024 };

const FHCRC = 0x02;

export interface WholeFile {
  /** Bytes of the file as stored. */
  size: number;
  sha256: string;
  compression: 'gzip' | null;
  /** The text to parse: the file's bytes, or the gzip member's decompressed bytes. */
  data: Buffer;
  sha256Decompressed: string | null;
}

function sha256(bytes: Buffer): string {
  return hash('sha256', bytes, 'hex');
}

/**
 * The file read whole, or null when it is to be streamed (too large, empty, or a gzip file that is not exactly one
 * intact member: see above). `maxDecompressed` is the parse limits' cap on a gzip file's text.
 */
export async function readWholeFile(source: ByteSource, maxDecompressed: number): Promise<WholeFile | null> {
  const max = wholeFileTuning.maxBytes;
  if (max <= 0) return null;
  let raw: Buffer;
  // An archive member's bytes arrive in a worker as a Uint8Array (structured clone): seen as a Buffer, not copied.
  if ('bytes' in source) {
    const bytes: Uint8Array = source.bytes;
    raw = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } else {
    try {
      const info = await stat(source.path);
      if (!info.isFile() || info.size === 0 || info.size > max) return null;
      raw = await readFile(source.path);
    } catch {
      // Missing, unreadable, a folder: the stream reports it, in the words it always has.
      return null;
    }
  }
  if (raw.length === 0 || raw.length > max) return null;
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return { size: raw.length, sha256: sha256(raw), compression: null, data: raw, sha256Decompressed: null };
  const data = inflateOneMember(raw, Math.min(max, maxDecompressed));
  if (data === null) return null;
  return { size: raw.length, sha256: sha256(raw), compression: 'gzip', data, sha256Decompressed: sha256(data) };
}

/** The decompressed text of a gzip file that is exactly one intact member with at most `max` bytes of text; else null. */
export function inflateOneMember(raw: Buffer, max: number): Buffer | null {
  const header = gzipHeaderLength(raw);
  if (header === null || header < 0 || raw[3]! & FHCRC) return null;
  // The trailer's length field (mod 2^32): a text too long for a whole read is streamed without inflating it here.
  if (raw.length < header + 8) return null;
  const length = raw.readUInt32LE(raw.length - 4);
  if (length > max) return null;
  let out: Buffer;
  let used: number;
  try {
    // The output in one buffer of the trailer's length and a byte (Node's default is 16 KiB pieces, each allocated and
    // all copied into one at the end): when the length is right, nothing is copied; when it is not, the inflate goes
    // on in more pieces and the checks below refuse the file.
    const chunkSize = Math.max(zlibConstants.Z_MIN_CHUNK, length + 1);
    const result = inflateRawSync(raw.subarray(header), { info: true, maxOutputLength: max, chunkSize }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    out = result.buffer;
    used = result.engine.bytesWritten;
  } catch {
    return null;
  }
  const end = header + used + 8;
  if (end !== raw.length) return null;
  if (raw.readUInt32LE(end - 8) !== crc32(out) || raw.readUInt32LE(end - 4) !== out.length % 0x100000000) return null;
  return out;
}
