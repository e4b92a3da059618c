import { describe, expect, it } from 'vitest';
import { buildFacts } from '../../../electron/engine/chain/facts';
import { Resolver } from '../../../electron/engine/chain/resolve';
import type { JsonObject } from '../../../electron/engine/util/json';
import { fact, loadRecord } from '../../helpers/reference';

const T0 = '2026-03-02T10:00:00Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString().replace('.000Z', 'Z');
const exp = (s: number) => at(s);

/** An AssumeRole made by a role session `callerKey` (role chaining), shaped like the IAM user guide record. */
function chainedAssumeRole(id: string, callerKey: string, newKey: string, roleArn: string, t: number, account = '111111111111'): JsonObject {
  const base = loadRecord('public/doc-examples/iam-ug_03_sts-AssumeRole_by-AssumedRole_role-chaining_line223.json');
  return {
    ...base,
    eventID: id,
    eventTime: at(t),
    recipientAccountId: account,
    userIdentity: { ...(base.userIdentity as JsonObject), accessKeyId: callerKey, arn: `arn:aws:sts::111111111111:assumed-role/caller/${callerKey}` },
    requestParameters: { roleArn, roleSessionName: `s-${id}` },
    responseElements: { credentials: { accessKeyId: newKey, expiration: exp(t + 3600), sessionToken: 'x' } },
  };
}

function irsaIssue(id: string, key: string, t: number): JsonObject {
  const base = loadRecord('seed-examples/000-02-AssumeRoleWithWebIdentity.json');
  return {
    ...base,
    eventID: id,
    eventTime: at(t),
    responseElements: { ...(base.responseElements as JsonObject), credentials: { accessKeyId: key, expiration: exp(t + 3600) } },
  };
}

function podIdentityIssue(id: string, key: string, t: number, opts: { tags?: boolean; roleArn?: string } = {}): JsonObject {
  const base = loadRecord('seed-examples/001-07-AssumeRole.json');
  const rp = base.requestParameters as JsonObject;
  return {
    ...base,
    eventID: id,
    eventTime: at(t),
    requestParameters: { ...rp, roleArn: opts.roleArn ?? rp.roleArn, tags: opts.tags === false ? undefined : rp.tags },
    responseElements: { ...(base.responseElements as JsonObject), credentials: { accessKeyId: key, expiration: exp(t + 21600) } },
  };
}

/** The seed's eks-auth call, with its ACCOUNT_ID placeholder replaced by a real account (the Pod Identity seed's by default). */
function eksAuth(id: string, instanceId: string, t: number, cluster = 'eksworkshop-eksctl', account = '823571991546'): JsonObject {
  const base = loadRecord('seed-examples/001-05-AssumeRoleForPodIdentity.json');
  return {
    ...base,
    eventID: id,
    eventTime: at(t),
    recipientAccountId: account,
    userIdentity: { ...(base.userIdentity as JsonObject), accountId: account, arn: `arn:aws:sts::${account}:assumed-role/node-role/${instanceId}` },
    requestParameters: { clusterName: cluster, token: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
  };
}

const resolver = (...records: JsonObject[]) => new Resolver(buildFacts(records.map((r) => fact(r))));

describe('chain resolution', () => {
  it('follows role chaining to the IRSA root, across accounts, any depth', () => {
    const r = resolver(
      irsaIssue('e1', 'ASIAROOT00000000001', 0),
      chainedAssumeRole('e2', 'ASIAROOT00000000001', 'ASIAHOP100000000001', 'arn:aws:iam::222222222222:role/data', 10, '222222222222'),
      chainedAssumeRole('e3', 'ASIAHOP100000000001', 'ASIAHOP200000000001', 'arn:aws:iam::333333333333:role/deep', 20, '333333333333'),
    ).resolveKey('ASIAHOP200000000001')!;
    expect(r.mechanism).toBe('irsa');
    expect(r.chained).toBe(true);
    expect(r.namespace).toBe('pipelines');
    expect(r.serviceAccount).toBe('nightly-runner-5c81f2');
    expect(r.chain.map((l) => l.accessKeyId)).toEqual(['ASIAHOP200000000001', 'ASIAHOP100000000001', 'ASIAROOT00000000001']);
    expect(r.chain.map((l) => l.issuedBy?.eventID)).toEqual(['e3', 'e2', 'e1']);
    expect(r.hops.filter((h) => h.rule === 'role-chain')).toHaveLength(2);
  });

  it('stops on a credential loop instead of recursing forever', () => {
    const r = resolver(
      chainedAssumeRole('a', 'ASIALOOPB0000000001', 'ASIALOOPA0000000001', 'arn:aws:iam::1:role/a', 0),
      chainedAssumeRole('b', 'ASIALOOPA0000000001', 'ASIALOOPB0000000001', 'arn:aws:iam::1:role/b', 5),
    ).resolveKey('ASIALOOPA0000000001')!;
    expect(r.chained).toBe(true);
    expect(r.notes.join(' ')).toMatch(/loop/);
  });

  it('says unknown beyond a key whose issuance is not in the bundle, never guessing', () => {
    const r = resolver(chainedAssumeRole('c', 'ASIAMISSING00000001', 'ASIACHILD0000000001', 'arn:aws:iam::1:role/x', 0)).resolveKey('ASIACHILD0000000001')!;
    expect(r.mechanism).toBe('assumed-role');
    expect(r.confidence.identity).toBe('none');
    expect(r.chain).toEqual([
      { accessKeyId: 'ASIACHILD0000000001', issuedBy: { eventID: 'c', eventName: 'AssumeRole', roleArn: 'arn:aws:iam::1:role/x' } },
      { accessKeyId: 'ASIAMISSING00000001', issuedBy: null },
    ]);
    expect(r.notes.join(' ')).toMatch(/ASIAMISSING00000001 is not in the bundle/);
  });

  it('Pod Identity with tags: pod proven, node inferred when exactly one node agent called in the window', () => {
    const r = resolver(podIdentityIssue('p', 'ASIAPOD000000000001', 100), eksAuth('n1', 'i-0aaaaaaaaaaaaaaaa', 100), eksAuth('far', 'i-0bbbbbbbbbbbbbbbb', 60))
      .resolveKey('ASIAPOD000000000001')!;
    expect(r).toMatchObject({ mechanism: 'pod-identity', namespace: 'ns-a', serviceAccount: 'sa1', pod: { name: 'app1', uid: '0cda7f85-c1f9-4dee-b6e9-a0b50c8f3012' } });
    expect(r.confidence).toEqual({ identity: 'proven', pod: 'proven', node: 'inferred' });
    expect(r.node).toEqual({ instanceId: 'i-0aaaaaaaaaaaaaaaa', name: null });
  });

  it("Pod Identity: a cluster of the same name in another account is another cluster: its nodes' eks-auth calls never match", () => {
    // The seed's eks-auth record as published (ACCOUNT_ID placeholder replaced by another real account), at the same second.
    const r = resolver(podIdentityIssue('p', 'ASIAPOD000000000009', 100), eksAuth('other', 'i-0dddddddddddddddd', 100, 'eksworkshop-eksctl', '111122223333'))
      .resolveKey('ASIAPOD000000000009')!;
    expect(r.cluster).toMatchObject({ name: 'eksworkshop-eksctl', account: '823571991546', region: 'us-west-2' });
    expect(r.node).toBeNull();
    expect(r.confidence.node).toBe('none');
    // The same call in the cluster's own account matches.
    const same = resolver(podIdentityIssue('p', 'ASIAPOD000000000009', 100), eksAuth('own', 'i-0dddddddddddddddd', 100)).resolveKey('ASIAPOD000000000009')!;
    expect(same.node?.instanceId).toBe('i-0dddddddddddddddd');
  });

  it('Pod Identity: an eks-auth call made by hand with the AWS CLI is no node agent: never matched as the node', () => {
    const cli = eksAuth('cli', 'i-0eeeeeeeeeeeeeeee', 100);
    cli.userAgent = 'aws-cli/2.15.38 Python/3.11.8 Linux/5.10.213-201.855.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/eks-auth.assume-role-for-pod-identity';
    const r = resolver(podIdentityIssue('p', 'ASIAPOD00000000000A', 100), cli).resolveKey('ASIAPOD00000000000A')!;
    expect(r.node).toBeNull();
    expect(r.confidence.node).toBe('none');
  });

  it('Pod Identity: several nodes in the window make the node ambiguous, with every candidate scored', () => {
    const r = resolver(podIdentityIssue('p', 'ASIAPOD000000000002', 100), eksAuth('n1', 'i-0aaaaaaaaaaaaaaaa', 100), eksAuth('n2', 'i-0cccccccccccccccc', 99))
      .resolveKey('ASIAPOD000000000002')!;
    expect(r.confidence.node).toBe('ambiguous');
    expect(r.node).toBeNull();
    expect(r.candidates.map((c) => c.node?.instanceId)).toEqual(['i-0aaaaaaaaaaaaaaaa', 'i-0cccccccccccccccc']);
    expect(r.candidates[0]!.score).toBeGreaterThan(r.candidates[1]!.score);
  });

  it('Pod Identity without tags: cluster and pod from the truncated session name, inferred', () => {
    const withTags = podIdentityIssue('tagged', 'ASIAPOD000000000003', 0); // names pod app1 in cluster eksworkshop-eksctl
    const noTags = podIdentityIssue('untagged', 'ASIAPOD000000000004', 50, { tags: false });
    const r = resolver(withTags, noTags).resolveKey('ASIAPOD000000000004')!;
    expect(r.mechanism).toBe('pod-identity');
    expect(r.cluster?.name).toBe('eksworkshop-eksctl');
    expect(r.pod).toEqual({ name: 'app1', uid: '0cda7f85-c1f9-4dee-b6e9-a0b50c8f3012' });
    expect(r.confidence.pod).toBe('inferred');
    expect(r.confidence.identity).toBe('inferred');
  });

  it('Pod Identity targetRoleArn: the second AssumeRole by the first session is a chain with the pod as root', () => {
    const r = resolver(
      podIdentityIssue('first', 'ASIAPODA00000000001', 0),
      chainedAssumeRole('second', 'ASIAPODA00000000001', 'ASIAPODB00000000001', 'arn:aws:iam::222222222222:role/target', 0, '222222222222'),
    ).resolveKey('ASIAPODB00000000001')!;
    expect(r.mechanism).toBe('pod-identity');
    expect(r.chained).toBe(true);
    expect(r.pod?.name).toBe('app1');
  });

  it('node credentials: instance-profile AssumeRole by ec2.amazonaws.com is the node, proven', () => {
    const rec = loadRecord('public/elastic_integrations/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-assume-role-aws-service-json.log');
    const key = ((rec.responseElements as JsonObject).credentials as JsonObject).accessKeyId as string;
    const r = resolver(rec).resolveKey(key)!;
    expect(r.mechanism).toBe('node-role');
    expect(r.node).toEqual({ instanceId: 'i-0123456789abcdef0', name: null });
    expect(r.confidence.node).toBe('proven');
  });

  it('names humans and services from the event itself', () => {
    const rv = resolver();
    const sso = rv.resolveOwnIdentity({
      userIdentity: {
        type: 'AssumedRole',
        accessKeyId: 'ASIASSO0000000000001',
        arn: 'arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com',
        sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef' } },
      },
    });
    expect(sso.mechanism).toBe('sso');
    expect(sso.principal).toMatch(/^alice@example.com/);
    expect(rv.resolveOwnIdentity(loadRecord('public/doc-examples/eks-ug_01_eks-CreateCluster_IAMUser_line19.json')).mechanism).toBe('iam-user');
    expect(rv.resolveOwnIdentity({ userIdentity: { type: 'Root', accountId: '1' } }).mechanism).toBe('root');
    expect(rv.resolveOwnIdentity({ userIdentity: { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' } }).principal).toBe('cloudtrail.amazonaws.com');
    const node = rv.resolveOwnIdentity(loadRecord('seed-examples/001-05-AssumeRoleForPodIdentity.json'));
    expect(node).toMatchObject({ mechanism: 'node-role', node: { instanceId: 'i-064d652934ecf0bfc' } });
    expect(node.confidence.node).toBe('proven'); // ec2RoleDelivery: delivered by IMDS
  });
});
