import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TimelineBuilder, aliveAt, type PodLife } from '../../../electron/engine/k8s/timeline';
import { decide, irsaCandidates, sdkSessionTime } from '../../../electron/engine/k8s/narrow';
import { closeOverPools } from '../../../electron/engine/k8s/facts';
import type { JsonObject } from '../../../electron/engine/util/json';
import { referencePath } from '../../helpers/reference';

const T = (s: number) => Date.parse('2026-03-02T10:00:00Z') + s * 1000;
const iso = (s: number) => new Date(T(s)).toISOString();
let n = 0;
function audit(s: number, over: JsonObject): { auditId: string; tsMs: number; record: JsonObject } {
  const auditId = `a${++n}`;
  return {
    auditId,
    tsMs: T(s),
    record: { kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: auditId, stage: 'ResponseComplete', stageTimestamp: iso(s), responseStatus: { code: 201 }, ...over },
  };
}
const podCreate = (s: number, name: string, uid: string, sa: string) =>
  audit(s, {
    verb: 'create',
    user: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
    objectRef: { resource: 'pods', namespace: 'payments', name },
    responseObject: { kind: 'Pod', metadata: { name, namespace: 'payments', uid, creationTimestamp: iso(s) }, spec: { serviceAccountName: sa } },
  });
const binding = (s: number, name: string, uid: string, node: string) =>
  audit(s, {
    verb: 'create',
    user: { username: 'system:kube-scheduler' },
    objectRef: { resource: 'pods', subresource: 'binding', namespace: 'payments', name },
    requestObject: { kind: 'Binding', metadata: { name, uid }, target: { kind: 'Node', name: node } },
  });
const status = (s: number, name: string, uid: string, node: string, ip: string) =>
  audit(s, {
    verb: 'patch',
    user: { username: `system:node:${node}`, extra: { sessionName: [node === 'ip-10-0-1-5.ec2.internal' ? 'i-0aaaaaaaaaaaaaaaa' : 'i-0bbbbbbbbbbbbbbbb'] } },
    objectRef: { resource: 'pods', subresource: 'status', namespace: 'payments', name },
    requestObject: { metadata: { uid }, status: { podIP: ip } },
  });
/** The kubelet's status patch once the container runs: `state.running.startedAt` in whole seconds, as Kubernetes writes it. */
const running = (s: number, name: string, uid: string, node: string, ip: string, startedS: number, restartedS?: number) => {
  const a = status(s, name, uid, node, ip);
  const sec = (x: number) => iso(x).replace(/\.\d+Z$/, 'Z');
  const c = restartedS === undefined
    ? { name: 'app', state: { running: { startedAt: sec(startedS) } }, lastState: {}, restartCount: 0 }
    : { name: 'app', state: { running: { startedAt: sec(restartedS) } }, lastState: { terminated: { startedAt: sec(startedS), exitCode: 1 } }, restartCount: 1 };
  (a.record.requestObject as { status: JsonObject }).status.containerStatuses = [c];
  return a;
};
const token = (s: number, pod: string, uid: string, node: string, audience = 'sts.amazonaws.com', user = `system:node:${node}`) =>
  audit(s, {
    verb: 'create',
    user: { username: user },
    objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: 'payments', name: 'api' },
    requestObject: { kind: 'TokenRequest', spec: { audiences: [audience], expirationSeconds: 86400, boundObjectRef: { kind: 'Pod', name: pod, uid } } },
    responseObject: { status: { expirationTimestamp: iso(s + 86400) } },
  });
const del = (s: number, name: string, uid: string) =>
  audit(s, { verb: 'delete', objectRef: { resource: 'pods', namespace: 'payments', name }, responseObject: { metadata: { uid } } });

/** The timeline built from these audit events, in order. */
function timelineOf(audits: ReturnType<typeof audit>[]) {
  const b = new TimelineBuilder();
  for (const a of audits) b.audit(a);
  return b.build();
}

const NODE_A = 'ip-10-0-1-5.ec2.internal';
const NODE_B = 'ip-10-0-2-7.ec2.internal';

function world() {
  return timelineOf([
    podCreate(0, 'api-1', 'u1', 'api'), binding(1, 'api-1', 'u1', NODE_A), status(5, 'api-1', 'u1', NODE_A, '10.0.1.20'), token(6, 'api-1', 'u1', NODE_A),
    podCreate(0, 'api-2', 'u2', 'api'), binding(1, 'api-2', 'u2', NODE_B), status(5, 'api-2', 'u2', NODE_B, '10.0.2.30'), token(6, 'api-2', 'u2', NODE_B),
    del(600, 'api-2', 'u2'),
    podCreate(610, 'api-3', 'u3', 'api'), binding(611, 'api-3', 'u3', NODE_B), status(615, 'api-3', 'u3', NODE_B, '10.0.2.31'),
  ]);
}
const inCluster = (p: PodLife) => p.nodeName === NODE_A || p.nodeName === NODE_B;

describe('pod timeline from audit events', () => {
  it('rebuilds create → binding → IP → delete per pod uid, and node ↔ instance from the kubelet session', () => {
    const tl = world();
    const p2 = tl.pods.find((p) => p.uid === 'u2')!;
    expect(p2).toMatchObject({ name: 'api-2', serviceAccount: 'api', nodeName: NODE_B, ips: ['10.0.2.30'], createdMs: T(0), deletedMs: T(600) });
    expect(p2.evidence.bound).toBeDefined();
    expect(tl.nodes.get(NODE_A)?.instanceId).toBe('i-0aaaaaaaaaaaaaaaa');
    expect(aliveAt(p2, T(300))).toBe(true);
    expect(aliveAt(p2, T(700))).toBe(false);
    expect(tl.tokens).toHaveLength(2);
  });

  it('a deleted pod runs on through its grace period, until the kubelet removes it once its containers exited', () => {
    const graceful = (s: number, graceEndS: number) =>
      audit(s, { verb: 'delete', user: { username: 'system:serviceaccount:kube-system:replicaset-controller' }, objectRef: { resource: 'pods', namespace: 'payments', name: 'api-1' },
        requestObject: { kind: 'DeleteOptions', gracePeriodSeconds: 30 }, responseObject: { metadata: { uid: 'u1', deletionTimestamp: iso(graceEndS) } } });
    const byKubelet = (s: number) =>
      audit(s, { verb: 'delete', user: { username: `system:node:${NODE_A}` }, objectRef: { resource: 'pods', namespace: 'payments', name: 'api-1' },
        requestObject: { kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: 'u1' } }, responseObject: { metadata: { uid: 'u1', deletionTimestamp: iso(630) } } });
    const p = timelineOf([podCreate(0, 'api-1', 'u1', 'api'), graceful(600, 630), byKubelet(615)]).pods[0]!;
    expect(p).toMatchObject({ deletedMs: T(600), goneMs: T(615) });
    expect(aliveAt(p, T(610))).toBe(true); // still terminating
    expect(aliveAt(p, T(616))).toBe(false);
    // No final delete logged: the kubelet kills what is left when the grace period ends (+5 s to do so).
    expect(timelineOf([podCreate(0, 'api-1', 'u1', 'api'), graceful(600, 630)]).pods[0]!.goneMs).toBe(T(635));
    // A delete by someone else with grace period 0 says nothing about the containers having exited.
    const forced = graceful(600, 600);
    (forced.record.requestObject as JsonObject).gracePeriodSeconds = 0;
    expect(timelineOf([podCreate(0, 'api-1', 'u1', 'api'), forced]).pods[0]!.goneMs).toBe(T(605));
  });

  it('ignores refused calls (a failed binding binds nothing)', () => {
    const b = new TimelineBuilder();
    b.audit(podCreate(0, 'x', 'ux', 'api'));
    const failed = binding(1, 'x', 'ux', NODE_A);
    failed.record.responseStatus = { code: 409 };
    b.audit(failed);
    expect(b.build().pods[0]!.nodeName).toBeNull();
  });

  it('reads an EKS kubelet status patch: pod uid, node and its instance id', () => {
    const patch = JSON.parse(readFileSync(referencePath('public/doc-examples/k8s-audit_01_eks-kubelet-patch-pod-status_node-role-session-in-user.extra.json'), 'utf8')) as JsonObject;
    const b = new TimelineBuilder();
    b.audit({ auditId: 'patch', tsMs: Date.parse('2024-05-14T06:12:09Z'), record: patch });
    const tl = b.build();
    expect(tl.pods[0]).toMatchObject({ uid: '6e2d9b41-3f7a-4c85-a0d2-9b1e5c7f3a68', name: 'load-gen-42-w7kxq', nodeName: 'ip-10-20-0-11.eu-west-1.compute.internal' });
    expect(tl.nodes.get('ip-10-20-0-11.eu-west-1.compute.internal')?.instanceId).toBe('i-0a1b2c3d4e5f60718');
  });
});

describe('rule: IRSA → pod', () => {
  it('a pod IP as source IP singles the pod out (VPC endpoint traffic): inferred', () => {
    const v = decide(irsaCandidates(world(), { namespace: 'payments', serviceAccount: 'api', atMs: T(100), sourceIps: ['10.0.2.30'], inCluster, exchanges: [] }));
    expect(v.kind).toBe('one');
    expect(v.kind === 'one' && v.pick.pod.name).toBe('api-2');
  });

  it('a NAT address says nothing: both live pods remain, ambiguous', () => {
    const v = decide(irsaCandidates(world(), { namespace: 'payments', serviceAccount: 'api', atMs: T(100), sourceIps: ['52.1.2.3'], inCluster, exchanges: [] }));
    expect(v.kind).toBe('several');
    expect(v.kind === 'several' && v.candidates.map((c) => c.pod.name).sort()).toEqual(['api-1', 'api-2']);
  });

  it('deleted pods drop out, new ones join: only pods alive at the call count', () => {
    const v = irsaCandidates(world(), { namespace: 'payments', serviceAccount: 'api', atMs: T(700), sourceIps: [], inCluster, exchanges: [] });
    expect(v.map((c) => c.pod.name).sort()).toEqual(['api-1', 'api-3']);
    // api-3 had no kubelet token request for sts.amazonaws.com: api-1 scores higher but both remain.
    expect(v[0]!.pod.name).toBe('api-1');
    expect(decide(v).kind).toBe('several');
  });

  it('only pods on the cluster\'s nodes are considered', () => {
    expect(irsaCandidates(world(), { namespace: 'payments', serviceAccount: 'api', atMs: T(100), sourceIps: [], inCluster: (p) => p.nodeName === NODE_A, exchanges: [] }).map((c) => c.pod.name)).toEqual(['api-1']);
  });

  it("a new pod's first exchange follows its kubelet token within a minute: that pod, inferred", () => {
    const tl = timelineOf([
      podCreate(0, 'api-1', 'u1', 'api'), binding(1, 'api-1', 'u1', NODE_A), token(2, 'api-1', 'u1', NODE_A),
      podCreate(1000, 'api-2', 'u2', 'api'), binding(1001, 'api-2', 'u2', NODE_B), token(1002, 'api-2', 'u2', NODE_B),
    ]);
    const at = (s: number, exchanges = [T(1010)]) =>
      decide(irsaCandidates(tl, { namespace: 'payments', serviceAccount: 'api', atMs: T(s), sourceIps: ['52.1.2.3'], inCluster, exchanges }));
    const first = at(1010);
    expect(first.kind === 'one' && first.pick.pod.name).toBe('api-2');
    // api-1's hourly refresh landing in the same minute: the fresh token no longer pairs with one exchange.
    expect(at(1010, [T(1010), T(1030)]).kind).toBe('several');
    // An hourly refresh long after both tokens: nothing singles a pod out.
    expect(at(4000).kind).toBe('several');
  });

  it('replicas handed their tokens together: the last token pairs with the exchange no more', () => {
    // (seed 9002: a rollout started three replicas on one node; two got their tokens 68 ms apart, the earlier one's SDK
    // exchanged 41 s later, and the later token's pod was named for it)
    const tl = timelineOf([
      podCreate(0, 'api-1', 'u1', 'api'), binding(0.1, 'api-1', 'u1', NODE_A),
      podCreate(0.2, 'api-2', 'u2', 'api'), binding(0.3, 'api-2', 'u2', NODE_A),
      token(2.739, 'api-1', 'u1', NODE_A), token(2.807, 'api-1', 'u1', NODE_A),
      token(2.86, 'api-2', 'u2', NODE_A), token(2.875, 'api-2', 'u2', NODE_A),
    ]);
    const at = (s: number, exchanges: number[], timeline = tl) =>
      decide(irsaCandidates(timeline, { namespace: 'payments', serviceAccount: 'api', atMs: T(s), sourceIps: ['52.1.2.3'], inCluster, exchanges: exchanges.map(T) }));
    const v = at(44, [44]);
    expect(v.kind).toBe('several');
    expect(v.kind === 'several' && v.candidates.map((c) => c.pod.name).sort()).toEqual(['api-1', 'api-2']);
    // api-1's tokens more than a minute before the exchange: api-2's alone are fresh (its own earlier one no bar), and pair.
    const late = at(62.84, [62.84]);
    expect(late.kind === 'one' && late.pick.pod.name).toBe('api-2');
    // api-1 exchanged between the two tokens (token, exchange, token, exchange): api-2's token pairs with the next.
    const serial = timelineOf([
      podCreate(0, 'api-1', 'u1', 'api'), binding(0.1, 'api-1', 'u1', NODE_A), token(1, 'api-1', 'u1', NODE_A),
      podCreate(4, 'api-2', 'u2', 'api'), binding(4.1, 'api-2', 'u2', NODE_A), token(5, 'api-2', 'u2', NODE_A),
    ]);
    const next = at(20, [3, 20], serial);
    expect(next.kind === 'one' && next.pick.pod.name).toBe('api-2');
    // Without that exchange, either pod's first may be this one.
    expect(at(20, [20], serial).kind).toBe('several');
    // api-1 deleted before the exchange: it made no call, api-2's token pairs (api-0, long running, is ruled out).
    const gone = timelineOf([
      podCreate(0, 'api-0', 'u0', 'api'), binding(0.1, 'api-0', 'u0', NODE_A), token(1, 'api-0', 'u0', NODE_A),
      podCreate(100, 'api-1', 'u1', 'api'), binding(100.1, 'api-1', 'u1', NODE_A), token(101, 'api-1', 'u1', NODE_A), del(110, 'api-1', 'u1'),
      podCreate(104, 'api-2', 'u2', 'api'), binding(104.1, 'api-2', 'u2', NODE_A), token(105, 'api-2', 'u2', NODE_A),
    ]);
    const alone = at(120, [120], gone);
    expect(alone.kind === 'one' && alone.pick.pod.name).toBe('api-2');
  });

  it("an older pod's session due for its refresh at the exchange: the new pod's token pairs with it no more", () => {
    // (seed 7423: two deployments share the account; the new pod's SDK exchanged its token at its first AWS call, 11
    // minutes after it; 8 s after the token, the older pod refreshed a session 50 minutes old: the new pod was named)
    const tl = timelineOf([
      podCreate(0, 'api-1', 'u1', 'api'), binding(1, 'api-1', 'u1', NODE_A), token(2, 'api-1', 'u1', NODE_A),
      podCreate(3000, 'api-2', 'u2', 'api'), binding(3001, 'api-2', 'u2', NODE_A), token(3002, 'api-2', 'u2', NODE_A),
    ]);
    const hour = 3600;
    // [exchange, session length, last use of its key (none: never used)]
    const at = (s: number, sessions: [number, number, number?][]) =>
      decide(
        irsaCandidates(tl, {
          namespace: 'payments', serviceAccount: 'api', atMs: T(s), sourceIps: ['52.1.2.3'], inCluster,
          exchanges: sessions.map(([x]) => T(x)),
          sessions: sessions.map(([x, len, used]) => ({ atMs: T(x), expiresMs: T(x + len), lastUseMs: used === undefined ? null : T(used) })),
        }),
      );
    // api-1's session from 10 s, an hour long, is 50 minutes old at 3010: within the 15 minutes an SDK refreshes in.
    expect(at(3010, [[10, hour], [3010, hour]]).kind).toBe('several');
    // The same session refreshed at 2990 already (another exchange in its window): the token pairs again.
    const refreshed = at(3010, [[10, hour], [2990, hour], [3010, hour]]);
    expect(refreshed.kind === 'one' && refreshed.pick.pod.name).toBe('api-2');
    // …or may refresh at 3300, before it expires (3610): either exchange may be the refresh (seed 9307: it was this
    // one, the new pod's first came later), and neither is paired.
    expect(at(3010, [[10, hour], [3010, hour], [3300, hour]]).kind).toBe('several');
    // Its key used after this exchange (past the two minutes requests signed before a refresh may take): this was
    // not its refresh, the token pairs; used just after it, it may still have been.
    const used = at(3010, [[10, hour, 3200], [3010, hour], [3300, hour]]);
    expect(used.kind === 'one' && used.pick.pod.name).toBe('api-2');
    expect(at(3010, [[10, hour, 3100], [3010, hour], [3300, hour]]).kind).toBe('several');
    expect(at(3010, [[10, hour, 3200], [3010, hour]]).kind).toBe('one');
    // An exchange only after it expired (3700: the new pod's first, in seed 7423) leaves 3010 its only refresh.
    expect(at(3010, [[10, hour], [3010, hour], [3700, hour]]).kind).toBe('several');
    // A session of 12 hours, or one already expired, or one issued 20 minutes before: not due, the token pairs.
    for (const earlier of [[10, 12 * hour], [10, 2000], [1800, hour]] as [number, number][]) {
      const v = at(3010, [earlier, [3010, hour]]);
      expect(v.kind === 'one' && v.pick.pod.name, JSON.stringify(earlier)).toBe('api-2');
    }
    // Its holder gone before the exchange (api-1 deleted; api-3 started after the session): nothing to refresh it,
    // the token pairs.
    const gone = timelineOf([
      podCreate(0, 'api-1', 'u1', 'api'), binding(1, 'api-1', 'u1', NODE_A), token(2, 'api-1', 'u1', NODE_A), del(2900, 'api-1', 'u1'),
      podCreate(1000, 'api-3', 'u3', 'api'), binding(1001, 'api-3', 'u3', NODE_A), token(1002, 'api-3', 'u3', NODE_A),
      podCreate(3000, 'api-2', 'u2', 'api'), binding(3001, 'api-2', 'u2', NODE_A), token(3002, 'api-2', 'u2', NODE_A),
    ]);
    const v = decide(irsaCandidates(gone, {
      namespace: 'payments', serviceAccount: 'api', atMs: T(3010), sourceIps: ['52.1.2.3'], inCluster,
      exchanges: [T(10), T(3010)], sessions: [{ atMs: T(10), expiresMs: T(10 + hour) }, { atMs: T(3010), expiresMs: T(3010 + hour) }],
    }));
    expect(v.kind === 'one' && v.pick.pod.name).toBe('api-2');
  });

  it('pods that start one after the other (token, exchange, token, exchange) each pair with their own exchange', () => {
    const tl = timelineOf([
      podCreate(990, 'api-1', 'u1', 'api'), binding(991, 'api-1', 'u1', NODE_A), token(1000, 'api-1', 'u1', NODE_A),
      podCreate(1001, 'api-2', 'u2', 'api'), binding(1002, 'api-2', 'u2', NODE_A), token(1010, 'api-2', 'u2', NODE_A),
    ]);
    const at = (s: number, exchanges: number[]) =>
      decide(irsaCandidates(tl, { namespace: 'payments', serviceAccount: 'api', atMs: T(s), sourceIps: ['52.1.2.3'], inCluster, exchanges: exchanges.map(T) }));
    const first = at(1005, [1005, 1015]);
    const second = at(1015, [1005, 1015]);
    expect(first.kind === 'one' && first.pick.pod.name).toBe('api-1');
    expect(second.kind === 'one' && second.pick.pod.name).toBe('api-2');
    // Both tokens before both exchanges: either pod may have been quicker, so neither exchange is paired.
    expect(at(1012, [1012, 1014]).kind).toBe('several');
    expect(at(1014, [1012, 1014]).kind).toBe('several');
  });

  it("behind NAT, the calls' public address rules out pods on nodes whose own traffic leaves from another one", () => {
    const egress = new Map([[NODE_A, new Set(['52.1.1.1'])], [NODE_B, new Set(['52.2.2.2'])]]);
    const q = (ip: string, known: Map<string, Set<string>>) =>
      decide(irsaCandidates(world(), { namespace: 'payments', serviceAccount: 'api', atMs: T(100), sourceIps: [ip], inCluster, exchanges: [], egressOf: (n) => known.get(n) ?? null }));
    const a = q('52.1.1.1', egress);
    expect(a.kind === 'one' && a.pick.pod.name).toBe('api-1');
    expect(a.kind === 'one' && a.pick.why.join('; ')).toContain("source IP 52.1.1.1 is an address node ip-10-0-1-5.ec2.internal's own calls leave from (NAT)");
    // The pod ruled out says why, by rule.
    expect(a.ruledOut.map((c) => [c.pod.name, c.out?.rule])).toEqual([['api-2', 'nat-egress']]);
    // A node with no address seen stays a candidate; an address no node uses narrows nothing.
    const unknownB = q('52.1.1.1', new Map([[NODE_A, new Set(['52.1.1.1'])]]));
    expect(unknownB.kind === 'several' && unknownB.candidates.map((c) => c.pod.name).sort()).toEqual(['api-1', 'api-2']);
    expect(q('198.51.100.7', egress).kind).toBe('several');
    // Both nodes behind the same NAT gateway: both pods remain.
    const shared = q('52.1.1.1', new Map([[NODE_A, new Set(['52.1.1.1'])], [NODE_B, new Set(['52.1.1.1'])]]));
    expect(shared.kind === 'several' && shared.candidates).toHaveLength(2);
  });

  it('a private source address (a VPC endpoint) says nothing of the NAT path: only public addresses rule pods out', () => {
    const egress = new Map([[NODE_A, new Set(['52.1.1.1'])], [NODE_B, new Set(['52.2.2.2'])]]);
    const q = (sourceIps: string[]) =>
      decide(irsaCandidates(world(), { namespace: 'payments', serviceAccount: 'api', atMs: T(100), sourceIps, inCluster, exchanges: [], egressOf: (n) => egress.get(n) ?? null }));
    // Calls through an endpoint from an address that is no pod's: nothing is known, both pods remain.
    const endpoint = q(['10.0.9.9']);
    expect(endpoint.kind === 'several' && endpoint.candidates).toHaveLength(2);
    expect(endpoint.ruledOut).toEqual([]);
    // One call through an endpoint and one through NAT A: node B's pod is ruled out, and says why.
    const mixed = q(['10.0.9.9', '52.1.1.1']);
    expect(mixed.kind === 'one' && mixed.pick.pod.name).toBe('api-1');
    expect(mixed.ruledOut.map((c) => [c.pod.name, c.out?.rule])).toEqual([['api-2', 'nat-egress']]);
  });

  it('takes the addresses one node was seen leaving from as one NAT gateway (a gateway with several addresses)', () => {
    const pools = closeOverPools(new Map([['n1', new Set(['52.0.0.1'])], ['n2', new Set(['52.0.0.1', '52.0.0.2'])], ['n3', new Set(['52.0.0.2', '52.0.0.3'])], ['n4', new Set(['54.9.9.9'])]]));
    expect([...pools.get('n1')!].sort()).toEqual(['52.0.0.1', '52.0.0.2', '52.0.0.3']);
    expect([...pools.get('n3')!].sort()).toEqual(['52.0.0.1', '52.0.0.2', '52.0.0.3']);
    expect([...pools.get('n4')!]).toEqual(['54.9.9.9']);
  });

  it('ties the nodes of one audit log to the cluster one of them is proven in (nodes that never called eks-auth)', () => {
    // Two files of one cluster's audit log: node A is tied to the cluster through its instance (providerID) in the
    // first; node B joins later and appears only in the second, which shares a pod (by uid) with the first.
    const b = new TimelineBuilder();
    const nodeObj = (name: string, id: string) => ({
      auditId: `n-${name}`, tsMs: T(0), source: 'file:1',
      record: { verb: 'create', objectRef: { resource: 'nodes', name }, responseStatus: { code: 201 }, requestObject: { kind: 'Node', metadata: { name }, spec: { providerID: `aws:///us-east-1a/${id}` } } },
    });
    b.audit(nodeObj(NODE_A, 'i-0aaaaaaaaaaaaaaa1'));
    b.audit({ ...podCreate(1, 'api-1', 'u1', 'api'), source: 'file:1' });
    b.audit({ ...binding(2, 'api-1', 'u1', NODE_A), source: 'file:1' });
    b.audit({ ...running(3, 'api-1', 'u1', NODE_A, '10.0.1.20', 3), source: 'file:2' });
    b.audit({ ...podCreate(4, 'api-2', 'u2', 'api'), source: 'file:2' });
    b.audit({ ...binding(5, 'api-2', 'u2', NODE_B), source: 'file:2' });
    // Another cluster's inventory (file 3) lists a pod of the same name on a node of the same name.
    b.inventory({ kind: 'Pod', metadata: { namespace: 'payments', name: 'api-9', uid: 'u9' }, spec: { serviceAccountName: 'api', nodeName: NODE_B } }, 'inv', Number.NaN, 'file:3');
    const tl = b.build();
    const group = (name: string) => tl.pods.find((p) => p.name === name)!.group;
    expect(group('api-1')).toBe(group('api-2'));
    expect(group('api-9')).not.toBe(group('api-1'));
    expect(tl.nodes.get(NODE_B)!.groups).toHaveLength(2);
  });

  it('a pod none of whose containers had started when the SDK named the session is ruled out', () => {
    // Two replicas on one node behind one NAT: tokens first, then containers starting at 10:00:12 and 10:00:20.
    const tl = timelineOf([
      podCreate(0, 'api-1', 'u1', 'api'), binding(1, 'api-1', 'u1', NODE_A), token(8, 'api-1', 'u1', NODE_A),
      podCreate(2, 'api-2', 'u2', 'api'), binding(3, 'api-2', 'u2', NODE_A), token(9, 'api-2', 'u2', NODE_A),
      running(13, 'api-1', 'u1', NODE_A, '10.0.1.20', 12), running(21, 'api-2', 'u2', NODE_A, '10.0.1.21', 20),
    ]);
    expect(tl.pods.map((p) => [p.name, p.startedMs])).toEqual([['api-1', T(12)], ['api-2', T(20)]]);
    const at = (name: string) =>
      decide(irsaCandidates(tl, { namespace: 'payments', serviceAccount: 'api', atMs: T(40), sourceIps: ['52.1.2.3'], inCluster, exchanges: [T(40), T(41)], sessionName: name }));
    // botocore named it at 10:00:15 (whole seconds: up to 10:00:15.999): only api-1 was running.
    const early = at(`botocore-session-${T(15) / 1000}`);
    expect(early.kind === 'one' && early.pick.pod.name).toBe('api-1');
    expect(early.kind === 'one' && early.pick.why.join('; ')).toContain('api-2 had no container started (first at 2026-03-02T10:00:20.000Z)');
    expect(early.kind === 'one' && early.pick.evidence).toEqual(expect.arrayContaining([tl.pods[1]!.evidence.started, tl.pods[0]!.evidence.started]));
    // The same second as api-2's start (startedAt shows whole seconds): both remain.
    expect(at(`botocore-session-${T(20) / 1000}`).kind).toBe('several');
    // Java names it in milliseconds; JavaScript at the exchange itself; Go's name carries no usable time.
    expect(at(`aws-sdk-java-${T(19) + 999}`).kind).toBe('one');
    expect(at(`aws-sdk-js-session-${T(25)}`).kind).toBe('several');
    expect(at(`aws-go-sdk-${T(15)}123456`).kind).toBe('several');
    // The calls came from api-2's own IP, yet its containers started after the SDK's time: the rules disagree, and
    // every pod alive is listed rather than a narrower answer.
    const disagree = decide(irsaCandidates(tl, { namespace: 'payments', serviceAccount: 'api', atMs: T(40), sourceIps: ['10.0.1.21'], inCluster, exchanges: [T(40), T(41)], sessionName: `botocore-session-${T(15) / 1000}` }));
    expect(disagree.kind === 'several' && disagree.candidates.map((c) => c.pod.name).sort()).toEqual(['api-1', 'api-2']);
    expect(disagree.kind === 'several' && disagree.candidates[0]!.why.join('; ')).toContain('rules disagree');
    expect(disagree.ruledOut).toEqual([]);
    // A time before every pod's start contradicts the evidence: the rule is not applied.
    expect(at(`botocore-session-${T(5) / 1000}`).kind).toBe('several');
  });

  it('uses the earliest start the kubelet reported (a restarted container keeps its first start in lastState)', () => {
    expect(timelineOf([podCreate(0, 'api-1', 'u1', 'api'), running(5, 'api-1', 'u1', NODE_A, '10.0.1.20', 4), running(300, 'api-1', 'u1', NODE_A, '10.0.1.20', 4, 299)]).pods[0]!.startedMs).toBe(T(4));
    // Only the later patch: its lastState still says 10:00:04.
    expect(timelineOf([running(300, 'api-1', 'u1', NODE_A, '10.0.1.20', 4, 299)]).pods[0]!.startedMs).toBe(T(4));
  });

  it('reads the time in SDK default session names, as the latest millisecond they can mean', () => {
    expect(sdkSessionTime('botocore-session-1772445615')).toBe(1772445615999);
    expect(sdkSessionTime('aws-sdk-java-1772445615123')).toBe(1772445615123);
    expect(sdkSessionTime('aws-sdk-js-session-1772445615123')).toBe(1772445615123);
    for (const n of ['botocore-session-x', 'jdoe', 'aws-go-sdk-1772445615123456789', null, undefined]) expect(sdkSessionTime(n)).toBeNull();
  });

  it('a token minted outside the kubelet makes its minter a candidate, unless the minter left from another address', () => {
    const minted = token(50, 'unused', 'x', NODE_B, 'sts.amazonaws.com', 'system:serviceaccount:payments:rb');
    const spec = (minted.record.requestObject as { spec: JsonObject }).spec;
    delete spec.boundObjectRef;
    (minted.record.user as JsonObject).extra = { 'authentication.kubernetes.io/pod-name': ['rb-1'], 'authentication.kubernetes.io/pod-uid': ['urb'] };
    const tl = timelineOf([
      podCreate(0, 'api-1', 'u1', 'api'), binding(1, 'api-1', 'u1', NODE_A), token(2, 'api-1', 'u1', NODE_A),
      podCreate(0, 'rb-1', 'urb', 'rb'), binding(1, 'rb-1', 'urb', NODE_B),
      minted,
    ]);
    const q = (egress: Map<string, Set<string>>) =>
      decide(irsaCandidates(tl, { namespace: 'payments', serviceAccount: 'api', atMs: T(100), sourceIps: ['52.1.1.1'], inCluster, exchanges: [T(100)], egressOf: (n) => egress.get(n) ?? null }));
    // Both nodes behind one NAT address: the minter may be the caller, so the answer stays open.
    const shared = q(new Map([[NODE_A, new Set(['52.1.1.1'])], [NODE_B, new Set(['52.1.1.1'])]]));
    expect(shared.kind === 'several' && shared.candidates.map((c) => [c.pod.name, !!c.minted])).toEqual([['api-1', false], ['rb-1', true]]);
    // The minter's node leaves from another address: not its exchange.
    const apart = q(new Map([[NODE_A, new Set(['52.1.1.1'])], [NODE_B, new Set(['52.2.2.2'])]]));
    expect(apart.kind === 'one' && apart.pick.pod.name).toBe('api-1');
  });
});
