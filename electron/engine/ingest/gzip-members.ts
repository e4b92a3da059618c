/**
 * Where a gzip file's first member ends. Node's gunzip silently decompresses every member of a file (RFC 1952
 * allows several), so data appended after the first member — a second member with extra records — is read as
 * if CloudTrail had written it. CloudTrail writes one member; aws-cli's validator checks "that there's no
 * unused/appended data after the first gzip member" (aws/aws-cli#10324, 2026-05). This probe finds the end of
 * the first member independently of the gunzip that reads the file: it parses the member header itself and
 * runs the deflate body through a raw inflater, whose `bytesWritten` is the exact number of body bytes the
 * deflate stream used. End of member = header + body + 8-byte trailer (CRC-32, ISIZE).
 *
 * It is a pass-through stage on the compressed bytes; the decompressed output of the probe is discarded (or
 * hashed, when asked: the SHA-256 of the first member alone, what a validator that stops there compares).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createInflateRaw, type InflateRaw } from 'node:zlib';

/** A header longer than this (a huge FNAME/FCOMMENT/FEXTRA) is not worth probing: the result stays unknown. */
const MAX_HEADER = 1 << 20;

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

/** Length of the gzip member header at the start of `buf`; null while incomplete; -1 when it is not gzip. */
export function gzipHeaderLength(buf: Buffer): number | null {
  if (buf.length < 10) return null;
  if (buf[0] !== 0x1f || buf[1] !== 0x8b || buf[2] !== 8) return -1;
  const flags = buf[3]!;
  let at = 10;
  if (flags & FEXTRA) {
    if (buf.length < at + 2) return null;
    at += 2 + buf.readUInt16LE(at);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      const nul = buf.indexOf(0, at);
      if (nul === -1) return null;
      at = nul + 1;
    }
  }
  if (flags & FHCRC) at += 2;
  return buf.length >= at ? at : null;
}

export interface MemberProbeResult {
  /** Bytes after the end of the first member (0: none); null when it could not be determined (not gzip, truncated). */
  trailingBytes: number | null;
  /** SHA-256 of the first member's decompressed bytes (only with `hashFirstMember`). */
  firstMemberSha256: string | null;
}

export class GzipMemberProbe extends Transform {
  private head: Buffer[] = [];
  private headBytes = 0;
  private headerLength: number | null = null;
  private inflate: InflateRaw | null = null;
  private done = false;
  private failed = false;
  private total = 0;
  private output = 0;
  private readonly hash: Hash | null;

  constructor(options: { hashFirstMember?: boolean } = {}) {
    super();
    this.hash = options.hashFirstMember ? createHash('sha256') : null;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.total += chunk.length;
    this.feed(chunk).then(
      () => cb(null, chunk),
      () => cb(null, chunk),
    );
  }

  override _flush(cb: TransformCallback): void {
    const inflate = this.inflate;
    if (!inflate || this.done || this.failed) return cb();
    const settle = this.settled(inflate);
    inflate.end();
    void settle.then(() => cb());
  }

  result(): MemberProbeResult {
    if (!this.done || this.headerLength === null || !this.inflate) return { trailingBytes: null, firstMemberSha256: null };
    const end = this.headerLength + this.inflate.bytesWritten + 8;
    if (end > this.total) return { trailingBytes: null, firstMemberSha256: null };
    return { trailingBytes: this.total - end, firstMemberSha256: this.hash ? this.hash.digest('hex') : null };
  }

  /**
   * The first member's decompressed length, as soon as its deflate stream has ended (null before, or when it cannot be
   * told): output bytes at or after it were read from data appended to the member CloudTrail wrote.
   */
  firstMemberLength(): number | null {
    return this.done ? this.output : null;
  }

  /**
   * Where the probe is while the first member is still being read: its decompressed bytes so far (output before
   * this offset is in the first member for sure), or `failed` when it gave up (then the end is never known).
   */
  firstMemberProgress(): { output: number; done: boolean; failed: boolean } {
    return { output: this.output, done: this.done, failed: this.failed };
  }

  private async feed(chunk: Buffer): Promise<void> {
    if (this.done || this.failed) return;
    if (this.headerLength === null) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      const buf = Buffer.concat(this.head);
      const len = gzipHeaderLength(buf);
      if (len === null) {
        if (this.headBytes > MAX_HEADER) this.giveUp();
        else this.head = [buf];
        return;
      }
      if (len < 0) return this.giveUp();
      this.headerLength = len;
      this.head = [];
      this.inflate = this.startInflate();
      chunk = buf.subarray(len);
      if (chunk.length === 0) return;
    }
    const inflate = this.inflate!;
    if (!inflate.write(chunk)) await this.settled(inflate, 'drain');
  }

  private startInflate(): InflateRaw {
    const inflate = createInflateRaw({ chunkSize: 256 * 1024 });
    inflate.on('data', (out: Buffer) => {
      this.output += out.length;
      this.hash?.update(out);
    });
    inflate.once('end', () => (this.done = true));
    inflate.once('error', () => (this.failed = true));
    return inflate;
  }

  /** Resolves on `also` (e.g. drain) or when the inflater ends, fails or closes. */
  private settled(inflate: InflateRaw, also?: string): Promise<void> {
    if (this.done || this.failed) return Promise.resolve();
    return new Promise((resolve) => {
      const events = ['end', 'error', 'close', ...(also ? [also] : [])];
      const finish = () => {
        for (const e of events) inflate.off(e, finish);
        resolve();
      };
      for (const e of events) inflate.on(e, finish);
    });
  }

  private giveUp(): void {
    this.failed = true;
    this.head = [];
  }
}
