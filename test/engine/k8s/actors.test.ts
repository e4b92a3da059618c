/**
 * Kubernetes actors from audit events (k8s/actors.ts): which requests are actions on pods, the exec session's
 * window from its two stages, the deploy behind a ReplicaSet, and each actor's AWS identity — through the key's
 * chain, from its CloudTrail calls, from `user.extra.arn` (the chain stops), or the Kubernetes user as it is.
 */
import { describe, expect, it } from 'vitest';
import { buildFacts } from '../../../electron/engine/chain/facts';
import { Resolver } from '../../../electron/engine/chain/resolve';
import { actorOf, extractActions, kubeUserOf, resolveKubeUser, uaProduct, type ActorAuditRow, type KeyUse, type PodActionRecord } from '../../../electron/engine/k8s/actors';
import type { PodLife } from '../../../electron/engine/k8s/timeline';
import type { JsonObject } from '../../../electron/engine/util/json';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const iso = (s: number, us = '000') => `${new Date(T0 + s * 1000).toISOString().slice(0, 23)}${us}Z`;
const ACCT = '111122223333';
const SSO_ROLE = 'AWSReservedSSO_Admin_0123456789abcdef';

function iamUser(user: string, sessionName: string, key: string | null): JsonObject {
  const extra: JsonObject = {
    arn: [`arn:aws:sts::${ACCT}:assumed-role/${SSO_ROLE}/${sessionName}`],
    canonicalArn: [`arn:aws:iam::${ACCT}:role/${SSO_ROLE}`],
    principalId: [`AROAEXAMPLE:${sessionName}`],
    sessionName: [sessionName],
  };
  if (key) extra.accessKeyId = [key];
  return { username: user, uid: `aws-iam-authenticator:${ACCT}:AROAEXAMPLE`, groups: ['system:authenticated'], extra };
}

function audit(id: string, stage: string, received: number, done: number, verb: string, objectRef: JsonObject, user: JsonObject, extra: JsonObject = {}): ActorAuditRow {
  const record: JsonObject = {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: id, stage, verb, user, objectRef,
    responseStatus: { metadata: {}, code: verb === 'create' && objectRef.subresource === 'exec' ? 101 : 200 },
    requestReceivedTimestamp: iso(received), stageTimestamp: iso(done), ...extra,
  };
  return { auditId: id, stage, tsMs: T0 + done * 1000, record };
}

const podRef = (name: string, sub?: string): JsonObject => ({ resource: 'pods', namespace: 'shop', name, apiVersion: 'v1', ...(sub ? { subresource: sub } : {}) });
const alice = iamUser(`arn:aws:sts::${ACCT}:assumed-role/${SSO_ROLE}/alice-example.com`, 'alice@example.com', 'ASIAALICEKEY0000001');

describe('actions from audit events', () => {
  it('an exec session runs from its request to its ResponseComplete; machinery, kubelet tokens and controller deletes are not actors', () => {
    const rows = [
      audit('e1', 'ResponseStarted', 0, 0.01, 'create', podRef('api-7d9f8c6b5d-abcde', 'exec'), alice),
      audit('e1', 'ResponseComplete', 0, 200, 'create', podRef('api-7d9f8c6b5d-abcde', 'exec'), alice),
      audit('l1', 'ResponseComplete', 300, 300.01, 'get', podRef('api-7d9f8c6b5d-abcde', 'log'), alice),
      audit('d1', 'ResponseComplete', 400, 400.02, 'delete', podRef('api-7d9f8c6b5d-abcde'), { username: 'system:serviceaccount:kube-system:replicaset-controller' }),
      audit('d2', 'ResponseComplete', 500, 500.02, 'delete', podRef('api-7d9f8c6b5d-fghij'), alice),
      audit('t1', 'ResponseComplete', 600, 600.01, 'create', { resource: 'serviceaccounts', namespace: 'shop', name: 'api', subresource: 'token' }, { username: 'system:node:ip-10-0-1-5.ec2.internal' }),
      audit('t2', 'ResponseComplete', 700, 700.01, 'create', { resource: 'serviceaccounts', namespace: 'shop', name: 'api', subresource: 'token' }, alice),
      audit('x1', 'ResponseStarted', 800, 800.01, 'get', podRef('api-7d9f8c6b5d-abcde', 'exec'), { username: 'system:node:ip-10-0-1-5.ec2.internal' }),
      audit('x2', 'ResponseStarted', 900, 900.01, 'get', podRef('api-7d9f8c6b5d-abcde', 'attach'), alice),
    ];
    const { actions } = extractActions(rows);
    expect(actions.map((a) => [a.action, a.auditId])).toEqual([
      ['exec', 'e1'], ['log', 'l1'], ['delete', 'd2'], ['token', 't2'], ['attach', 'x2'],
    ]);
    const exec = actions[0]!;
    expect(exec.startMs).toBe(T0);
    expect(exec.endMs).toBe(T0 + 200_000);
    expect(actions.find((a) => a.auditId === 'x2')!.endMs).toBeNull(); // still open at the end of the log
    expect(exec.user.accessKeyId).toBe('ASIAALICEKEY0000001');
  });

  it('a deploy is the Deployment change the deployment controller answered with a ReplicaSet, not a later one', () => {
    const dep = { resource: 'deployments', namespace: 'shop', name: 'api', apiGroup: 'apps', apiVersion: 'v1' };
    const rs = (name: string): JsonObject => ({
      kind: 'ReplicaSet', apiVersion: 'apps/v1',
      metadata: { name, namespace: 'shop', uid: `uid-${name}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: 'dep-uid', controller: true }] },
    });
    const controller = { username: 'system:serviceaccount:kube-system:deployment-controller' };
    const rsRef = { resource: 'replicasets', namespace: 'shop', apiGroup: 'apps', apiVersion: 'v1' };
    const rows = [
      audit('p0', 'ResponseComplete', 0, 0.02, 'patch', dep, alice),
      audit('p1', 'ResponseComplete', 100, 100.02, 'patch', dep, alice),
      audit('r1', 'ResponseComplete', 100.1, 100.2, 'create', rsRef, controller, { responseObject: rs('api-7d9f8c6b5d') }),
      audit('p2', 'ResponseComplete', 200, 200.02, 'patch', dep, alice),
      audit('r2', 'ResponseComplete', 200.1, 200.2, 'create', rsRef, { username: 'someone' }, { responseObject: rs('api-0000000000') }),
    ];
    const { actions } = extractActions(rows);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ action: 'deploy', auditId: 'p1', deployment: 'api', replicaSet: { name: 'api-7d9f8c6b5d', uid: 'uid-api-7d9f8c6b5d' } });
  });
});

describe("an actor's AWS identity", () => {
  const user = (arn: string, key: string): JsonObject => ({ type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn, accountId: ACCT, accessKeyId: key, userName: 'ci' });
  const assume = (id: string, ui: JsonObject, newKey: string, role: string, s: number): JsonObject => ({
    eventVersion: '1.08', userIdentity: ui, eventTime: iso(s).replace(/\.\d+Z$/, 'Z'), eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7', userAgent: 'aws-cli/2', requestParameters: { roleArn: `arn:aws:iam::${ACCT}:role/${role}`, roleSessionName: `s-${id}` },
    responseElements: { credentials: { accessKeyId: newKey, expiration: iso(s + 3600).replace(/\.\d+Z$/, 'Z'), sessionToken: 'x' } }, eventID: id, recipientAccountId: ACCT,
  });
  const ciArn = `arn:aws:iam::${ACCT}:user/ci/deployer`;
  const first = assume('a1', user(ciArn, 'AKIACIUSER000000001'), 'ASIADEPLOY000000001', 'ci-deploy', 0);
  const second = assume('a2', { type: 'AssumedRole', principalId: 'AROADEPLOY:s-a1', arn: `arn:aws:sts::${ACCT}:assumed-role/ci-deploy/s-a1`, accountId: ACCT, accessKeyId: 'ASIADEPLOY000000001' }, 'ASIAEKSDEP000000001', 'eks-deployer', 2);
  const resolver = new Resolver(buildFacts([first, second].map((r) => ({ eventID: r.eventID as string, eventMs: Date.parse(r.eventTime as string), record: r }))));
  const none = (): KeyUse | null => null;

  it('follows user.extra.accessKeyId through role chaining to the IAM user (proven)', () => {
    const u = kubeUserOf({ user: { username: 'deployer', extra: { accessKeyId: ['ASIAEKSDEP000000001'], arn: [`arn:aws:sts::${ACCT}:assumed-role/eks-deployer/s-a2`] } } });
    const id = resolveKubeUser(u, T0 + 60_000, resolver, none);
    expect(id.principal).toBe(ciArn);
    expect(id.confidence).toBe('proven');
    expect(id.chain.map((l) => l.accessKeyId)).toEqual(['ASIAEKSDEP000000001', 'ASIADEPLOY000000001', 'AKIACIUSER000000001']);
    expect(id.why).toMatch(/issued by AssumeRole a2, through 2 more hop\(s\) of role chaining/);
  });

  it('a key issued outside the bundle is what its CloudTrail calls state, and the chain stops there', () => {
    const use: KeyUse = { identityType: 'AssumedRole', arn: `arn:aws:sts::${ACCT}:assumed-role/${SSO_ROLE}/alice@example.com`, principalId: 'AROAEXAMPLE:alice@example.com', issuerArn: `arn:aws:iam::${ACCT}:role/aws-reserved/sso.amazonaws.com/${SSO_ROLE}`, invokedBy: null, userName: null, accountId: ACCT, eventID: 'ct-1' };
    const id = resolveKubeUser(kubeUserOf({ user: alice }), T0, resolver, (k) => (k === 'ASIAALICEKEY0000001' ? use : null));
    expect(id.principal).toBe(`alice@example.com via IAM Identity Center (${SSO_ROLE})`);
    expect(id.why).toMatch(/not issued in the bundle; its CloudTrail calls \(ct-1\).*the chain stops there/);
  });

  it('a key CloudTrail never saw: user.extra.arn says who (inferred), in the same words', () => {
    const id = resolveKubeUser(kubeUserOf({ user: alice }), T0, resolver, none);
    expect(id.principal).toBe(`alice@example.com via IAM Identity Center (${SSO_ROLE})`);
    expect(id.confidence).toBe('inferred');
    expect(id.why).toMatch(/appears nowhere in the bundle's CloudTrail; user\.extra\.arn .* the chain stops there/);
  });

  it('a Kubernetes user that is no IAM principal is shown as it is', () => {
    const id = resolveKubeUser(kubeUserOf({ user: { username: 'oidc:jane@corp.example', groups: ['devs'] } }), T0, resolver, none);
    expect(id).toMatchObject({ principal: 'oidc:jane@corp.example', chain: [] });
    expect(id.why).toMatch(/not an IAM principal/);
  });
});

describe("the event's actor", () => {
  const pod = { uid: 'u1', namespace: 'shop', name: 'api-7d9f8c6b5d-abcde', serviceAccount: 'api' } as PodLife;
  const exec: PodActionRecord = {
    action: 'exec', auditId: 'e1', startMs: T0, endMs: T0 + 200_000, namespace: 'shop', podName: pod.name, podUid: null, serviceAccount: null, replicaSet: null, deployment: null,
    user: kubeUserOf({ user: alice }), identity: { principal: 'alice@example.com via IAM Identity Center (x)', confidence: 'proven', chain: [], why: '' }, pod,
  };
  const byPod = new Map([[pod, [exec]]]);
  const baseline = { products: new Set(['boto3']), apis: new Set(['s3:GetObject', 'sqs:ReceiveMessage']), calls: 500 };
  const call = (s: number, ua: string, api = 's3:GetObject') => ({ ms: T0 + s * 1000, userAgent: ua, api, invokedBy: null });
  const on = [{ pod, candidate: false }];

  it('a CLI call during the exec session is the person’s (inferred, never proven)', () => {
    const a = actorOf(call(30, 'aws-cli/2.15.30 Python/3.11.8'), on, byPod, baseline)!;
    expect(a).toMatchObject({ principal: 'alice@example.com via IAM Identity Center (x)', auditID: 'e1', confidence: 'inferred' });
    expect(a.why).toMatch(/aws-cli/);
    expect(actorOf(call(30, 'Boto3/1.34 md/Botocore#1.34', 'secretsmanager:GetSecretValue'), on, byPod, baseline)!.why).toMatch(/never called secretsmanager:GetSecretValue/);
  });

  it("the workload's own calls during the session, and any call outside it, have no actor", () => {
    expect(actorOf(call(30, 'Boto3/1.34 md/Botocore#1.34'), on, byPod, baseline)).toBeNull();
    expect(actorOf(call(400, 'aws-cli/2.15.30'), on, byPod, baseline)).toBeNull();
    expect(actorOf({ ...call(30, 'secretsmanager.amazonaws.com', 'kms:Decrypt'), invokedBy: 'secretsmanager.amazonaws.com' }, on, byPod, baseline)).toBeNull();
    expect(actorOf(call(30, 'aws-cli/2'), [{ pod: { ...pod, uid: 'u2' } as PodLife, candidate: false }], byPod, baseline)).toBeNull();
  });

  it('on a candidate pod the actor is ambiguous', () => {
    expect(actorOf(call(30, 'aws-cli/2'), [{ pod, candidate: true }], byPod, baseline)!.confidence).toBe('ambiguous');
  });

  it('reads the user agent product', () => {
    expect(uaProduct('aws-cli/2.15.30 Python/3.11.8')).toBe('aws-cli');
    expect(uaProduct('[Boto3/1.34.69 md/Botocore#1.34.69]')).toBe('boto3');
    expect(uaProduct(null)).toBe('');
  });
});
