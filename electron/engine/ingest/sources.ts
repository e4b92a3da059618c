/**
 * Turning the paths an investigator names into evidence entries: plain files, folders (walked in sorted
 * order), and `.zip`, `.tar`, `.tar.gz` archives read in place — members are streamed into memory and never
 * written to disk, so an entry named `../../etc/x` or a symlink member can do no harm: its name is only a
 * label (made unambiguous by `memberLabel`, member-labels.ts), and link members are skipped and reported.
 *
 * Links are never followed below what the investigator named: a symbolic link met while walking a folder is
 * reported, not read (it could point anywhere on the machine, or loop); a path named on the command line is
 * taken as given, link or not.
 *
 * Nothing is dropped in silence on the strength of its name, since whoever built the archive chose it: a member or
 * file is skipped without a word only when its content proves it is Finder litter (see `isLitter`), or when it is
 * an empty folder entry. Everything else is read, or reported (a failure, so ingest exits 2).
 *
 * Every decompressed stream is capped: a `.tar.gz` as a whole (skipped members included) at the cap a `.gz` file
 * has (`DEFAULT_PARSE_LIMITS.maxDecompressedBytes`), each archive member at `MAX_MEMBER_BYTES`.
 */
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import * as tarStream from 'tar-stream';
import { DEFAULT_PARSE_LIMITS, type ByteSource } from './parse-file';
import { MemberLabels } from './member-labels';
import { discardBytes } from './discard-bytes';

export interface EvidenceEntry {
  /** Absolute path, or `<archive>!/<member>` for an archive member. */
  displayPath: string;
  source: ByteSource;
  /**
   * Done with the entry's bytes: an archive member read under a `ByteBudget` is freed and its share of the budget
   * given back (a no-op for files, which are streamed from disk, and without a budget). Ingest calls it when the
   * parse job of the entry has finished; the bytes must not be used after.
   */
  release(): void;
}

export interface EntryFailure {
  displayPath: string;
  error: string;
}

export type Enumerated = ({ kind: 'entry' } & EvidenceEntry) | ({ kind: 'failure' } & EntryFailure);

/** Largest archive member read into memory. Trail files are a few MB; a larger member is refused clearly. */
export const MAX_MEMBER_BYTES = 512 * 1024 * 1024;

/**
 * Bytes of archive members held in memory at once, by default (ingest): members are read whole, so without a bound
 * several large ones (one per parse job in flight, and the next one being read) add up past any memory.
 */
export const MAX_MEMBER_BYTES_IN_FLIGHT = 256 * 1024 * 1024;

/**
 * A bound on the bytes of archive members in memory: each member takes its bytes as it is read, waiting while others
 * hold the budget, and gives them back when its entry is released. A member larger than the whole budget is still
 * read, alone: it waits until no other member holds bytes, so in flight there are at most
 * max(budget, largest member) bytes (and a member is capped at `maxMemberBytes`).
 */
export class ByteBudget {
  private used = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly max: number) {}

  /** Bytes held now (tests, measurements). */
  get inFlight(): number {
    return this.used;
  }

  /** Members waiting for bytes to be released (tests). */
  get waiting(): number {
    return this.waiters.length;
  }

  lease(): BudgetLease {
    return new BudgetLease(this);
  }

  /** @internal */
  async take(lease: BudgetLease, n: number): Promise<void> {
    while (this.used + n > this.max && this.used - lease.held > 0) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
    this.used += n;
  }

  /** @internal */
  give(n: number): void {
    if (n === 0) return;
    this.used -= n;
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

/** One member's share of a ByteBudget. */
export class BudgetLease {
  held = 0;
  private released = false;

  constructor(private readonly budget: ByteBudget) {}

  async take(n: number): Promise<void> {
    if (this.released) throw new Error('lease already released');
    await this.budget.take(this, n);
    this.held += n;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const n = this.held;
    this.held = 0;
    this.budget.give(n);
  }
}

const noRelease = () => {};

/** Done with a member read under a budget: its memory is freed now (it was moved to a worker if it ran there), and its bytes given back. */
function releaseMember(bytes: Buffer, lease: BudgetLease): void {
  discardBytes(bytes);
  lease.release();
}

export interface SourceLimits {
  /** Cap on the decompressed bytes of one compressed archive (`.tar.gz`), every member counted, skipped ones too. */
  maxDecompressedBytes: number;
  /** Cap on the bytes of one archive member. */
  maxMemberBytes: number;
  /**
   * Archive members in memory at once: with a budget, each entry holds its bytes until `release()` is called, and
   * the next member is read only when the budget allows. Without one (the default), nothing waits: for readers that
   * hold one member at a time.
   */
  budget?: ByteBudget;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxDecompressedBytes: DEFAULT_PARSE_LIMITS.maxDecompressedBytes,
  maxMemberBytes: MAX_MEMBER_BYTES,
};

type ArchiveKind = 'zip' | 'tar' | 'tar.gz';

async function sniffArchive(path: string): Promise<ArchiveKind | null> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    if (bytesRead >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return 'zip';
    if (bytesRead >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      // A gzip is either a CloudTrail file or a .tar.gz: look inside its first block.
      const inflated = await firstInflatedBytes(path, 512);
      if (inflated.length >= 262 && inflated.toString('latin1', 257, 262) === 'ustar') return 'tar.gz';
    }
    return null;
  } finally {
    await fh.close();
  }
}

async function firstInflatedBytes(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    try {
      return gunzipSync(buf.subarray(0, bytesRead), { finishFlush: 2 /* Z_SYNC_FLUSH */ }).subarray(0, n);
    } catch {
      return Buffer.alloc(0);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Every entry, and every failure, under the paths the investigator named. A named path that yields neither (an
 * empty folder, a folder of empty folders or Finder litter, an archive of folder entries only) is a failure of its
 * own: nothing was found there, which must not read as a successful ingest.
 */
export async function* enumerateEvidence(paths: string[], limits: Partial<SourceLimits> = {}): AsyncGenerator<Enumerated> {
  const l: SourceLimits = { ...DEFAULT_SOURCE_LIMITS, ...limits };
  for (const p of paths) {
    const path = resolve(p);
    let found = false;
    for await (const item of enumeratePath(path, true, l)) {
      found = true;
      yield item;
    }
    if (!found) yield { kind: 'failure', displayPath: path, error: await nothingFound(path) };
  }
}

/** Why a named path gave nothing to read, in words. */
async function nothingFound(path: string): Promise<string> {
  let folder = false;
  try {
    folder = (await stat(path)).isDirectory();
  } catch {
    // gone since it was read: said as for a file
  }
  return folder
    ? 'nothing found here: the folder holds no file to read (only empty folders or Finder litter)'
    : 'nothing found here: the archive holds no member to read (only empty folder entries or Finder litter)';
}

/** What a directory entry is, in words, for the ones that are not read. */
function kindOf(info: Awaited<ReturnType<typeof lstat>>): string {
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** `named`: the investigator gave this path (links followed); otherwise it was found inside a folder. */
async function* enumeratePath(path: string, named: boolean, limits: SourceLimits): AsyncGenerator<Enumerated> {
  let info;
  try {
    info = named ? await stat(path) : await lstat(path);
  } catch (err) {
    yield { kind: 'failure', displayPath: path, error: `cannot read: ${(err as Error).message}` };
    return;
  }
  if (info.isSymbolicLink()) {
    let target = '?';
    try {
      target = await readlink(path);
    } catch {
      // the link itself vanished: the message below still names it
    }
    yield {
      kind: 'failure',
      displayPath: path,
      error: `symbolic link to ${JSON.stringify(target)} inside a folder: not followed (name its target to load it)`,
    };
    return;
  }
  if (info.isDirectory()) {
    let names: string[];
    try {
      names = (await readdir(path)).sort();
    } catch (err) {
      yield { kind: 'failure', displayPath: path, error: `cannot list folder: ${(err as Error).message}` };
      return;
    }
    for (const name of names) {
      const child = join(path, name);
      if (name.startsWith('.')) {
        let childInfo;
        try {
          childInfo = await lstat(child);
        } catch {
          childInfo = null; // reported by enumeratePath below
        }
        // A hidden folder (.git, .Trashes, .Spotlight-V100…) is reported once, not walked and not dropped silently.
        if (childInfo?.isDirectory()) {
          yield { kind: 'failure', displayPath: child, error: 'hidden folder inside a folder: not read (name it to load it)' };
          continue;
        }
        // Finder litter, proved by its content; any other dot-file is read like every file.
        if (childInfo?.isFile() && litterName(name) && isLitter(name, await fileHead(child, LITTER_HEAD_BYTES))) continue;
      }
      yield* enumeratePath(child, false, limits);
    }
    return;
  }
  if (!info.isFile()) {
    // Reading a named pipe would block forever, a device could be endless: report, never open.
    yield { kind: 'failure', displayPath: path, error: `${kindOf(info)}, not a file: skipped` };
    return;
  }
  let archive: ArchiveKind | null;
  try {
    archive = await sniffArchive(path);
  } catch (err) {
    yield { kind: 'failure', displayPath: path, error: `cannot read: ${(err as Error).message}` };
    return;
  }
  if (archive === 'zip') yield* zipMembers(path, limits);
  else if (archive === 'tar' || archive === 'tar.gz') yield* tarMembers(path, archive === 'tar.gz', limits);
  else yield { kind: 'entry', displayPath: path, source: { path }, release: noRelease };
}

class TooLargeError extends Error {}

/** The decompressed stream of a compressed archive went past its cap. */
class DecompressedCapError extends Error {}

/** A pass-through that fails once more than `cap` bytes have gone through it. */
function capStream(cap: number, onCap: () => Error): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      if (total > cap) return cb(onCap());
      cb(null, chunk);
    },
  });
}

/**
 * A member's bytes, read into one buffer of its own (its ArrayBuffer can be handed to a worker without a copy):
 * sized from `sizeHint` (the size the archive declares, which yauzl and tar-stream hold the data to) and grown if the
 * data runs longer, so that no member is ever held twice over. Each chunk is taken from the lease first.
 */
async function readAll(stream: Readable, limit: number, what: string, lease: BudgetLease | null, sizeHint: number): Promise<Buffer> {
  let buf = Buffer.allocUnsafeSlow(Math.max(0, Math.min(sizeHint, limit)));
  let total = 0;
  for await (const chunk of stream) {
    const c = chunk as Buffer;
    if (total + c.length > limit) {
      stream.destroy();
      throw new TooLargeError(`${what} is larger than ${limit} bytes; extract it to a folder to load it`);
    }
    if (lease) await lease.take(c.length);
    if (total + c.length > buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.min(limit, Math.max(total + c.length, buf.length * 2, 64 * 1024)));
      buf.copy(grown, 0, 0, total);
      buf = grown;
    }
    c.copy(buf, total);
    total += c.length;
  }
  if (total === buf.length) return buf;
  const exact = Buffer.allocUnsafeSlow(total);
  buf.copy(exact, 0, 0, total);
  return exact;
}

async function* zipMembers(path: string, limits: SourceLimits): AsyncGenerator<Enumerated> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((res, rej) =>
      // decodeStrings: false — yauzl otherwise refuses names like `../x` or `/x` by failing the whole archive;
      // here a name is only a label (nothing is extracted), so it is decoded below and every member is read.
      yauzl.open(path, { lazyEntries: true, autoClose: true, decodeStrings: false }, (err, z) => (err ? rej(err) : res(z))),
    );
  } catch (err) {
    yield { kind: 'failure', displayPath: path, error: `not a readable zip archive: ${(err as Error).message}` };
    return;
  }
  const labels = new MemberLabels(path);
  const next = (): Promise<yauzl.Entry | null> =>
    new Promise((res, rej) => {
      const onEntry = (e: yauzl.Entry) => {
        cleanup();
        res(e);
      };
      const onEnd = () => {
        cleanup();
        res(null);
      };
      const onError = (e: Error) => {
        cleanup();
        rej(e);
      };
      const cleanup = () => {
        zip.off('entry', onEntry);
        zip.off('end', onEnd);
        zip.off('error', onError);
      };
      zip.on('entry', onEntry);
      zip.on('end', onEnd);
      zip.on('error', onError);
      zip.readEntry();
    });
  for (;;) {
    let entry: yauzl.Entry | null;
    try {
      entry = await next();
    } catch (err) {
      yield { kind: 'failure', displayPath: path, error: `zip archive is corrupt: ${(err as Error).message}` };
      return;
    }
    if (!entry) return;
    const fileName = memberName(entry);
    // Unix file type in the high half of the external attributes (0 from tools that do not set one).
    const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
    // A folder: named with a trailing separator, or marked by the MS-DOS directory attribute (0x10) or the Unix
    // type. Skipped only when it holds nothing (stored empty, or the 2-byte empty deflate stream): a "folder" with
    // data in it is read like any member, since the flags and the name are the archive builder's to choose.
    const folder = fileName.endsWith('/') || fileName.endsWith('\\') || (entry.externalFileAttributes & 0x10) !== 0 || mode === 0o040000;
    if (folder && entry.uncompressedSize === 0 && entry.compressedSize <= 2) continue;
    const displayPath = labels.next(fileName);
    if (mode === 0o120000) {
      yield { kind: 'failure', displayPath, error: 'symbolic link inside the archive: not followed' };
      continue;
    }
    if (mode !== 0 && mode !== 0o100000 && mode !== 0o040000) {
      yield { kind: 'failure', displayPath, error: `archive member of Unix type 0o${mode.toString(8)}, not a file: skipped` };
      continue;
    }
    const lease = limits.budget?.lease() ?? null;
    let bytes: Buffer;
    try {
      const stream = await new Promise<Readable>((res, rej) =>
        zip.openReadStream(entry!, (err, s) => (err ? rej(err) : res(s))),
      );
      bytes = await readAll(stream, limits.maxMemberBytes, 'archive member', lease, entry.uncompressedSize);
    } catch (err) {
      lease?.release();
      yield { kind: 'failure', displayPath, error: (err as Error).message };
      continue;
    }
    if (isLitter(fileName, bytes) || (folder && bytes.length === 0)) {
      lease?.release();
      continue;
    }
    yield { kind: 'entry', displayPath, source: { bytes }, release: lease ? () => releaseMember(bytes, lease) : noRelease };
  }
}

/**
 * A zip member's name as yauzl decodes it (CP437 or UTF-8, Info-ZIP Unicode path), without validation and with
 * its backslashes kept (`strict`): the label shows the exact name (`C:%5CWindows%5Cx`), not a rewritten one.
 */
function memberName(entry: yauzl.Entry): string {
  const decode = (yauzl as unknown as {
    getFileNameLowLevel(flags: number, raw: Buffer, extraFields: { id: number; data: Buffer }[], strict: boolean): string;
  }).getFileNameLowLevel;
  return decode(entry.generalPurposeBitFlag, entry.fileName as unknown as Buffer, entry.extraFields, true);
}

async function* tarMembers(path: string, gzipped: boolean, limits: SourceLimits): AsyncGenerator<Enumerated> {
  const extract = tarStream.extract();
  const stages: (Readable | NodeJS.ReadWriteStream)[] = [createReadStream(path)];
  // The cap counts every decompressed byte, the members drained unread (folders, links, litter) included.
  let capped: DecompressedCapError | null = null;
  const capError = () =>
    (capped = new DecompressedCapError(
      `decompressed size exceeds the ${limits.maxDecompressedBytes}-byte cap (gzip bomb or oversized archive); extract it to a folder to load it`,
    ));
  if (gzipped) stages.push(createGunzip(), capStream(limits.maxDecompressedBytes, capError));
  const feeding = (pipeline as unknown as (...s: unknown[]) => Promise<void>)(...stages, extract).catch(
    (err: Error) => err,
  );
  const labels = new MemberLabels(path);
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      const type = entry.header.type;
      if (type === 'directory') {
        entry.resume();
        // An empty folder entry is skipped. One that declares data is reported: tar-stream (like GNU tar) reads no
        // data for a folder, so what it holds cannot be read, and must not vanish in silence.
        if (entry.header.size! > 0) {
          yield { kind: 'failure', displayPath: labels.next(name), error: `folder entry that declares ${entry.header.size} bytes of data: not read` };
        }
        continue;
      }
      const displayPath = labels.next(name);
      if (type === 'symlink' || type === 'link') {
        entry.resume();
        yield { kind: 'failure', displayPath, error: `${type === 'link' ? 'hard' : 'symbolic'} link inside the archive: not followed` };
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        entry.resume();
        yield { kind: 'failure', displayPath, error: `archive member of type ${type ?? 'unknown'}, not a file: skipped` };
        continue;
      }
      const lease = limits.budget?.lease() ?? null;
      let bytes: Buffer;
      try {
        bytes = await readAll(entry as unknown as Readable, limits.maxMemberBytes, 'archive member', lease, entry.header.size ?? 0);
      } catch (err) {
        lease?.release();
        if (capped) break; // reported below, against the archive
        const message = (err as Error).message;
        yield { kind: 'failure', displayPath, error: err instanceof TooLargeError ? message : `tar archive is corrupt or truncated: ${message}` };
        return;
      }
      if (isLitter(name, bytes)) {
        lease?.release();
        continue;
      }
      yield { kind: 'entry', displayPath, source: { bytes }, release: lease ? () => releaseMember(bytes, lease) : noRelease };
    }
  } catch (err) {
    if (!capped) {
      yield { kind: 'failure', displayPath: path, error: `tar archive is corrupt or truncated: ${(err as Error).message}` };
      return;
    }
  }
  const fed = await feeding;
  if (capped) {
    yield { kind: 'failure', displayPath: path, error: (capped as DecompressedCapError).message };
  } else if (fed instanceof Error) {
    yield { kind: 'failure', displayPath: path, error: `tar archive is corrupt or truncated: ${fed.message}` };
  }
}

/**
 * Finder litter, the only thing skipped without a word: a `.DS_Store` (any case) that starts with the DS_Store
 * magic, or an AppleDouble file (`._x`, in `__MACOSX/` or beside its file) that starts with the AppleDouble magic.
 * The name is the archive builder's choice (`..\evidence.json`, `.evidence.json`, `__MACOSX/x.json`, a look-alike
 * of the dot…), so it never suffices: neither magic can begin JSON or gzip, so a member that has it is not evidence.
 * Either separator ends a folder name here.
 */
export function isLitter(name: string, head: Buffer): boolean {
  const kind = litterName(name);
  if (!kind) return false;
  const magic = kind === 'ds-store' ? DS_STORE_MAGIC : APPLE_DOUBLE_MAGIC;
  return head.length >= magic.length && head.subarray(0, magic.length).equals(magic);
}

const DS_STORE_MAGIC = Buffer.from([0x00, 0x00, 0x00, 0x01, 0x42, 0x75, 0x64, 0x31]); // \0\0\0\1Bud1
const APPLE_DOUBLE_MAGIC = Buffer.from([0x00, 0x05, 0x16, 0x07]);
const LITTER_HEAD_BYTES = DS_STORE_MAGIC.length;

function litterName(name: string): 'ds-store' | 'apple-double' | null {
  const base = name.split(/[\\/]/).pop() ?? '';
  if (base.toLowerCase() === '.ds_store') return 'ds-store';
  if (base.startsWith('._')) return 'apple-double';
  return null;
}

/** The first `n` bytes of a file (fewer if it is shorter; none if it cannot be read: it is then read, and reported, as evidence). */
async function fileHead(path: string, n: number): Promise<Buffer> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return Buffer.alloc(0);
  }
}
