#!/usr/bin/env node
/**
 * Gives the demo bundle what log file validation leaves in a real bucket, signed with demo keys instead of AWS's:
 * an hourly digest chain for every trail stream (account or organization trail × region) listing its log files,
 * `aws cloudtrail list-public-keys` output per region (`bundle/cloudtrail-public-keys/<region>/list-public-keys.json`:
 * the region is in the path, which is how PodTrail knows it), and `aws s3api head-object` output for each stream's
 * newest digest (`<digest>.head-object.json`), whose signature nothing else holds. `podtrail verify` on the demo
 * case then reads "authenticated to …".
 *
 * The demo keys' private halves stay in `demo/digest-keys/` (outside the evidence folder; test keys of no account)
 * so regenerating gives the same files. Run by make-demo.mjs; alone: `npm run build && node demo/sign-digests.mjs`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const HOUR = 3_600_000;
const VALID_FROM = Date.parse('2026-01-01T00:00:00Z');
const VALID_TO = Date.parse('2027-01-01T00:00:00Z');
const LOG = /^AWSLogs\/(?:(o-[a-z0-9]+)\/)?(\d{12})\/CloudTrail\/([a-z]{2}-[a-z]+-\d)\/\d{4}\/\d{2}\/\d{2}\/\2_CloudTrail_\3_(\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json\.gz$/;

function* walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

function compactMs(s) {
  return Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(9, 11), +s.slice(11, 13));
}

/** @returns {{ headline: string, streams: number, digests: number }} */
export async function signDemoDigests(bundleDir, keyDir = join(here, 'digest-keys')) {
  const digests = await import(join(here, '..', 'dist', 'test', 'generator', 'digests.js'));
  // Whatever digests, key lists and head-object outputs were there before (the generator writes an unsigned digest).
  for (const p of [...walk(bundleDir)]) {
    const rel = relative(bundleDir, p).split(sep).join('/');
    if (rel.includes('/CloudTrail-Digest/') || rel.endsWith('.head-object.json')) rmSync(p);
  }
  rmSync(join(bundleDir, 'cloudtrail-public-keys'), { recursive: true, force: true });

  const streams = new Map();
  for (const p of walk(bundleDir)) {
    const rel = relative(bundleDir, p).split(sep).join('/');
    const m = LOG.exec(rel);
    if (!m) continue;
    const [, org, account, region, time] = m;
    const id = `${org ?? ''}/${account}/${region}`;
    if (!streams.has(id)) streams.set(id, { org, account, region, logs: [] });
    streams.get(id).logs.push({ key: rel, content: gunzipSync(readFileSync(p)), nameMs: compactMs(time) });
  }

  const keys = new Map();
  const keyFor = (region) => {
    if (!keys.has(region)) {
      const pem = join(keyDir, `${region}.pem`);
      const key = digests.signingKey(region, {
        validFromMs: VALID_FROM,
        validToMs: VALID_TO,
        ...(existsSync(pem) ? { privateKeyPem: readFileSync(pem, 'utf8') } : {}),
      });
      if (!existsSync(pem)) {
        mkdirSync(keyDir, { recursive: true });
        writeFileSync(pem, digests.privateKeyPem(key));
      }
      keys.set(region, key);
    }
    return keys.get(region);
  };

  let count = 0;
  const ends = [];
  for (const s of [...streams.values()].sort((a, b) => `${a.org}${a.account}${a.region}`.localeCompare(`${b.org}${b.account}${b.region}`))) {
    const first = Math.floor(Math.min(...s.logs.map((l) => l.nameMs)) / HOUR) * HOUR;
    const last = Math.floor(Math.max(...s.logs.map((l) => l.nameMs)) / HOUR) * HOUR + HOUR;
    const trail = {
      bucket: `aws-cloudtrail-logs-${s.org ?? s.account}`,
      account: s.account,
      region: s.region,
      trail: s.org ? 'organization-trail' : 'management-events',
      ...(s.org ? { org: s.org } : {}),
    };
    const key = keyFor(s.region);
    const chain = digests.buildDigestChain({ ...trail, startMs: first, hours: (last - first) / HOUR, logs: s.logs, keyFor: () => key });
    for (const d of chain) {
      const p = join(bundleDir, d.key);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, d.gz);
    }
    const newest = chain[chain.length - 1];
    writeFileSync(join(bundleDir, `${newest.key}.head-object.json`), newest.headObject);
    count += chain.length;
    ends.push(newest.endMs);
  }
  for (const [region, key] of keys) {
    const p = join(bundleDir, 'cloudtrail-public-keys', region, 'list-public-keys.json');
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, digests.listPublicKeysJson([key]));
  }
  const to = new Date(Math.min(...ends)).toISOString().replace('.000Z', 'Z');
  return { headline: `authenticated to ${to}`, streams: streams.size, digests: count };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await signDemoDigests(join(here, 'bundle'));
  const demoPath = join(here, 'demo.json');
  const demo = JSON.parse(readFileSync(demoPath, 'utf8'));
  demo.integrity = { headline: r.headline };
  writeFileSync(demoPath, JSON.stringify(demo, null, 2) + '\n');
  process.stdout.write(`demo digests: ${r.digests} signed digests in ${r.streams} trail streams; verify: ${r.headline}\n`);
}
