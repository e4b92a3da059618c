/**
 * Streams records into the on-disk bundle: S3-layout CloudTrail files per account / region / 5 minutes
 * (late delivery, unsorted, split at 2,000 records), an organization-trail copy of some files, and the
 * truth JSONL. Only a few open 5-minute buckets are held in memory at any time.
 */

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { compactMinute, datePath, ids, isoSec } from './ids';
import type { Json } from './records';
import type { Rng } from './rng';
import type { Sink } from './scenario';
import type { EmitOpts } from './sts';
import type { TruthBase } from './truth';
import type { World } from './world';

export const FILE_MS = 5 * 60_000;
export const MAX_RECORDS_PER_FILE = 2000;
const MAX_DELAY_MS = 10 * 60_000;

interface Bucket {
  key: string;
  account: string;
  region: string;
  idx: number;
  lines: string[];
  oldest: number;
  newest: number;
}

export interface LogFileEntry {
  s3Bucket: string;
  s3Object: string;
  hashValue: string;
  hashAlgorithm: 'SHA-256';
  newestEventTime: string;
  oldestEventTime: string;
}

export interface LookupSample {
  json: string;
  rec: Json;
  t: number;
}

export interface WriterOptions {
  outDir: string;
  truthPath: string;
  orgTrail: boolean;
  lookupEvents: boolean;
  /** Target record count (sizes the samples routed to lookup-events and JSON Lines). */
  target: number;
  /**
   * k8s option: rewrite each truth (what the audit logs make provable) and write `flags` / `attack` on every
   * truth line. Unset: truth lines are exactly as before the option existed.
   */
  k8sTruth?: (t: TruthBase) => TruthBase;
}

/** A planted attack's record, for `<truthPath>.attacks.json`. */
export interface AttackRecord {
  attackId: string;
  eventID: string;
  eventTime: string;
  eventName: string;
  flags: string[];
}

export class BundleWriter implements Sink {
  count = 0;
  files = 0;
  orgFiles = 0;
  readonly lookup: LookupSample[] = [];
  readonly jsonl: string[] = [];
  /** Files of the digest window (workloads account, first region, first hour). */
  readonly digestFiles: LogFileEntry[] = [];
  readonly attacks: AttackRecord[] = [];
  /** Latest eventTime emitted (epoch ms). */
  lastT = -Infinity;
  private readonly mapped = new WeakMap<TruthBase, TruthBase>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly dirs = new Set<string>();
  private flushedBelow = -Infinity;
  private readonly truthFd: number;
  private truthBuf: string[] = [];
  private truthLen = 0;
  private readonly truthText = new WeakMap<TruthBase, string>();
  private readonly pJsonl: number;
  private readonly pLookup: number;

  constructor(private readonly rng: Rng, private readonly world: World, private readonly o: WriterOptions) {
    fs.mkdirSync(o.outDir, { recursive: true });
    fs.mkdirSync(path.dirname(o.truthPath), { recursive: true });
    this.truthFd = fs.openSync(o.truthPath, 'w');
    this.pJsonl = Math.min(0.05, 40 / Math.max(1, o.target));
    this.pLookup = Math.min(0.2, 2000 / Math.max(1, o.target));
  }

  emit(rec: Json, truth: TruthBase, opts?: EmitOpts): void {
    const json = JSON.stringify(rec);
    const t = Date.parse(rec.eventTime as string);
    if (t > this.lastT) this.lastT = t;
    const map = this.o.k8sTruth;
    if (map) {
      let m = this.mapped.get(truth);
      if (!m) this.mapped.set(truth, (m = map(truth)));
      truth = m;
      if (truth.attack) {
        this.attacks.push({ attackId: truth.attackId ?? 'unknown', eventID: rec.eventID as string, eventTime: rec.eventTime as string, eventName: rec.eventName as string, flags: truth.flags ?? [] });
      }
    }
    const account = rec.recipientAccountId as string;
    const region = rec.awsRegion as string;
    this.count++;
    const ui = rec.userIdentity as { accessKeyId?: string } | undefined;
    let middle = this.truthText.get(truth);
    if (middle === undefined) {
      // Sessions share one truth object: serialize its fields once (key order as in TruthRecord).
      middle =
        `"mechanism":"${truth.mechanism}","chained":${truth.chained},` +
        `"cluster":${JSON.stringify(truth.cluster)},"namespace":${JSON.stringify(truth.namespace)},"serviceAccount":${JSON.stringify(truth.serviceAccount)},` +
        `"pod":${JSON.stringify(truth.pod)},"node":${JSON.stringify(truth.node)},"expect":${JSON.stringify(truth.expect)},` +
        (map ? `"flags":${JSON.stringify(truth.flags ?? [])},${truth.attack ? '"attack":true,' : ''}` : '');
      this.truthText.set(truth, middle);
    }
    this.writeTruth(`{"eventID":"${rec.eventID as string}",${middle}"accessKeyId":${JSON.stringify(ui?.accessKeyId ?? null)}}\n`);
    if (opts?.jsonlOk && this.jsonl.length < 12 && this.rng.chance(this.pJsonl)) {
      this.jsonl.push(json);
      return;
    }
    if (this.o.lookupEvents && account === this.world.accounts.workloads.id && region === this.world.regions[0] && rec.eventCategory === 'Management' &&
      this.lookup.length < 400 && this.rng.chance(rec.eventSource === 'sts.amazonaws.com' || rec.eventSource === 'eks-auth.amazonaws.com' ? Math.min(1, this.pLookup * 5) : this.pLookup)) {
      this.lookup.push({ json, rec, t });
    }
    const delay = this.rng.chance(0.8) ? this.rng.int(FILE_MS) : this.rng.int(MAX_DELAY_MS);
    const idx = Math.max(Math.floor((t + delay) / FILE_MS), this.flushedBelow);
    const key = `${account}|${region}|${idx}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = { key, account, region, idx, lines: [], oldest: t, newest: t };
      this.buckets.set(key, b);
    }
    b.lines.push(json);
    if (t < b.oldest) b.oldest = t;
    if (t > b.newest) b.newest = t;
    if (b.lines.length >= MAX_RECORDS_PER_FILE) this.flush(b);
  }

  advance(t: number): void {
    const below = Math.floor(t / FILE_MS);
    if (below <= this.flushedBelow) return;
    this.flushedBelow = below;
    const done = [...this.buckets.values()].filter((b) => b.idx < below).sort(compareBuckets);
    for (const b of done) {
      this.flush(b);
      this.buckets.delete(b.key);
    }
  }

  /** Flush every open bucket and the truth file. */
  close(): void {
    for (const b of [...this.buckets.values()].sort(compareBuckets)) this.flush(b);
    this.buckets.clear();
    if (this.truthLen > 0) fs.writeSync(this.truthFd, this.truthBuf.join(''));
    fs.closeSync(this.truthFd);
  }

  private writeTruth(line: string): void {
    this.truthBuf.push(line);
    this.truthLen += line.length;
    if (this.truthLen > 1 << 20) {
      fs.writeSync(this.truthFd, this.truthBuf.join(''));
      this.truthBuf = [];
      this.truthLen = 0;
    }
  }

  private flush(b: Bucket): void {
    if (b.lines.length === 0) return;
    const fileTime = (b.idx + 1) * FILE_MS;
    const content = `{"Records":[${this.rng.shuffle(b.lines).join(',')}]}`;
    const gz = gzipSync(content, { level: 6 });
    const rel = logFileKey(b.account, b.region, fileTime, ids.fileSuffix(this.rng));
    this.write(rel, gz);
    this.files++;
    const w = this.world;
    if (b.account === w.accounts.workloads.id && b.region === w.regions[0] && fileTime > w.t0 && fileTime <= w.t0 + 3_600_000) {
      this.digestFiles.push({
        s3Bucket: w.accounts.workloads.trailBucket,
        s3Object: rel,
        hashValue: createHash('sha256').update(content).digest('hex'),
        hashAlgorithm: 'SHA-256',
        newestEventTime: isoSec(b.newest),
        oldestEventTime: isoSec(b.oldest),
      });
    }
    if (this.o.orgTrail && b.account === w.accounts.workloads.id && this.rng.chance(0.35)) {
      this.write(`AWSLogs/${w.orgId}/${logFileKey(b.account, b.region, fileTime, ids.fileSuffix(this.rng)).slice('AWSLogs/'.length)}`, gz);
      this.orgFiles++;
    }
    b.lines = [];
    b.oldest = Infinity;
    b.newest = -Infinity;
  }

  write(rel: string, data: Buffer | string): void {
    const full = path.join(this.o.outDir, rel);
    const dir = path.dirname(full);
    if (!this.dirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      this.dirs.add(dir);
    }
    fs.writeFileSync(full, data);
  }
}

function compareBuckets(a: Bucket, b: Bucket): number {
  return a.idx - b.idx || (a.account < b.account ? -1 : a.account > b.account ? 1 : a.region < b.region ? -1 : a.region > b.region ? 1 : 0);
}

/** `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<16 alnum>.json.gz` */
export function logFileKey(account: string, region: string, fileTime: number, suffix: string): string {
  return `AWSLogs/${account}/CloudTrail/${region}/${datePath(fileTime)}/${account}_CloudTrail_${region}_${compactMinute(fileTime)}_${suffix}.json.gz`;
}
