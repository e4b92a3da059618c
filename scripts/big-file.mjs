#!/usr/bin/env node
// One very large CloudTrail file, ingested with bounded memory. Streams a `{"Records":[…]}` trail of the
// requested size to disk (generated as it is written, never held in memory), runs `podtrail ingest` on it in a
// child process, and prints the figures: bytes, records, seconds, peak RSS of the ingest process (its worker
// threads share the process, so that one number covers them).
//
//   npm run build && node scripts/big-file.mjs                  # 2 GiB, asserts peak RSS < 1 GiB
//   node scripts/big-file.mjs --mib 300 --max-peak-mib 1024     # smaller
//   node scripts/big-file.mjs --dir /big/disk --keep            # where the file and case go (default: a temp dir)
//
// Needs about 3.5× the file size free on disk (the file, the case database and its WAL). Exits 1 when the peak is
// over --max-peak-mib, when the ingest fails, or when it does not read every record.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { rng } from './lib/rng.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;


const AGENTS = [
  'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2',
  '[aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11]',
  'Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144',
];

/**
 * One record. Every 500th is the `AssumeRole` that issues the key the next 499 calls are made with, so the case
 * has chains to correlate; the rest are S3 data events the size of real ones (~1.6 KB).
 */
function recordText(i, seedHex, random) {
  const ms = Date.UTC(2026, 2, 2) + i * 40;
  const time = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const session = Math.floor(i / 500);
  const key = `ASIA${seedHex.toUpperCase()}${String(session).padStart(12, '0')}`;
  const id = `${seedHex}-${i.toString(16).padStart(4, '0').slice(-4)}-4000-8000-${i.toString(16).padStart(12, '0')}`;
  const account = '111122223333';
  if (i % 500 === 0) {
    return `{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"pods.eks.amazonaws.com"},"eventTime":"${time}","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"pods.eks.amazonaws.com","userAgent":"pods.eks.amazonaws.com","requestParameters":{"roleArn":"arn:aws:iam::${account}:role/app-${session % 50}","roleSessionName":"eks-prod-east-app-${session}","durationSeconds":21600},"responseElements":{"credentials":{"accessKeyId":"${key}","sessionToken":"IQoJb3JpZ2luX2VjEJ${session}","expiration":"${new Date(ms + 6 * 3600e3).toISOString()}"},"assumedRoleUser":{"assumedRoleId":"AROAEXAMPLE${session % 50}:eks-prod-east-app-${session}","arn":"arn:aws:sts::${account}:assumed-role/app-${session % 50}/eks-prod-east-app-${session}"}},"requestID":"${id}","eventID":"${id}","readOnly":true,"resources":[{"accountId":"${account}","type":"AWS::IAM::Role","ARN":"arn:aws:iam::${account}:role/app-${session % 50}"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"${account}","sharedEventID":"${id}","eventCategory":"Management"}`;
  }
  const object = `data/${Math.floor(random() * 1e9).toString(36)}/${i.toString(36)}.parquet`;
  return `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE${session % 50}:eks-prod-east-app-${session}","arn":"arn:aws:sts::${account}:assumed-role/app-${session % 50}/eks-prod-east-app-${session}","accountId":"${account}","accessKeyId":"${key}","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE${session % 50}","arn":"arn:aws:iam::${account}:role/app-${session % 50}","accountId":"${account}","userName":"app-${session % 50}"},"attributes":{"creationDate":"${time}","mfaAuthenticated":"false"}}},"eventTime":"${time}","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.${i % 200}.${(i >> 8) % 250}.${i % 250}","userAgent":"${AGENTS[i % AGENTS.length]}","requestParameters":{"bucketName":"prod-east-data","Host":"prod-east-data.s3.us-east-1.amazonaws.com","key":"${object}","x-id":"GetObject"},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"${Math.floor(random() * 1e16).toString(36)}/${id}","bytesTransferredOut":${Math.floor(random() * 1e7)}},"requestID":"${id.slice(-16).toUpperCase()}","eventID":"${id}","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::prod-east-data/${object}"},{"accountId":"${account}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::prod-east-data"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"${account}","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"prod-east-data.s3.us-east-1.amazonaws.com"}}`;
}

/**
 * Stream a `{"Records":[…]}` file of at least `targetBytes` to `path`, one batch of records at a time (with
 * backpressure), so that writing 2 GiB takes a few MiB of memory. `huge: { count, bytes }` spreads that many
 * records with a user agent of that size through the file (records far larger than the read chunks, under the
 * record cap). Returns the bytes and records written.
 */
export async function writeTrailFile(path, targetBytes, { seed = 1, huge = { count: 0, bytes: 0 } } = {}) {
  const random = rng(seed);
  const seedHex = (seed >>> 0).toString(16).padStart(8, '0');
  const out = createWriteStream(path);
  let bytes = 0;
  let records = 0;
  let hugeWritten = 0;
  const write = async (s) => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('{"Records":[');
  while (bytes < targetBytes) {
    if (hugeWritten < huge.count && bytes >= ((hugeWritten + 1) * targetBytes) / (huge.count + 1)) {
      const agent = `huge-${hugeWritten}-${'x'.repeat(huge.bytes)}`;
      await write((records > 0 ? ',' : '') + recordText(records, seedHex, random).replace(/"userAgent":"[^"]*"/, `"userAgent":"${agent}"`));
      records++;
      hugeWritten++;
      continue;
    }
    const batch = [];
    for (let k = 0; k < 1000 && bytes + batch.length * 1700 < targetBytes; k++) batch.push(recordText(records + k, seedHex, random));
    if (batch.length === 0) batch.push(recordText(records, seedHex, random));
    await write((records > 0 ? ',' : '') + batch.join(','));
    records += batch.length;
  }
  await write(']}');
  out.end();
  await once(out, 'finish');
  return { bytes, records };
}

function vmHwmBytes(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Run an ingest in a child process and measure its peak RSS: GNU time's maximum resident set size (the kernel's
 * figure for the whole process, threads included) where /usr/bin/time exists, and VmHWM polled from /proc every
 * 100 ms in any case; the larger is reported.
 *
 * `cli: true` runs `podtrail ingest` as a user would (correlation included); otherwise scripts/ingest-peak.cjs,
 * which can shrink SQLite's page cache (`cacheMiB`) and reports its own peak too.
 */
export async function measureIngest({ casePath, inputs, cli = true, cacheMiB, workers }) {
  const nodeArgs = cli
    ? [join(ROOT, 'bin', 'podtrail.js'), 'ingest', '--quiet', '--case', casePath, ...inputs, ...(workers === undefined ? [] : ['--workers', String(workers)])]
    : [join(ROOT, 'scripts', 'ingest-peak.cjs'), casePath, ...inputs, ...(cacheMiB === undefined ? [] : ['--cache-mib', String(cacheMiB)]), ...(workers === undefined ? [] : ['--workers', String(workers)])];
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const timeOut = timeBin ? join(mkdtempSync(join(tmpdir(), 'podtrail-time-')), 'rusage') : null;
  const [cmd, args] = timeBin ? [timeBin, ['-o', timeOut, '-f', '%M', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const started = Date.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  // Under GNU time the ingest is time's child: poll whichever node process is running.
  let polled = 0;
  const nodePid = () => {
    if (!timeBin) return child.pid;
    try {
      return Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]) || null;
    } catch {
      return null;
    }
  };
  const timer = setInterval(() => {
    const pid = nodePid();
    if (pid) polled = Math.max(polled, vmHwmBytes(pid));
  }, 100);
  const [code, signal] = await once(child, 'close');
  clearInterval(timer);
  const seconds = (Date.now() - started) / 1000;
  let timed = 0;
  if (timeOut && existsSync(timeOut)) {
    const kb = Number(readFileSync(timeOut, 'utf8').trim().split('\n').pop());
    if (Number.isFinite(kb)) timed = kb * 1024;
    rmSync(dirname(timeOut), { recursive: true, force: true });
  }
  let self = 0;
  if (!cli) {
    try {
      self = JSON.parse(stdout.trim().split('\n').pop()).maxRssBytes;
    } catch {
      // the child failed before reporting: its exit code says so
    }
  }
  return { code, signal, seconds, peakRssBytes: Math.max(timed, polled, self), timedRssBytes: timed, polledRssBytes: polled, stdout, stderr };
}

async function main() {
  const { values: opts } = parseArgs({
    options: {
      gib: { type: 'string' },
      mib: { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      workers: { type: 'string' },
      'max-peak-mib': { type: 'string', default: '1024' },
    },
  });
  if (!existsSync(join(ROOT, 'dist', 'electron', 'cli', 'main.js'))) {
    console.error('big-file: build first (npm run build)');
    process.exit(1);
  }
  const target = opts.mib ? Number(opts.mib) * MiB : Number(opts.gib ?? '2') * 1024 * MiB;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'podtrail-big-'));
  const file = join(dir, 'AWSLogs', 'big.json');
  const casePath = join(dir, 'big-case.db');
  mkdirSync(dirname(file), { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(casePath + suffix, { force: true });
  try {
    let t = Date.now();
    const written = await writeTrailFile(file, target, { seed: Number(opts.seed) });
    const writeS = (Date.now() - t) / 1000;
    console.error(`big-file: wrote ${(written.bytes / MiB).toFixed(0)} MiB, ${written.records} records in ${writeS.toFixed(1)} s; ingesting …`);
    const r = await measureIngest({ casePath, inputs: [file], cli: true, workers: opts.workers === undefined ? undefined : Number(opts.workers) });
    const dbBytes = ['', '-wal'].reduce((s, x) => s + (existsSync(casePath + x) ? statSync(casePath + x).size : 0), 0);
    const read = /records: (\d+) read, (\d+) new events/.exec(r.stdout);
    const peakMiB = r.peakRssBytes / MiB;
    console.log(`big-file — ${new Date().toISOString().slice(0, 10)}, node ${process.version}`);
    console.log(`file              ${file}`);
    console.log(`                  ${written.bytes.toLocaleString('en-US')} bytes (${(written.bytes / MiB).toFixed(0)} MiB), ${written.records.toLocaleString('en-US')} records, one {"Records":[…]} object`);
    console.log(`ingest            exit ${r.code}${r.signal ? ` (${r.signal})` : ''}, ${r.seconds.toFixed(1)} s (podtrail ingest, correlation included) → ${Math.round(written.records / r.seconds).toLocaleString('en-US')} records/s, ${(written.bytes / MiB / r.seconds).toFixed(1)} MiB/s`);
    console.log(`records read      ${read ? `${Number(read[1]).toLocaleString('en-US')} (${Number(read[2]).toLocaleString('en-US')} new events)` : 'unknown (no summary)'}`);
    console.log(`peak RSS          ${peakMiB.toFixed(0)} MiB (GNU time ${(r.timedRssBytes / MiB).toFixed(0)} MiB, /proc VmHWM ${(r.polledRssBytes / MiB).toFixed(0)} MiB); limit ${opts['max-peak-mib']} MiB`);
    console.log(`case database     ${(dbBytes / MiB).toFixed(0)} MiB`);
    const ok = r.code === 0 && read && Number(read[1]) === written.records && peakMiB < Number(opts['max-peak-mib']);
    if (!ok) {
      console.error(`big-file: FAILED${r.code !== 0 ? `\n${r.stdout}\n${r.stderr}` : ''}`);
      process.exitCode = 1;
    }
  } finally {
    if (!opts.keep) {
      rmSync(file, { force: true });
      for (const suffix of ['', '-wal', '-shm']) rmSync(casePath + suffix, { force: true });
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
