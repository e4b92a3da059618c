#!/usr/bin/env node
// Peak RSS of `podtrail ingest` on a small archive of large members (issue 12, item 3): a zip and a .tar.gz of
// `--members` trail files of `--member-mib` MiB each (one record, then whitespace: they deflate about 1000:1, so
// the archives are a few MB). Archive members are read into memory; the bytes of members in flight are bounded
// (sources.ts `MAX_MEMBER_BYTES_IN_FLIGHT`), so the peak must stay under `--max-peak-mib`.
//
//   npm run build && node scripts/archive-memory.mjs                       # 4 × 304 MiB, asserts peak < 1 GiB
//   node scripts/archive-memory.mjs --members 6 --member-mib 100 --keep
//
// Exits 1 when a peak is over --max-peak-mib, or an ingest does not exit 0 with every member loaded.
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { createDeflateRaw, createGzip, crc32 } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { measureIngest } from './big-file.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const CHUNK = Buffer.alloc(MiB, 0x20);

function record(i) {
  return `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEY00001"},"eventTime":"2024-03-01T10:00:0${i % 10}Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.${i}","eventID":"archive-memory-${i}","recipientAccountId":"111122223333"}`;
}

/** One member's bytes, generated a chunk at a time: `{"Records":[<record>` + spaces + `]}`, exactly `size` bytes. */
function* memberChunks(i, size) {
  const head = Buffer.from(`{"Records":[${record(i)}`);
  const tail = Buffer.from(']}');
  yield head;
  let left = size - head.length - tail.length;
  while (left > 0) {
    const n = Math.min(left, CHUNK.length);
    yield n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n);
    left -= n;
  }
  yield tail;
}

/** A zip of deflated members (each compressed in memory: it is small), written without holding any member whole. */
async function writeZip(path, members, size) {
  const out = createWriteStream(path);
  const central = [];
  let offset = 0;
  const write = async (b) => {
    offset += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  for (let i = 0; i < members; i++) {
    const name = Buffer.from(`AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/member-${i}.json`);
    let crc = 0;
    const parts = [];
    const deflate = createDeflateRaw({ level: 9 });
    deflate.on('data', (d) => parts.push(d));
    for (const c of memberChunks(i, size)) {
      crc = crc32(c, crc);
      if (!deflate.write(c)) await once(deflate, 'drain');
    }
    deflate.end();
    await once(deflate, 'end');
    const body = Buffer.concat(parts);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const at = offset;
    await write(local);
    await write(name);
    await write(body);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(0x031e, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(crc >>> 0, 16);
    c.writeUInt32LE(body.length, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    c.writeUInt32LE(at, 42);
    central.push(c, name);
  }
  const cdAt = offset;
  const cd = Buffer.concat(central);
  await write(cd);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members, 8);
  end.writeUInt16LE(members, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(cdAt, 16);
  await write(end);
  out.end();
  await once(out, 'finish');
}

async function writeTarGz(path, members, size) {
  const pack = tarStream.pack();
  const done = pipeline(pack, createGzip({ level: 9 }), createWriteStream(path));
  for (let i = 0; i < members; i++) {
    const entry = pack.entry({ name: `AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/member-${i}.json`, size, mtime: new Date(0) });
    await pipeline(Readable.from(memberChunks(i, size)), entry);
  }
  pack.finalize();
  await done;
}

async function main() {
  const { values: opts } = parseArgs({
    options: {
      members: { type: 'string', default: '4' },
      'member-mib': { type: 'string', default: '304' },
      workers: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'max-peak-mib': { type: 'string', default: '1024' },
    },
  });
  if (!existsSync(join(ROOT, 'dist', 'electron', 'cli', 'main.js'))) {
    console.error('archive-memory: build first (npm run build)');
    process.exit(1);
  }
  const members = Number(opts.members);
  const size = Number(opts['member-mib']) * MiB;
  const dir = mkdtempSync(join(tmpdir(), 'podtrail-archive-memory-'));
  console.log(`archive-memory — ${new Date().toISOString().slice(0, 10)}, node ${process.version}; ${members} members of ${opts['member-mib']} MiB; limit ${opts['max-peak-mib']} MiB`);
  let failed = false;
  try {
    for (const [kind, write] of [
      ['zip', writeZip],
      ['tar.gz', writeTarGz],
    ]) {
      const archive = join(dir, `evidence.${kind}`);
      await write(archive, members, size);
      const casePath = join(dir, `case-${kind.replace('.', '-')}.db`);
      const r = await measureIngest({ casePath, inputs: [archive], cli: true, workers: opts.workers === undefined ? undefined : Number(opts.workers) });
      const loaded = /files: (\d+) loaded/.exec(r.stdout);
      const peakMiB = r.peakRssBytes / MiB;
      const ok = r.code === 0 && loaded && Number(loaded[1]) === members && peakMiB < Number(opts['max-peak-mib']);
      console.log(
        `${kind.padEnd(7)} ${(statSync(archive).size / MiB).toFixed(1)} MiB on disk → exit ${r.code}, ${loaded ? loaded[1] : '?'} members loaded, ${r.seconds.toFixed(1)} s, peak RSS ${peakMiB.toFixed(0)} MiB${ok ? '' : '  FAILED'}`,
      );
      if (!ok) {
        failed = true;
        if (r.code !== 0) console.error(r.stdout, r.stderr);
      }
      for (const suffix of ['', '-wal', '-shm']) rmSync(casePath + suffix, { force: true });
    }
  } finally {
    if (opts.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
