import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from './cli';
import { generateBundle, type GenerateResult, type TruthRecord } from './index';
import { Rng } from './rng';

type Rec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const EVENTS = 4000;
const S3_LOG = /^AWSLogs\/(?:(o-[a-z0-9]{10})\/)?(\d{12})\/CloudTrail\/([a-z]{2}-[a-z]+-\d)\/(\d{4})\/(\d{2})\/(\d{2})\/\2_CloudTrail_\3_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]{16}\.json\.gz$/;
const DIGEST = /^AWSLogs\/(\d{12})\/CloudTrail-Digest\/([a-z]{2}-[a-z]+-\d)\/\d{4}\/\d{2}\/\d{2}\/\1_CloudTrail-Digest_\2_[A-Za-z0-9._-]+_\2_\d{8}T\d{6}Z\.json\.gz$/;
const SIDE_FILES = [/^lookup-events-\d{12}\.json$/, /^extra\/records\.jsonl$/, /^describe-cluster-[a-z0-9-]+\.json$/];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Placed {
  rec: Rec;
  raw: string;
  file: string;
  fileTime: number;
  org: boolean;
}

interface Loaded {
  result: GenerateResult;
  files: string[];
  placed: Placed[];
  /** Distinct records by eventID (S3 account trail + JSON Lines). */
  byId: Map<string, Rec>;
  jsonl: Rec[];
  truth: TruthRecord[];
  truthById: Map<string, TruthRecord>;
  /** accessKeyId -> issuing record(s). */
  issued: Map<string, Rec[]>;
  /** accessKeyId -> records using it. */
  used: Map<string, Rec[]>;
}

function walk(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p, base) : [path.relative(base, p).split(path.sep).join('/')];
  });
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function load(result: GenerateResult): Loaded {
  const files = walk(result.outDir).sort();
  const placed: Placed[] = [];
  const byId = new Map<string, Rec>();
  for (const f of files) {
    const m = S3_LOG.exec(f);
    if (!m) continue;
    const text = gunzipSync(fs.readFileSync(path.join(result.outDir, f))).toString('utf8');
    const fileTime = Date.UTC(+m[7]!, +m[8]! - 1, +m[9]!, +m[10]!, +m[11]!);
    const records = (JSON.parse(text) as { Records: Rec[] }).Records;
    for (const rec of records) {
      placed.push({ rec, raw: JSON.stringify(rec), file: f, fileTime, org: m[1] !== undefined });
      if (!byId.has(rec.eventID)) byId.set(rec.eventID, rec);
    }
  }
  const jsonl = fs.readFileSync(path.join(result.outDir, 'extra/records.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
  for (const r of jsonl) byId.set(r.eventID, r);
  const truth = fs.readFileSync(result.truthPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TruthRecord);
  const issued = new Map<string, Rec[]>();
  const used = new Map<string, Rec[]>();
  for (const r of byId.values()) {
    const k = r.responseElements?.credentials?.accessKeyId;
    if (k) push(issued, k, r);
    if (r.userIdentity?.accessKeyId) push(used, r.userIdentity.accessKeyId, r);
  }
  return { result, files, placed, byId, jsonl, truth, truthById: new Map(truth.map((t) => [t.eventID, t])), issued, used };
}

let root: string;
let A: Loaded;
let B: GenerateResult;
let C: GenerateResult;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'podtrail-gen-'));
  A = load(generateBundle({ outDir: path.join(root, 'a', 'bundle'), events: EVENTS, seed: 'unit' }));
  B = generateBundle({ outDir: path.join(root, 'b', 'bundle'), events: EVENTS, seed: 'unit' });
  C = generateBundle({ outDir: path.join(root, 'c', 'bundle'), events: EVENTS, seed: 'other' });
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const fileTimeOf = (r: Rec): number => Date.parse(r.eventTime);

describe('determinism', () => {
  it('the same seed writes the same bytes; another seed does not', () => {
    const fa = A.files;
    expect(walk(B.outDir).sort()).toEqual(fa);
    for (const f of fa) expect(fs.readFileSync(path.join(B.outDir, f)).equals(fs.readFileSync(path.join(A.result.outDir, f))), f).toBe(true);
    expect(fs.readFileSync(B.truthPath).equals(fs.readFileSync(A.result.truthPath))).toBe(true);
    expect(fs.readFileSync(C.truthPath).equals(fs.readFileSync(A.result.truthPath))).toBe(false);
  });

  it('the default output (k8s off) is byte-identical to the bundle before the k8s option existed', () => {
    // Golden hash of the 4,000-event 'unit' bundle (every evidence file by path, then the truth file),
    // computed before the k8s option was added. Kubernetes evidence must stay behind `k8s: true`. Updated once since:
    // the Go SDK's web-identity session names became what aws-sdk-go writes (a bare UnixNano, no prefix); with that
    // one change reverted, the old hash still comes out.
    const h = createHash('sha256');
    for (const f of A.files) h.update(`${f}\n${createHash('sha256').update(fs.readFileSync(path.join(A.result.outDir, f))).digest('hex')}\n`);
    h.update(`truth\n${createHash('sha256').update(fs.readFileSync(A.result.truthPath)).digest('hex')}\n`);
    expect(h.digest('hex')).toBe('ec810e7a64f179a07f592091dc2504a0ba8ab61bb9afe26e183bb4ecc7370beb');
    expect(A.result.k8s).toBeUndefined();
    expect(fs.existsSync(`${A.result.truthPath}.attacks.json`)).toBe(false);
    expect(A.truth.some((t) => 'flags' in t || 'attack' in t)).toBe(false);
  });

  it('the PRNG is seeded and never touches Math.random', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    expect(Array.from({ length: 5 }, () => a.u32())).toEqual(Array.from({ length: 5 }, () => b.u32()));
    expect(new Rng(43).u32()).not.toBe(new Rng(42).u32());
    expect(new Rng('x').uuid()).toMatch(UUID4);
  });
});

describe('layout', () => {
  it('holds only evidence files with CloudTrail names; truth lives outside', () => {
    for (const f of A.files) {
      const ok = S3_LOG.test(f) || DIGEST.test(f) || SIDE_FILES.some((re) => re.test(f));
      expect(ok, f).toBe(true);
    }
    expect(A.result.truthPath.startsWith(A.result.outDir + path.sep)).toBe(false);
    expect(path.basename(A.result.truthPath)).toBe('bundle.truth.jsonl');
    expect(A.files.some((f) => /truth/i.test(f))).toBe(false);
  });

  it('log files are gzipped {"Records":[…]} of at most 2,000 records, dated like their names', () => {
    for (const f of A.files.filter((x) => S3_LOG.test(x))) {
      const m = S3_LOG.exec(f)!;
      expect(`${m[4]}${m[5]}${m[6]}`).toBe(`${m[7]}${m[8]}${m[9]}`);
      const text = gunzipSync(fs.readFileSync(path.join(A.result.outDir, f))).toString('utf8');
      expect(text.startsWith('{"Records":[')).toBe(true);
      const n = (JSON.parse(text) as { Records: unknown[] }).Records.length;
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(2000);
    }
  });

  it('writes the side files: lookup-events, JSON Lines, describe-cluster, digest', () => {
    expect(A.files).toContain(`lookup-events-${A.result.accounts.workloads}.json`);
    expect(A.jsonl.length).toBeGreaterThan(0);
    expect(A.files.filter((f) => f.startsWith('describe-cluster-'))).toEqual(['describe-cluster-payments-west.json']);
    expect(A.files.filter((f) => DIGEST.test(f))).toHaveLength(1);
  });

  it('honours orgTrail:false and lookupEvents:false', () => {
    const r = generateBundle({ outDir: path.join(root, 'd', 'ev'), events: 500, seed: 3, orgTrail: false, lookupEvents: false, truthPath: path.join(root, 'd', 't.jsonl') });
    const files = walk(r.outDir);
    expect(files.some((f) => f.startsWith('AWSLogs/o-'))).toBe(false);
    expect(files.some((f) => f.startsWith('lookup-events-'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'd', 't.jsonl'))).toBe(true);
    expect(() => generateBundle({ outDir: path.join(root, 'e'), events: 10, seed: 1, truthPath: path.join(root, 'e', 't.jsonl') })).toThrow(/outside/);
  });

  it('parses the CLI arguments', () => {
    expect(parseArgs(['--out', 'x', '--events', '100', '--seed', 's'])).toEqual({ outDir: 'x', events: 100, seed: 's' });
    expect(() => parseArgs(['--out', 'x'])).toThrow(/usage/);
  });
});

describe('records and truth', () => {
  it('gives one truth line per record, ids unique, count within 5 % of the budget', () => {
    expect(new Set(A.truth.map((t) => t.eventID)).size).toBe(A.truth.length);
    expect(new Set(A.byId.keys())).toEqual(new Set(A.truthById.keys()));
    expect(Math.abs(A.truth.length - EVENTS) / EVENTS).toBeLessThan(0.05);
    expect(A.result.records).toBe(A.truth.length);
  });

  it('every record carries the CloudTrail envelope', () => {
    for (const r of A.byId.values()) {
      expect(r.eventVersion).toMatch(/^1\.\d\d$/);
      expect(r.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      for (const k of ['eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent']) expect(typeof r[k], k).toBe('string');
      expect('requestParameters' in r && 'responseElements' in r).toBe(true);
      expect(r.eventID).toMatch(UUID);
      expect(typeof r.readOnly).toBe('boolean');
      expect(['AwsApiCall', 'AwsServiceEvent']).toContain(r.eventType);
      expect(typeof r.managementEvent).toBe('boolean');
      expect(r.recipientAccountId).toMatch(/^\d{12}$/);
      expect(['Management', 'Data']).toContain(r.eventCategory);
      if (!(r.eventName === 'AssumeRole' && r.userIdentity?.invokedBy === 'pods.eks.amazonaws.com' && r.userIdentity.type === 'AWSService')) expect(r.eventID).toMatch(UUID4);
    }
  });

  it('truth accessKeyId is the record\'s own key', () => {
    for (const t of A.truth) expect(t.accessKeyId).toBe(A.byId.get(t.eventID)!.userIdentity?.accessKeyId ?? null);
  });

  it('contains every mechanism, chained sessions and the Pod Identity variants', () => {
    const count = (p: (t: TruthRecord) => boolean): number => A.truth.filter(p).length;
    for (const m of ['pod-identity', 'irsa', 'node-role', 'iam-user', 'sso', 'aws-service', 'assumed-role'] as const) {
      expect(count((t) => t.mechanism === m), m).toBeGreaterThan(0);
    }
    expect(count((t) => t.mechanism === 'irsa' && t.chained)).toBeGreaterThan(0);
    expect(count((t) => t.mechanism === 'pod-identity' && t.chained)).toBeGreaterThan(0);
    expect(count((t) => t.mechanism === 'pod-identity' && t.expect.pod === 'inferable')).toBeGreaterThan(0);
    expect(count((t) => t.mechanism === 'iam-user' && t.chained)).toBe(0);
    const irsa = count((t) => t.mechanism === 'irsa') / A.truth.length;
    expect(irsa).toBeGreaterThan(0.2);
    expect(irsa).toBeLessThan(0.45);
    expect([...A.byId.values()].filter((r) => r.errorCode).length / A.byId.size).toBeGreaterThan(0.01);
  });

  it('keys are issued in the bundle before use, except for dropped and SSO sessions', () => {
    for (const t of A.truth) {
      const r = A.byId.get(t.eventID)!;
      const key: string | undefined = r.userIdentity?.accessKeyId;
      if (!key || key.startsWith('AKIA')) continue;
      const issuing = A.issued.get(key);
      if (t.mechanism === 'assumed-role' || t.mechanism === 'sso') {
        expect(issuing, t.mechanism).toBeUndefined();
        expect(t.expect.identity).toBe(t.mechanism === 'sso' ? 'proven' : 'none');
        continue;
      }
      expect(issuing, `${t.mechanism} ${key}`).toBeDefined();
      expect(fileTimeOf(issuing![0]!)).toBeLessThanOrEqual(fileTimeOf(r));
    }
  });

  it('truth agrees with the identity each record shows', () => {
    const oidc = new Map(A.result.clusters.map((c) => [c.name, c.oidcId]));
    for (const t of A.truth) {
      const r = A.byId.get(t.eventID)!;
      const ui = r.userIdentity ?? {};
      if (t.mechanism === 'node-role') {
        expect(ui.arn.endsWith(`/${t.node!.instanceId}`)).toBe(true);
        expect(ui.sessionContext.ec2RoleDelivery).toBe('2.0');
        expect(t.pod).toBeNull();
      }
      if (t.mechanism === 'sso') expect(ui.sessionContext.sessionIssuer.arn).toMatch(/:role\/aws-reserved\/sso\.amazonaws\.com\/AWSReservedSSO_\w+_[0-9a-f]{16}$/);
      if (t.mechanism === 'iam-user' && ui.type === 'IAMUser') expect(ui.accessKeyId).toMatch(/^AKIA/);
      if (r.eventName === 'AssumeRoleWithWebIdentity') {
        expect(t.mechanism).toBe('irsa');
        expect(ui.userName).toBe(`system:serviceaccount:${t.namespace}:${t.serviceAccount}`);
        expect(ui.identityProvider).toContain(`/id/${oidc.get(t.cluster!)}`);
        expect(t.accessKeyId).toBeNull();
      }
      if (t.mechanism === 'irsa' && !t.chained && ui.type === 'AssumedRole' && !ui.invokedBy) {
        expect(ui.sessionContext.webIdFederationData.federatedProvider).toContain(`/id/${oidc.get(t.cluster!)}`);
      }
      if (t.mechanism === 'pod-identity' && !t.chained && ui.type === 'AssumedRole' && t.expect.pod === 'proven') {
        const tags = A.issued.get(ui.accessKeyId)![0]!.requestParameters.tags as { key: string; value: string }[];
        const tag = (k: string): string | undefined => tags.find((x) => x.key === k)?.value;
        expect(tag('kubernetes-pod-name')).toBe(t.pod!.name);
        expect(tag('kubernetes-pod-uid')).toBe(t.pod!.uid);
        expect(tag('eks-cluster-name')).toBe(t.cluster);
      }
    }
  });

  it('pods restart with new names and uids, on more than one node', () => {
    const pods = A.truth.filter((t) => t.pod && t.serviceAccount === 'catalog-api');
    expect(new Set(pods.map((t) => t.pod!.uid)).size).toBeGreaterThan(3);
    expect(new Set(pods.map((t) => t.node!.instanceId)).size).toBeGreaterThan(1);
    for (const t of pods) expect(t.pod!.name).toMatch(/^catalog-api-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('uses both STS expiration formats', () => {
    const exps = [...A.issued.values()].map((l) => l[0]!.responseElements.credentials.expiration as string);
    expect(exps.some((e) => /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M$/.test(e))).toBe(true);
    expect(exps.some((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/.test(e))).toBe(true);
  });
});

describe('delivery', () => {
  it('delivers some files twice through the organization trail, byte-identical', () => {
    const acct = new Map<string, string>();
    for (const p of A.placed) if (!p.org) acct.set(p.rec.eventID, p.raw);
    const org = A.placed.filter((p) => p.org);
    expect(org.length).toBeGreaterThan(0);
    for (const p of org) {
      expect(p.rec.recipientAccountId).toBe(A.result.accounts.workloads);
      expect(acct.get(p.rec.eventID)).toBe(p.raw);
    }
  });

  it('delivers out of order: unsorted files, records up to 15 minutes late', () => {
    let unsorted = 0;
    let late = 0;
    const byFile = new Map<string, Placed[]>();
    for (const p of A.placed) push(byFile, p.file, p);
    for (const list of byFile.values()) {
      const ts = list.map((p) => fileTimeOf(p.rec));
      if (ts.some((x, i) => i > 0 && x < ts[i - 1]!)) unsorted++;
      for (const p of list) {
        const lag = p.fileTime - fileTimeOf(p.rec);
        expect(lag).toBeGreaterThan(0);
        expect(lag).toBeLessThanOrEqual(15 * 60_000);
        if (lag > 5 * 60_000) late++;
      }
    }
    expect(unsorted).toBeGreaterThan(0);
    expect(late).toBeGreaterThan(0);
  });

  it('lookup-events holds S3 records verbatim, with local times', () => {
    const body = JSON.parse(fs.readFileSync(path.join(A.result.outDir, `lookup-events-${A.result.accounts.workloads}.json`), 'utf8')) as { Events: Rec[] };
    expect(body.Events.length).toBeGreaterThan(0);
    const raw = new Map(A.placed.map((p) => [p.rec.eventID, p.raw]));
    for (const e of body.Events) {
      expect(raw.get(e.EventId)).toBe(e.CloudTrailEvent);
      expect(e.EventTime).toMatch(/-05:00$/);
      expect(Date.parse(e.EventTime)).toBe(Date.parse(JSON.parse(e.CloudTrailEvent).eventTime));
      expect(['true', 'false']).toContain(e.ReadOnly);
    }
  });

  it('JSON Lines records are only there', () => {
    const inS3 = new Set(A.placed.map((p) => p.rec.eventID));
    for (const r of A.jsonl) expect(inS3.has(r.eventID)).toBe(false);
  });

  it('the digest lists real files with their SHA-256', () => {
    const f = A.files.find((x) => DIGEST.test(x))!;
    const d = JSON.parse(gunzipSync(fs.readFileSync(path.join(A.result.outDir, f))).toString('utf8')) as Rec;
    expect(d.digestS3Object).toBe(f);
    expect(d.logFiles.length).toBeGreaterThan(0);
    for (const lf of d.logFiles as Rec[]) {
      expect(lf.hashAlgorithm).toBe('SHA-256');
      const content = gunzipSync(fs.readFileSync(path.join(A.result.outDir, lf.s3Object)));
      expect(createHash('sha256').update(content).digest('hex')).toBe(lf.hashValue);
    }
  });
});

describe('identity mechanisms', () => {
  const piAssumes = (): Rec[] => [...A.byId.values()].filter((r) => r.eventName === 'AssumeRole' && r.userIdentity.type === 'AWSService' && r.userIdentity.invokedBy === 'pods.eks.amazonaws.com');

  it('Pod Identity session names are eks-<cluster[0:10]>-<pod[0:10]>-<uuid v4>', () => {
    const list = piAssumes();
    expect(list.length).toBeGreaterThan(0);
    let untagged = 0;
    for (const r of list) {
      const rp = r.requestParameters;
      expect(rp.durationSeconds).toBe(21600);
      let cluster: string;
      let pod: { name: string; uid: string };
      if (rp.tags) {
        const tag = (k: string): string => rp.tags.find((x: Rec) => x.key === k).value;
        expect(rp.tags.map((x: Rec) => x.key)).toEqual(rp.transitiveTagKeys);
        expect(rp.tags).toHaveLength(6);
        cluster = tag('eks-cluster-name');
        pod = { name: tag('kubernetes-pod-name'), uid: tag('kubernetes-pod-uid') };
      } else {
        untagged++;
        const user = A.used.get(r.responseElements.credentials.accessKeyId)?.find((u) => A.truthById.get(u.eventID)!.pod);
        if (!user) continue;
        const t = A.truthById.get(user.eventID)!;
        cluster = t.cluster!;
        pod = t.pod!;
      }
      const prefix = `eks-${cluster.slice(0, 10)}-${pod.name.slice(0, 10)}-`;
      expect(rp.roleSessionName.startsWith(prefix), rp.roleSessionName).toBe(true);
      const uuid = rp.roleSessionName.slice(prefix.length);
      expect(uuid).toMatch(UUID4);
      expect(uuid).not.toBe(pod.uid);
    }
    expect(untagged).toBeGreaterThan(0);
  });

  it('every Pod Identity AssumeRole has an eks-auth call of its cluster in the same second (or one before); some seconds have two nodes', () => {
    const eksAuth = [...A.byId.values()].filter((r) => r.eventSource === 'eks-auth.amazonaws.com' && !r.errorCode);
    const bySecond = new Map<string, Rec[]>();
    for (const r of eksAuth) push(bySecond, `${r.requestParameters.clusterName}@${fileTimeOf(r)}`, r);
    for (const r of piAssumes()) {
      const users = A.used.get(r.responseElements.credentials.accessKeyId) ?? [];
      const tr = users.map((u) => A.truthById.get(u.eventID)!).find((x) => x.mechanism === 'pod-identity' && x.node);
      const cluster = (r.requestParameters.tags?.find((x: Rec) => x.key === 'eks-cluster-name')?.value as string | undefined) ?? tr?.cluster;
      if (!cluster) continue; // an untagged session whose pod made no call
      const t = fileTimeOf(r);
      const same = [...(bySecond.get(`${cluster}@${t}`) ?? []), ...(bySecond.get(`${cluster}@${t - 1000}`) ?? [])];
      expect(same.length, r.eventID).toBeGreaterThan(0);
      if (tr) expect(same.map((e) => e.userIdentity.arn.split('/').pop())).toContain(tr.node!.instanceId);
    }
    const multi = [...bySecond.values()].filter((l) => new Set(l.map((e) => e.userIdentity.arn)).size > 1);
    expect(multi.length).toBeGreaterThan(0);
  });

  it('cross-account AssumeRole is logged in both accounts with the same ids and key', () => {
    const groups = new Map<string, Rec[]>();
    for (const r of A.byId.values()) if (r.eventName === 'AssumeRole' && r.sharedEventID && !r.errorCode) push(groups, r.sharedEventID, r);
    const pairs = [...groups.values()].filter((g) => g.length === 2);
    expect(pairs.length).toBeGreaterThan(0);
    const roleAccounts = new Set<string>();
    for (const [x, y] of pairs as [Rec, Rec][]) {
      expect(x.eventID).not.toBe(y.eventID);
      expect(x.recipientAccountId).not.toBe(y.recipientAccountId);
      expect(x.requestID).toBe(y.requestID);
      expect(x.responseElements.credentials.accessKeyId).toBe(y.responseElements.credentials.accessKeyId);
      const owner = x.userIdentity.type === 'AWSAccount' ? x : y;
      expect(owner.userIdentity.type).toBe('AWSAccount');
      expect(owner.recipientAccountId).toBe(owner.resources[0].accountId);
      expect(A.truthById.get(x.eventID)!.mechanism).toBe(A.truthById.get(y.eventID)!.mechanism);
      roleAccounts.add(x.resources[0].accountId);
    }
    expect(roleAccounts.has(A.result.accounts.data)).toBe(true);
    expect(roleAccounts.has(A.result.accounts.security)).toBe(true); // depth-3 chain ends there
    expect(roleAccounts.has(A.result.accounts.workloads)).toBe(true); // CI user -> deploy role
  });

  it('plants the stolen IRSA token and the replayed node credentials', () => {
    const x = [...A.byId.values()].find((r) => r.eventName === 'AssumeRoleWithWebIdentity' && r.requestParameters.roleSessionName === 'x')!;
    expect(x).toBeDefined();
    const key = x.responseElements.credentials.accessKeyId;
    const secrets = (A.used.get(key) ?? []).filter((r) => r.eventName === 'GetSecretValue');
    expect(secrets.length).toBeGreaterThan(0);
    for (const r of secrets) {
      expect(r.sourceIPAddress).toBe(x.sourceIPAddress);
      expect(A.truthById.get(r.eventID)!.pod).toBeNull();
    }
    const replay = [...A.byId.values()].filter((r) => /kali/.test(r.userAgent));
    expect(replay.length).toBeGreaterThan(0);
    for (const r of replay) expect(A.truthById.get(r.eventID)!.mechanism).toBe('node-role');
  });

  it('resolves one cluster from a DescribeCluster record and the other from describe-cluster-<name>.json', () => {
    const facts = [...A.byId.values()].filter((r) => r.eventName === 'DescribeCluster' && r.responseElements?.cluster);
    expect(facts.map((r) => r.responseElements.cluster.name)).toEqual(['prod-east']);
    const file = JSON.parse(fs.readFileSync(path.join(A.result.outDir, 'describe-cluster-payments-west.json'), 'utf8')) as Rec;
    for (const [c, body] of [['prod-east', facts[0]!.responseElements.cluster], ['payments-west', file.cluster]] as const) {
      const meta = A.result.clusters.find((m) => m.name === c)!;
      expect(body.arn).toBe(meta.arn);
      expect(body.identity.oidc.issuer).toBe(`https://oidc.eks.${meta.region}.amazonaws.com/id/${meta.oidcId}`);
      expect(meta.oidcId).toMatch(/^[0-9A-F]{32}$/);
    }
  });
});
