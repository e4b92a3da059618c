import { describe, expect, it } from 'vitest';
import {
  isPodIdentityIssuance,
  parsePodIdentitySessionName,
  podIdentityTags,
  podMatchesPrefix,
  splitWithClusters,
} from '../../../electron/engine/chain/pod-identity';
import { loadRecord } from '../../helpers/reference';

describe('rule: EKS Pod Identity', () => {
  it('reads the six session tags (seed 000-04)', () => {
    const rec = loadRecord('seed-examples/000-04-AssumeRole.json');
    expect(isPodIdentityIssuance(rec)).toBe(true);
    expect(podIdentityTags(rec)).toEqual({
      clusterArn: 'arn:aws:eks:us-east-1:210987654321:cluster/eks-orders-1',
      clusterName: 'eks-orders-1',
      namespace: 'orders',
      serviceAccount: 'orders-api-sa',
      podName: 'orders-api-5d8c7b9f4-q2x7m',
      podUid: '3b7e2d91-6c4f-4a8e-9d15-0f2c8a6b4e73',
    });
  });

  it('returns null without tags (disableSessionTags)', () => {
    const rec = loadRecord('seed-examples/001-07-AssumeRole.json');
    const untagged = { ...rec, requestParameters: { ...(rec.requestParameters as object), tags: undefined } };
    expect(podIdentityTags(untagged as never)).toBeNull();
  });

  it('splits real session names eks-<cluster[:10]>-<pod[:10]>-<uuid> with the known cluster', () => {
    // eks-sec-immersion 04 and 07: cluster eksworkshop-eksctl, pods app1 and app1-v1-56b9f94b4-dvd5c.
    const a = parsePodIdentitySessionName('eks-eksworksho-app1-498124c2-a555-40bf-9059-ca9a26821eb0')!;
    expect(a.uuid).toBe('498124c2-a555-40bf-9059-ca9a26821eb0');
    expect(splitWithClusters(a.middle, ['eksworkshop-eksctl', 'other'])).toEqual([{ cluster: 'eksworkshop-eksctl', podPrefix: 'app1' }]);
    const b = parsePodIdentitySessionName('eks-eksworksho-app1-v1-56-d1861451-6ee5-4069-ae5d-741cbb99692a')!;
    const [split] = splitWithClusters(b.middle, ['eksworkshop-eksctl']);
    expect(split!.podPrefix).toBe('app1-v1-56');
    expect(podMatchesPrefix('app1-v1-56b9f94b4-dvd5c', split!.podPrefix)).toBe(true);
    expect(podMatchesPrefix('app1-v1-57b9f94b4-dvd5c', split!.podPrefix)).toBe(false);
  });

  it('handles cluster names shorter than 10 characters and rejects other session names', () => {
    const p = parsePodIdentitySessionName('eks-prod-web-7f9c8b-1234abcd-aaaa-bbbb-cccc-123456789012')!;
    expect(splitWithClusters(p.middle, ['prod', 'prod-eu'])).toEqual([{ cluster: 'prod', podPrefix: 'web-7f9c8b' }]);
    expect(parsePodIdentitySessionName('botocore-session-1675698641')).toBeNull();
    expect(parsePodIdentitySessionName('eks-1234abcd-aaaa-bbbb-cccc-123456789012')).toBeNull();
  });
});
