/**
 * Turning the paths an investigator names into evidence entries: plain files, folders (walked in sorted
 * order), and `.zip`, `.tar`, `.tar.gz` archives read in place — members are streamed into memory and never
 * written to disk, so an entry named `../../etc/x` or a symlink member can do no harm (its name is only
 * display text; link members are skipped and reported).
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import * as tarStream from 'tar-stream';
import type { ByteSource } from './parse-file';

export interface EvidenceEntry {
  /** Absolute path, or `<archive>!/<member>` for an archive member. */
  displayPath: string;
  source: ByteSource;
}

export interface EntryFailure {
  displayPath: string;
  error: string;
}

export type Enumerated = ({ kind: 'entry' } & EvidenceEntry) | ({ kind: 'failure' } & EntryFailure);

/** Largest archive member read into memory. Trail files are a few MB; a larger member is refused clearly. */
export const MAX_MEMBER_BYTES = 512 * 1024 * 1024;

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

export async function* enumerateEvidence(paths: string[]): AsyncGenerator<Enumerated> {
  for (const p of paths) yield* enumeratePath(resolve(p));
}

async function* enumeratePath(path: string): AsyncGenerator<Enumerated> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    yield { kind: 'failure', displayPath: path, error: `cannot read: ${(err as Error).message}` };
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
      if (name.startsWith('.')) continue; // .DS_Store, editor files
      yield* enumeratePath(join(path, name));
    }
    return;
  }
  if (!info.isFile()) return;
  let archive: ArchiveKind | null;
  try {
    archive = await sniffArchive(path);
  } catch (err) {
    yield { kind: 'failure', displayPath: path, error: `cannot read: ${(err as Error).message}` };
    return;
  }
  if (archive === 'zip') yield* zipMembers(path);
  else if (archive === 'tar' || archive === 'tar.gz') yield* tarMembers(path, archive === 'tar.gz');
  else yield { kind: 'entry', displayPath: path, source: { path } };
}

class TooLargeError extends Error {}

async function readAll(stream: Readable, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      stream.destroy();
      throw new TooLargeError(`${what} is larger than ${limit} bytes; extract it to a folder to load it`);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

async function* zipMembers(path: string): AsyncGenerator<Enumerated> {
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
    const displayPath = `${path}!/${fileName}`;
    if (fileName.endsWith('/')) continue;
    const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
    if (mode === 0o120000) {
      yield { kind: 'failure', displayPath, error: 'symbolic link inside the archive: not followed' };
      continue;
    }
    if (isHidden(fileName)) continue;
    try {
      const stream = await new Promise<Readable>((res, rej) =>
        zip.openReadStream(entry!, (err, s) => (err ? rej(err) : res(s))),
      );
      const bytes = await readAll(stream, MAX_MEMBER_BYTES, 'archive member');
      yield { kind: 'entry', displayPath, source: { bytes } };
    } catch (err) {
      yield { kind: 'failure', displayPath, error: (err as Error).message };
    }
  }
}

/** A zip member's name as yauzl would decode it (CP437 or UTF-8, Info-ZIP Unicode path), without validation. */
function memberName(entry: yauzl.Entry): string {
  const decode = (yauzl as unknown as {
    getFileNameLowLevel(flags: number, raw: Buffer, extraFields: { id: number; data: Buffer }[], strict: boolean): string;
  }).getFileNameLowLevel;
  return decode(entry.generalPurposeBitFlag, entry.fileName as unknown as Buffer, entry.extraFields, false);
}

async function* tarMembers(path: string, gzipped: boolean): AsyncGenerator<Enumerated> {
  const extract = tarStream.extract();
  const stages: (Readable | NodeJS.ReadWriteStream)[] = [createReadStream(path)];
  if (gzipped) stages.push(createGunzip());
  const feeding = (pipeline as unknown as (...s: unknown[]) => Promise<void>)(...stages, extract).catch(
    (err: Error) => err,
  );
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      const displayPath = `${path}!/${name}`;
      const type = entry.header.type;
      if (type === 'symlink' || type === 'link') {
        entry.resume();
        yield { kind: 'failure', displayPath, error: `${type === 'link' ? 'hard' : 'symbolic'} link inside the archive: not followed` };
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      if (isHidden(name)) {
        entry.resume();
        continue;
      }
      try {
        const bytes = await readAll(entry as unknown as Readable, MAX_MEMBER_BYTES, 'archive member');
        yield { kind: 'entry', displayPath, source: { bytes } };
      } catch (err) {
        const message = (err as Error).message;
        yield { kind: 'failure', displayPath, error: err instanceof TooLargeError ? message : `tar archive is corrupt or truncated: ${message}` };
        return;
      }
    }
  } catch (err) {
    yield { kind: 'failure', displayPath: path, error: `tar archive is corrupt or truncated: ${(err as Error).message}` };
    return;
  }
  const fed = await feeding;
  if (fed instanceof Error) {
    yield { kind: 'failure', displayPath: path, error: `tar archive is corrupt or truncated: ${fed.message}` };
  }
}

function isHidden(memberName: string): boolean {
  const base = memberName.split('/').pop() ?? '';
  return base.startsWith('.') || memberName.startsWith('__MACOSX/');
}
