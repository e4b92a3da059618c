/**
 * A signed CloudTrail bundle built at test time with our own keys (test/generator/digests.ts): one trail in
 * us-east-1, four hourly digests (00:00–04:00 on 2026-03-02, the first a starting digest), two log files per
 * hour, one late log file listed by a backfill digest of hour 1, the key list (key A in PKCS#1 signs hours 0–1,
 * key B in SPKI signs the rest and the backfill), and head-object output for the newest digest and the backfill.
 * Laid out as `aws s3 sync s3://<bucket> bundle/` leaves it. Tests then delete, move or alter files.
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { apiRecord, put, tempDir } from './evidence';
import { buildDigestChain, HOUR_MS, listPublicKeysJson, logKey, signingKey, type BuiltDigest, type LogObject, type SigningKey, type TrailSpec } from '../generator/digests';

export const T0 = Date.parse('2026-03-02T00:00:00Z');
export const HOURS = 4;

let cached: { a: SigningKey; b: SigningKey; c: SigningKey } | null = null;

/** Key A (PKCS#1, valid to 02:30), key B (SPKI, valid from 02:00), and key C (nobody's: for forgeries). */
export function fixtureKeys(): { a: SigningKey; b: SigningKey; c: SigningKey } {
  cached ??= {
    a: signingKey('us-east-1', { encoding: 'pkcs1', validFromMs: T0 - 24 * HOUR_MS, validToMs: T0 + 2.5 * HOUR_MS }),
    b: signingKey('us-east-1', { encoding: 'spki', validFromMs: T0 + 2 * HOUR_MS, validToMs: T0 + 200 * HOUR_MS }),
    c: signingKey('us-east-1', { encoding: 'pkcs1', validFromMs: T0 - 24 * HOUR_MS, validToMs: T0 + 200 * HOUR_MS }),
  };
  return cached;
}

export interface FixtureOptions {
  /** Where the key list goes: in the bundle (under keys/<region>/, ingested), beside it (for --public-keys), or nowhere. */
  keys?: 'ingested' | 'file' | 'none';
  /** The region folder of the key list (a wrong one for the wrong-region test). */
  keyRegion?: string;
  /** The keys the list holds (default A and B as they are). */
  listed?: (k: ReturnType<typeof fixtureKeys>) => SigningKey[];
  /** The key that signs the digest ending at a time (default A to 02:00, then B). */
  signer?: (endMs: number, k: ReturnType<typeof fixtureKeys>) => SigningKey;
  /** head-object output for the newest digest (default true). */
  headObject?: boolean;
  join?: string;
  org?: string;
}

export interface Fixture {
  dir: string;
  bundle: string;
  keysFile: string | null;
  trail: TrailSpec;
  digests: BuiltDigest[];
  chain: BuiltDigest[];
  backfill: BuiltDigest;
  logs: LogObject[];
  late: LogObject;
  /** The bundle path of an S3 object. */
  at(s3Key: string): string;
}

function logObject(trail: TrailSpec, ms: number, n: number): LogObject {
  const records = [0, 1].map((i) =>
    apiRecord(`00000000-0000-4000-8000-${String(n * 10 + i).padStart(12, '0')}`, { eventTime: new Date(ms - (i + 1) * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z') }),
  );
  const suffix = `Fx${String(n).padStart(14, '0')}`;
  return { key: logKey(trail, ms, suffix), content: Buffer.from(JSON.stringify({ Records: records })), nameMs: ms };
}

export function writeFixture(o: FixtureOptions = {}): Fixture {
  const k = fixtureKeys();
  const dir = tempDir('integrity');
  const bundle = join(dir, 'bundle');
  const trail: TrailSpec = { bucket: 'acme-cloudtrail', account: '111122223333', region: 'us-east-1', trail: 'management-events', ...(o.org ? { org: o.org } : {}) };
  const logs: LogObject[] = [];
  for (let h = 0; h < HOURS; h++) for (const m of [10, 40]) logs.push(logObject(trail, T0 + h * HOUR_MS + m * 60_000, logs.length + 1));
  const late = logObject(trail, T0 + HOUR_MS + 50 * 60_000, 99);
  const signer = o.signer ?? ((endMs: number) => (endMs <= T0 + 2 * HOUR_MS ? k.a : k.b));
  const digests = buildDigestChain({
    ...trail,
    startMs: T0,
    hours: HOURS,
    logs,
    keyFor: (ms) => signer(ms, k),
    join: o.join,
    backfills: [{ hour: 1, logs: [late], generatedMs: T0 + 5.5 * HOUR_MS }],
  });
  for (const l of [...logs, late]) put(bundle, l.key, gzipSync(l.content));
  for (const d of digests) put(bundle, d.key, d.gz);
  const chain = digests.filter((d) => !d.backfill);
  const backfill = digests.find((d) => d.backfill)!;
  if (o.headObject ?? true) put(bundle, `${chain[chain.length - 1]!.key}.head-object.json`, chain[chain.length - 1]!.headObject);
  put(bundle, `${backfill.key}.head-object.json`, backfill.headObject);
  const list = listPublicKeysJson(o.listed ? o.listed(k) : [k.a, k.b]);
  const region = o.keyRegion ?? 'us-east-1';
  let keysFile: string | null = null;
  if (o.keys === 'file') keysFile = put(dir, `list-public-keys-${region}.json`, list);
  else if ((o.keys ?? 'ingested') === 'ingested') keysFile = put(bundle, `keys/${region}/list-public-keys.json`, list);
  return { dir, bundle, keysFile, trail, digests, chain, backfill, logs, late, at: (key) => join(bundle, key) };
}
