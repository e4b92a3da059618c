import { describe, expect, it } from 'vitest';
import { eksAuthCallOf, isInstanceId, matchEksAuth, sessionNameOf } from '../../../electron/engine/chain/node';
import { fact, loadRecord } from '../../helpers/reference';

describe('rule: node', () => {
  it('recognises instance ids (8 and 17 hex digits) and nothing else', () => {
    expect(isInstanceId('i-064d652934ecf0bfc')).toBe(true);
    expect(isInstanceId('i-0123abcd')).toBe(true);
    expect(isInstanceId('i-064d652934ecf0bfc-x')).toBe(false);
    expect(isInstanceId('botocore-session-1')).toBe(false);
    expect(sessionNameOf('arn:aws:sts::1:assumed-role/NodeRole/i-064d652934ecf0bfc')).toBe('i-064d652934ecf0bfc');
  });

  it('reads the node agent call from lookup-events output (workshop record 001-05)', () => {
    const call = eksAuthCallOf(fact(loadRecord('seed-examples/001-05-AssumeRoleForPodIdentity.json')))!;
    expect(call).toMatchObject({ clusterName: 'eksworkshop-eksctl', instanceId: 'i-064d652934ecf0bfc', region: 'us-west-2' });
    expect(call.eventID).toBe('e05b6d2e-4be6-45dd-8ad5-ba1e076002a5');
  });

  it('ignores AccessDenied agent calls (workshop record 05)', () => {
    const rec = loadRecord('public/doc-examples/eks-sec-immersion_05_AssumeRoleForPodIdentity_AccessDenied_by-node-role_lookup-events_2024-01-30.json');
    expect(rec.errorCode).toBeTruthy();
    expect(eksAuthCallOf(fact(rec))).toBeNull();
  });

  it('matches agent calls up to 2 s before and 1 s after the STS call, same region only', () => {
    const base = Date.UTC(2024, 0, 1, 0, 0, 10);
    const call = (id: string, dt: number, region = 'us-west-2') => ({
      eventID: id, eventMs: base + dt, clusterName: 'c', region, instanceId: `i-0000000${id}`, nodeRoleArn: null,
    });
    const calls = [call('1', -3000), call('2', -2000), call('3', 0), call('4', 1000), call('5', 2000), call('6', 0, 'eu-west-1')];
    expect(matchEksAuth(calls, base, 'us-west-2').map((m) => m.call.eventID)).toEqual(['2', '3', '4']);
    expect(matchEksAuth(undefined, base, null)).toEqual([]);
  });
});
