import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from './cli';
import { generateBundle, type GenerateResult, type TruthRecord } from './index';
import { isKubelet, loadK8sBundle, ms, nodeNames, podEvents, podsSeen, readJson, type K8sBundle, type Rec } from './k8s-fixture';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

let root: string;
let R: GenerateResult;
let B: K8sBundle;
let files: string[];
let byId: Map<string, Rec>;
let truth: TruthRecord[];
let audit: K8sBundle['audit'];
let events: Rec[];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'podtrail-k8s-'));
  R = generateBundle({ outDir: path.join(root, 'bundle'), events: 2500, seed: 'k8s-unit', k8s: true });
  B = loadK8sBundle(R);
  ({ files, byId, truth, audit, events } = B);
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const json = readJson;
const pods = (): ReturnType<typeof podsSeen> => podsSeen(B);

describe('k8s delivery formats', () => {
  it('writes the three formats and the inventories; the union is every event, some read twice', () => {
    expect(files.filter((f) => f.startsWith('k8s/cloudwatch-export/')).every((f) => /^k8s\/cloudwatch-export\/kube-apiserver-audit-[0-9a-f]{32}\/\d{6}\.gz$/.test(f))).toBe(true);
    for (const f of ['k8s/audit.jsonl', 'k8s/filter-log-events-1.json', 'k8s/kubectl-get-pods.json', 'k8s/kubectl-get-nodes.json', 'k8s/kubectl-get-sa.json',
      'aws/ec2-describe-instances.json', 'aws/eks-list-pod-identity-associations.json']) expect(files).toContain(f);
    expect(B.problems.slice(0, 5)).toEqual([]);
    expect(audit.size).toBe(R.k8s!.auditEvents);
    for (const fmt of ['cloudwatch-export', 'filter-log-events', 'jsonl']) expect([...audit.values()].some((a) => a.from.has(fmt)), fmt).toBe(true);
    expect([...audit.values()].some((a) => a.from.size > 1)).toBe(true);
  });

  it('every audit event has the audit.k8s.io/v1 envelope', () => {
    for (const e of events) {
      expect(e.kind).toBe('Event');
      expect(e.apiVersion).toBe('audit.k8s.io/v1');
      expect(['Metadata', 'Request', 'RequestResponse']).toContain(e.level);
      expect(e.auditID).toMatch(UUID);
      expect(e.stage).toBe('ResponseComplete');
      for (const k of ['requestURI', 'verb', 'userAgent']) expect(typeof e[k], k).toBe('string');
      expect(typeof e.user.username).toBe('string');
      expect(e.sourceIPs).toHaveLength(1);
      expect(typeof e.objectRef.resource).toBe('string');
      expect(e.responseStatus.code).toBeGreaterThanOrEqual(200);
      expect(e.requestReceivedTimestamp).toMatch(MICRO);
      expect(e.stageTimestamp).toMatch(MICRO);
      expect(ms(e.stageTimestamp)).toBeGreaterThanOrEqual(ms(e.requestReceivedTimestamp));
      expect(e.annotations['authorization.k8s.io/decision']).toBe('allow');
    }
  });

  it('only prod-east has Kubernetes evidence', () => {
    expect(R.k8s!.cluster).toBe('prod-east');
    for (const e of events.filter(isKubelet)) expect(e.user.username).toMatch(/\.ec2\.internal$/);
    expect(events.some((e) => e.objectRef.namespace === 'payments')).toBe(false);
  });
});

describe('k8s pods', () => {
  it('every pod in the truth has a create, a scheduler binding and a kubelet status patch with its IP', () => {
    const P = pods();
    const nodes = nodeNames(B);
    const seen = new Set<string>();
    for (const t of truth) {
      if (!t.pod || t.cluster !== 'prod-east' || seen.has(t.pod.uid)) continue;
      seen.add(t.pod.uid);
      const p = P.get(t.pod.uid)!;
      expect(p, t.pod.name).toBeDefined();
      expect(p.name).toBe(t.pod.name);
      expect(p.node).toBe(nodes.get(t.node!.instanceId));
      expect(p.ip).toMatch(/^10\.0\.\d+\.\d+$/);
      const binding = events.find((e) => e.objectRef.subresource === 'binding' && e.objectRef.name === p.name)!;
      expect(binding.user.username).toBe('system:kube-scheduler');
      expect(binding.verb).toBe('create');
      expect(binding.requestObject).toMatchObject({ kind: 'Binding', target: { kind: 'Node', name: p.node } });
      const status = podEvents(B, t.pod.uid).find((e) => e.objectRef.subresource === 'status' && e.requestObject.status.podIP)!;
      expect(status.verb).toBe('patch');
      expect(status.user.username).toBe(`system:node:${p.node}`);
      expect(status.user.extra.sessionName).toEqual([t.node!.instanceId]);
      expect(status.user.extra.arn[0]).toMatch(new RegExp(`:assumed-role/.+/${t.node!.instanceId}$`));
      const create = podEvents(B, t.pod.uid).find((e) => e.verb === 'create' && e.objectRef.resource === 'pods' && !e.objectRef.subresource)!;
      expect(['system:serviceaccount:kube-system:replicaset-controller', 'system:serviceaccount:kube-system:daemon-set-controller']).toContain(create.user.username);
      // A minted token's records name the SA it was minted for, and the pod that really used it (another SA's).
      if (!t.attack && t.serviceAccount) expect(create.responseObject.spec.serviceAccountName).toBe(t.serviceAccount);
    }
    expect(seen.size).toBeGreaterThan(10);
  });

  it('pods are alive (created, not yet deleted) whenever their credentials are used, except the planted zombie session', () => {
    const P = pods();
    let after = 0;
    for (const t of truth) {
      if (!t.pod || t.cluster !== 'prod-east') continue;
      const p = P.get(t.pod.uid)!;
      const at = ms(byId.get(t.eventID)!.eventTime);
      expect(p.created).toBeLessThan(at);
      if (t.flags!.includes('credentials-after-pod-deleted')) {
        expect(p.deleted).not.toBeNull();
        expect(at).toBeGreaterThan(p.deleted!);
        after++;
      } else if (p.deleted !== null) expect(at, t.eventID).toBeLessThan(p.deleted + 1000);
    }
    expect(after).toBeGreaterThanOrEqual(3);
  });

  it('every IRSA exchange of a prod-east pod follows a kubelet token request for that pod (sts audience); Pod Identity pods get pods.eks tokens', () => {
    let checked = 0;
    for (const t of truth) {
      const r = byId.get(t.eventID)!;
      if (r.eventName !== 'AssumeRoleWithWebIdentity' || t.cluster !== 'prod-east' || !t.pod) continue;
      const reqs = events.filter((e) => e.objectRef.subresource === 'token' && e.objectRef.name === t.serviceAccount && ms(e.stageTimestamp) < ms(r.eventTime) + 1);
      if (t.flags!.includes('token-minted-by-non-kubelet')) {
        const mint = reqs.filter((e) => !isKubelet(e) && ms(r.eventTime) - ms(e.stageTimestamp) < 300_000);
        expect(mint).toHaveLength(1);
        expect(mint[0]!.requestObject.spec.boundObjectRef).toBeUndefined();
        continue;
      }
      const mine = reqs.filter((e) => isKubelet(e) && e.requestObject.spec.boundObjectRef?.uid === t.pod!.uid && e.requestObject.spec.audiences?.[0] === 'sts.amazonaws.com');
      expect(mine.length, t.eventID).toBeGreaterThan(0);
      expect(mine[0]!.requestObject).toMatchObject({ kind: 'TokenRequest', spec: { audiences: ['sts.amazonaws.com'], expirationSeconds: 86400, boundObjectRef: { kind: 'Pod', name: t.pod.name } } });
      expect(mine[0]!.objectRef).toMatchObject({ resource: 'serviceaccounts', subresource: 'token', name: t.serviceAccount, namespace: t.namespace });
      expect(mine[0]!.responseObject.status.expirationTimestamp).toMatch(/Z$/);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
    const tokens = events.filter((e) => e.objectRef.subresource === 'token' && isKubelet(e));
    expect(tokens.some((e) => e.requestObject.spec.audiences?.[0] === 'pods.eks.amazonaws.com')).toBe(true);
    const annotated = tokens.filter((e) => /^JTI=[0-9a-f-]{36}$/.test(e.annotations['authentication.kubernetes.io/issued-credential-id'] ?? '')).length;
    expect(annotated / tokens.length).toBeGreaterThan(0.3);
    expect(annotated / tokens.length).toBeLessThan(0.7);
  });

  it('pods restart and move between nodes; nodes register with their provider id and a replaced node is deleted', () => {
    const P = [...pods().values()];
    const deletes = events.filter((e) => e.verb === 'delete' && e.objectRef.resource === 'pods' && !isKubelet(e));
    expect(deletes.some((e) => e.user.username.endsWith(':replicaset-controller'))).toBe(true);
    expect(deletes.some((e) => e.user.username.endsWith(':pod-garbage-collector'))).toBe(true);
    // Some namespace's pods restarted on more than one node (which one depends on the bundle's drawn variety).
    const namespaces = [...new Set(P.map((p) => p.ns))];
    expect(namespaces.some((ns) => P.filter((p) => p.ns === ns).length > 3 && new Set(P.filter((p) => p.ns === ns).map((p) => p.node)).size > 1)).toBe(true);
    expect(P.filter((p) => p.deleted !== null).length).toBeGreaterThan(3);
    for (const e of events.filter((x) => x.objectRef.resource === 'nodes' && x.verb === 'create')) {
      expect(e.responseObject.spec.providerID).toMatch(/^aws:\/\/\/us-east-1[abc]\/i-0[0-9a-f]{16}$/);
      expect(e.responseObject.status.addresses.map((a: Rec) => a.type)).toEqual(['InternalIP', 'InternalDNS', 'Hostname']);
    }
    expect(events.some((e) => e.objectRef.resource === 'nodes' && e.verb === 'delete')).toBe(true);
  });
});

describe('k8s source addresses', () => {
  it('VPC-endpoint calls of IRSA pods carry the pod IP; other calls do not', () => {
    const P = pods();
    let vpce = 0;
    let arwwi = 0;
    let iface = 0;
    for (const t of truth) {
      if (t.mechanism !== 'irsa' || t.cluster !== 'prod-east' || !t.pod || t.attack) continue;
      const r = byId.get(t.eventID)!;
      const ip = P.get(t.pod.uid)!.ip;
      if (r.vpcEndpointId) {
        expect(r.vpcEndpointId).toMatch(/^vpce-0[0-9a-f]{16}$/);
        expect(r.sourceIPAddress, r.eventName).toBe(ip);
        vpce++;
        if (r.eventName === 'AssumeRoleWithWebIdentity') arwwi++;
        if (r.eventSource !== 's3.amazonaws.com') iface++;
      } else if (!r.userIdentity?.invokedBy) expect(r.sourceIPAddress).not.toBe(ip);
    }
    expect(vpce).toBeGreaterThan(10);
    expect(arwwi).toBeGreaterThan(0);
    expect(iface).toBeGreaterThan(0);
  });

  it('pod IPs of live pods are unique', () => {
    const alive = json(R, 'k8s/kubectl-get-pods.json').items.filter((p: Rec) => !p.spec.hostNetwork).map((p: Rec) => p.status.podIP);
    expect(new Set(alive).size).toBe(alive.length);
  });
});

describe('k8s inventories', () => {
  it('are consistent with the final state of the audit log', () => {
    const P = pods();
    const live = [...P.entries()].filter(([, p]) => p.deleted === null);
    const items = json(R, 'k8s/kubectl-get-pods.json');
    expect(items).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(new Set(items.items.map((p: Rec) => p.metadata.uid))).toEqual(new Set(live.map(([uid]) => uid)));
    const nodes = json(R, 'k8s/kubectl-get-nodes.json').items as Rec[];
    const nodeIp = new Map(nodes.map((n) => [n.metadata.name, n.status.addresses.find((a: Rec) => a.type === 'InternalIP').address]));
    for (const p of items.items) {
      const a = P.get(p.metadata.uid)!;
      expect(p.spec.nodeName).toBe(a.node);
      expect(p.spec.serviceAccountName).toBe(a.sa);
      expect(p.status.podIP).toBe(a.ip);
      expect(p.status.phase).toBe('Running');
      expect(p.status.hostIP).toBe(nodeIp.get(p.spec.nodeName));
      expect(typeof p.metadata.creationTimestamp).toBe('string');
    }
    const created = events.filter((e) => e.objectRef.resource === 'nodes' && e.verb === 'create').map((e) => e.objectRef.name);
    const deleted = new Set(events.filter((e) => e.objectRef.resource === 'nodes' && e.verb === 'delete').map((e) => e.objectRef.name));
    expect(new Set(nodes.map((n) => n.metadata.name))).toEqual(new Set(created.filter((n) => !deleted.has(n))));
    const instances = json(R, 'aws/ec2-describe-instances.json').Reservations.flatMap((r: Rec) => r.Instances) as Rec[];
    for (const n of nodes) {
      const i = instances.find((x) => x.PrivateDnsName === n.metadata.name)!;
      expect(i).toBeDefined();
      expect(n.spec.providerID).toBe(`aws:///${i.Placement.AvailabilityZone}/${i.InstanceId}`);
      expect(i.PrivateIpAddress).toBe(nodeIp.get(n.metadata.name));
      expect(i.Tags).toContainEqual({ Key: 'eks:cluster-name', Value: 'prod-east' });
    }
    const sas = json(R, 'k8s/kubectl-get-sa.json').items as Rec[];
    const assoc = json(R, 'aws/eks-list-pod-identity-associations.json').associations as Rec[];
    for (const t of truth.filter((x) => x.cluster === 'prod-east' && x.serviceAccount)) {
      const r = byId.get(t.eventID)!;
      if (t.mechanism === 'irsa' && r.eventName === 'AssumeRoleWithWebIdentity') {
        const sa = sas.find((s) => s.metadata.namespace === t.namespace && s.metadata.name === t.serviceAccount)!;
        expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(r.requestParameters.roleArn);
      }
      if (t.mechanism === 'pod-identity') {
        const a = assoc.find((x) => x.namespace === t.namespace && x.serviceAccount === t.serviceAccount)!;
        expect(a.associationArn).toBe(`arn:aws:eks:us-east-1:${R.accounts.workloads}:podidentityassociation/prod-east/${a.associationId}`);
      }
    }
  });
});

describe('k8s truth', () => {
  it('sharpens prod-east expectations only; every line has flags; attacks are listed', () => {
    for (const t of truth) {
      expect(Array.isArray(t.flags)).toBe(true);
      if (t.mechanism === 'irsa' && t.pod) expect(t.expect.pod).toBe(t.cluster === 'prod-east' ? 'inferable' : 'none');
      if (t.mechanism === 'irsa' && t.pod) expect(t.expect.node).toBe(t.cluster === 'prod-east' ? 'inferable' : 'none');
      if (t.mechanism === 'pod-identity') expect(t.expect.node).toBe(t.cluster === 'prod-east' && t.expect.identity === 'proven' ? 'proven' : 'inferable');
      if (!t.attack) expect(t.flags).toEqual([]);
      if (t.flags!.length > 0) expect(t.attack).toBe(true);
    }
    const file = JSON.parse(fs.readFileSync(R.k8s!.attacksPath, 'utf8')) as { attacks: Rec[] };
    const listed = new Set(file.attacks.flatMap((a) => a.events.map((e: Rec) => e.eventID)));
    expect(listed).toEqual(new Set(truth.filter((t) => t.attack).map((t) => t.eventID)));
    expect(file.attacks.map((a) => a.id).sort()).toEqual(['first-seen-api', 'minted-token', 'stolen-node-creds', 'stolen-token', 'zombie-session']);
    for (const a of file.attacks) expect(a.description.length).toBeGreaterThan(20);
    const flagged = (f: string): TruthRecord[] => truth.filter((t) => t.flags!.includes(f as never));
    for (const f of ['node-credentials-off-node', 'token-exchange-outside-cluster', 'credentials-after-pod-deleted', 'token-minted-by-non-kubelet', 'first-seen-api']) {
      expect(flagged(f).length, f).toBeGreaterThan(0);
    }
    expect(flagged('first-seen-api').map((t) => byId.get(t.eventID)!.eventName)).toContain('CreateAccessKey');
    const minted = file.attacks.find((a) => a.id === 'minted-token')!;
    const mintEv = audit.get(minted.k8sAudit[0].auditID)!.ev;
    expect(mintEv.user.username).toBe('system:serviceaccount:analytics:report-builder');
    expect(mintEv.user.extra['authentication.kubernetes.io/pod-name']).toHaveLength(1);
    const x = byId.get(flagged('token-minted-by-non-kubelet')[0]!.eventID)!;
    expect(x.eventName).toBe('AssumeRoleWithWebIdentity');
    expect(x.userIdentity.userName).toBe(`system:serviceaccount:${mintEv.objectRef.namespace}:${mintEv.objectRef.name}`);
    for (const t of flagged('node-credentials-off-node')) {
      const r = byId.get(t.eventID)!;
      const normal = new Set(truth.filter((u) => u.node?.instanceId === t.node!.instanceId && u.mechanism === 'node-role' && !u.attack).map((u) => byId.get(u.eventID)!.sourceIPAddress));
      expect(normal.has(r.sourceIPAddress)).toBe(false);
    }
  });

  it('parses --k8s', () => {
    expect(parseArgs(['--out', 'x', '--events', '10', '--seed', 's', '--k8s'])).toEqual({ outDir: 'x', events: 10, seed: 's', k8s: true });
  });
});
