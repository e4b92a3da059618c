/**
 * Archives built at test time (never committed as binary fixtures): a minimal zip writer (stored or
 * deflated entries, optional Unix symlink members) and tar / tar.gz through `tar-stream`.
 */
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import * as tarStream from 'tar-stream';

export interface ZipMember {
  name: string;
  data: Buffer | string;
  /** Deflate the member (default) or store it. */
  method?: 'deflate' | 'store';
  /** A Unix symbolic link member whose target is `data`. */
  symlink?: boolean;
  /** Unix file type bits for the external attributes (e.g. `0o010000`, a named pipe); default: a regular file. */
  unixType?: number;
  /** MS-DOS attribute bits, the low byte of the external attributes (0x10: a folder). */
  dosAttributes?: number;
}

/** A zip archive: local headers, data, central directory, end record (no zip64, no data descriptors). */
export function buildZip(members: ZipMember[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const data = Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data, 'utf8');
    const method = m.symlink ? 0 : m.method === 'store' ? 0 : 8;
    const body = method === 8 ? deflateRawSync(data) : data;
    const crc = crc32(data);
    const flags = 0x0800; // names are UTF-8
    const dosTime = 0;
    const dosDate = ((2024 - 1980) << 9) | (1 << 5) | 1;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);

    const mode = m.symlink ? 0o120777 : (m.unixType ?? 0o100000) | 0o644;
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(((mode << 16) | (m.dosAttributes ?? 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, cd, end]);
}

export interface TarMember {
  name: string;
  /** Contents; given for a `directory`, a folder entry that carries data (hostile archives). */
  data?: Buffer | string;
  type?: 'file' | 'symlink' | 'link' | 'directory' | 'fifo' | 'character-device';
  /** Link target for symlink / hard link members. */
  linkname?: string;
}

/** A ustar archive built with tar-stream. */
export async function buildTar(members: TarMember[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const m of members) {
    const type = m.type ?? 'file';
    if (type === 'file' || (type === 'directory' && m.data !== undefined)) {
      const data = m.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data, 'utf8');
      // tar-stream writes no body for a folder: a folder with data is written as a file and retyped below.
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: m.name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (err) => (err ? reject(err) : resolve())),
      );
    } else {
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: m.name, type, linkname: m.linkname, mode: 0o755, mtime: new Date(0) }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    }
  }
  pack.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  const folders = new Set(members.filter((m) => m.type === 'directory' && m.data !== undefined).map((m) => m.name));
  for (let at = 0; folders.size > 0 && at + 512 <= tar.length; ) {
    const name = tar.toString('utf8', at, at + 100).replace(/\0.*$/s, '');
    const size = parseInt(tar.toString('latin1', at + 124, at + 136).replace(/\0.*$/s, '').trim() || '0', 8);
    if (folders.delete(name)) {
      tar[at + 156] = 0x35; // typeflag '5': a directory
      tar.fill(0x20, at + 148, at + 156);
      let sum = 0;
      for (let i = at; i < at + 512; i++) sum += tar[i]!;
      tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return tar;
}

export async function buildTarGz(members: TarMember[]): Promise<Buffer> {
  return gzipSync(await buildTar(members));
}
