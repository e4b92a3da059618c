#!/usr/bin/env node
/**
 * Regenerates the demo evidence bundle (`demo/bundle`) from the repository's fixture generator:
 *
 *   npm run build && node demo/make-demo.mjs
 *
 * 3,000 CloudTrail records, seed "demo", with the generator's planted attack (a payments-api IRSA token
 * exchanged from an outside address, then ListSecrets / GetSecretValue). One more file,
 * `bundle/extra/hostile.jsonl`, holds a copy of the attack's first successful GetSecretValue with a new eventID
 * and a user agent that is markup: the UI and the reports must show it as text and never run it. The same file, and
 * `bundle/extra/hostile-1mib.jsonl.gz`, carry the hostile-input corpus (test/generator/hostile.ts) through an STS chain
 * made with the attack's stolen session.
 * The ground truth goes to `demo/bundle.truth.jsonl`, outside the evidence folder; `demo/demo.json` names the
 * attack's events for the end-to-end tests.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const generator = join(root, 'dist', 'test', 'generator', 'index.js');
if (!existsSync(generator)) {
  process.stderr.write('make-demo: the generator is not built: run `npm run build` first\n');
  process.exit(1);
}
const { generateBundle } = await import(generator);
const { signDemoDigests } = await import('./sign-digests.mjs');
// The hostile-input corpus (test/generator/hostile.ts): records that carry it through an STS chain.
const { hostileRecords } = await import(join(root, 'dist', 'test', 'generator', 'hostile.js'));

export const HOSTILE_USER_AGENT = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

const outDir = join(here, 'bundle');
const truthPath = join(here, 'bundle.truth.jsonl');
rmSync(outDir, { recursive: true, force: true });
const result = generateBundle({ outDir, truthPath, events: 3000, seed: 'demo' });

/** Every CloudTrail record of the bundle's trail files and JSON Lines (the generator writes both). */
function* records(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'CloudTrail-Digest') yield* records(p);
    } else if (name.endsWith('.json.gz')) {
      for (const r of JSON.parse(gunzipSync(readFileSync(p)).toString('utf8')).Records ?? []) yield r;
    } else if (name.endsWith('.jsonl')) {
      for (const line of readFileSync(p, 'utf8').split('\n')) if (line.trim()) yield JSON.parse(line);
    }
  }
}

// The attack comes from the generator's outside range (185.220.100-103.x, test/generator/specials.ts).
const attack = [...records(join(outDir, 'AWSLogs')), ...records(join(outDir, 'extra'))]
  .filter((r) => typeof r.sourceIPAddress === 'string' && r.sourceIPAddress.startsWith('185.220.'))
  .sort((a, b) => a.eventTime.localeCompare(b.eventTime) || a.eventID.localeCompare(b.eventID));
const unique = [...new Map(attack.map((r) => [r.eventID, r])).values()];
const exchange = unique.find((r) => r.eventName === 'AssumeRoleWithWebIdentity');
const secret = unique.find((r) => r.eventName === 'GetSecretValue' && !r.errorCode);
if (!exchange || !secret) throw new Error('make-demo: the generated bundle has no planted attack');

/** A UUID derived from a label, so the demo is the same on every run. */
function uuidFrom(label) {
  const h = createHash('sha256').update(label).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const hostile = {
  ...secret,
  eventID: uuidFrom(`podtrail-demo-hostile-${secret.eventID}`),
  requestID: uuidFrom(`podtrail-demo-hostile-request-${secret.eventID}`),
  eventTime: new Date(Date.parse(secret.eventTime) + 4000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  userAgent: HOSTILE_USER_AGENT,
};
// The corpus, through the stolen session: an AssumeRole with a hostile session name, role and tags, then one call
// per hostile string with the key it issued, then one with a 1 MiB user agent and error code (gzip: ~10 KB on disk).
const chain = hostileRecords({
  accountId: secret.recipientAccountId,
  region: secret.awsRegion,
  startTime: new Date(Date.parse(secret.eventTime) + 5000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  sourceIPAddress: secret.sourceIPAddress,
  caller: secret.userIdentity,
  label: `podtrail-demo-hostile-chain-${secret.eventID}`,
});
const hugeRecord = chain.records.find((r) => r.eventID === chain.hugeEventID);
mkdirSync(join(outDir, 'extra'), { recursive: true });
writeFileSync(
  join(outDir, 'extra', 'hostile.jsonl'),
  [hostile, ...chain.records.filter((r) => r !== hugeRecord)].map((r) => JSON.stringify(r) + '\n').join(''),
);
writeFileSync(join(outDir, 'extra', 'hostile-1mib.jsonl.gz'), gzipSync(JSON.stringify(hugeRecord) + '\n', { level: 9 }));

// Signed digests, key lists and head-object output (demo keys): the Integrity panel shows "authenticated to …".
const integrity = await signDemoDigests(outDir);

const demo = {
  seed: 'demo',
  events: result.records,
  attack: {
    sourceIPAddress: secret.sourceIPAddress,
    exchangeEventID: exchange.eventID,
    getSecretValueEventID: secret.eventID,
    accessKeyId: secret.userIdentity?.accessKeyId ?? null,
    roleArn: secret.userIdentity?.sessionContext?.sessionIssuer?.arn ?? null,
    subject: exchange.userIdentity?.userName ?? null,
    events: unique.map((r) => ({ eventID: r.eventID, eventName: r.eventName, errorCode: r.errorCode ?? null })),
  },
  hostile: {
    eventID: hostile.eventID,
    userAgent: HOSTILE_USER_AGENT,
    assumeRole: chain.assumeRole,
    events: chain.events,
    hugeEventID: chain.hugeEventID,
  },
  /** Events in the demo case: the generator's, the hostile user agent's copy, and the hostile chain. */
  caseEvents: result.records + 1 + chain.records.length,
  integrity: { headline: integrity.headline },
};
writeFileSync(join(here, 'demo.json'), JSON.stringify(demo, null, 2) + '\n');

process.stdout.write(
  `demo bundle: ${result.records} records in ${relative(root, outDir)} (+ extra/hostile.jsonl, extra/hostile-1mib.jsonl.gz)\n` +
    `attack: ${exchange.eventName} ${exchange.eventID} from ${secret.sourceIPAddress}, GetSecretValue ${secret.eventID}\n` +
    `hostile user agent on ${hostile.eventID}; hostile chain: AssumeRole ${chain.assumeRole.eventID} and ${chain.events.length} calls\n`,
);
