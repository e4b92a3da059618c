import { describe, expect, it } from 'vitest';
import { clusterFactFromDocument, clusterFactFromRecord } from '../../../electron/engine/chain/clusters';
import { fact, loadRecord } from '../../helpers/reference';

describe('rule: OIDC id → cluster, from evidence only', () => {
  const describeCluster = JSON.stringify({
    cluster: {
      name: 'prod-east',
      arn: 'arn:aws:eks:us-east-1:111122223333:cluster/prod-east',
      identity: { oidc: { issuer: 'https://oidc.eks.us-east-1.amazonaws.com/id/8F3C1A9E5D7B2C4A6E0F1B3D5C7A9E2F' } },
    },
  });

  it('maps the OIDC id from aws eks describe-cluster output', () => {
    expect(clusterFactFromDocument({ kind: 'eks-describe-cluster', ref: 'file:x#1', raw: describeCluster })).toEqual({
      name: 'prod-east',
      arn: 'arn:aws:eks:us-east-1:111122223333:cluster/prod-east',
      oidcId: '8F3C1A9E5D7B2C4A6E0F1B3D5C7A9E2F',
      account: '111122223333',
      region: 'us-east-1',
      key: '111122223333:us-east-1:prod-east',
      evidence: 'file:x#1',
    });
  });

  it('maps it from a DescribeCluster record, and names a cluster without OIDC from CreateCluster (EKS user guide record)', () => {
    const rec = loadRecord('public/doc-examples/eks-ug_01_eks-CreateCluster_IAMUser_line19.json');
    const c = clusterFactFromRecord(fact(rec))!;
    expect(c.name).toBe('test');
    expect(c.oidcId).toBeNull();
    const describe = { ...rec, eventName: 'DescribeCluster', responseElements: JSON.parse(describeCluster) };
    expect(clusterFactFromRecord(fact(describe))!.oidcId).toBe('8F3C1A9E5D7B2C4A6E0F1B3D5C7A9E2F');
  });

  it('uses CreateOpenIDConnectProvider only when a tag names the cluster', () => {
    const base = {
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateOpenIDConnectProvider',
      eventTime: '2024-01-01T00:00:00Z',
      requestParameters: { url: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789ABCDEF0123456789' },
    };
    expect(clusterFactFromRecord(fact(base))).toBeNull();
    const tagged = { ...base, requestParameters: { ...base.requestParameters, tags: [{ key: 'alpha.eksctl.io/cluster-name', value: 'mkat' }] } };
    expect(clusterFactFromRecord(fact(tagged))).toMatchObject({ name: 'mkat', oidcId: 'ABCDEF0123456789ABCDEF0123456789', region: 'eu-west-1' });
  });
});
