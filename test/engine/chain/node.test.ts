import { describe, expect, it } from 'vitest';
import { eksAuthCallOf, eksAuthCaller, isInstanceId, matchEksAuth, sessionNameOf } from '../../../electron/engine/chain/node';
import { buildFacts } from '../../../electron/engine/chain/facts';
import { Resolver } from '../../../electron/engine/chain/resolve';
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

describe('eks-auth calls and node membership (issue: no proof from weak signals)', () => {
  const cliRecord = () => loadRecord('public/doc-examples/eks-sec-immersion_03_AssumeRoleForPodIdentity_by-ec2-role-i-07574d724fb843fda_cli_2024-04-16.json');
  const agentRecord = () => loadRecord('public/doc-examples/eks-sec-immersion_01_AssumeRoleForPodIdentity_by-node-role-i-064d652934ecf0bfc_lookup-events_2023-12-13.json');

  it('tells the Pod Identity agent (a Go SDK eks-auth client) from a call made by hand with the AWS CLI (workshop records 01, 03)', () => {
    expect(eksAuthCallOf(fact(agentRecord()))!.caller).toBe('agent');
    expect(eksAuthCallOf(fact(cliRecord()))!.caller).toBe('cli');
    expect(eksAuthCaller(undefined)).toBe('other');
  });

  it('an instance that called eks-auth is at most inferred to be a node, and a CLI call ties it to no cluster and is flagged', () => {
    const viaAgent = new Resolver(buildFacts([fact(agentRecord())])).resolveOwnIdentity(agentRecord());
    expect(viaAgent.mechanism).toBe('node-role');
    const membership = viaAgent.hops.find((h) => h.claim.includes('called eks-auth'));
    expect(membership?.confidence).toBe('inferred');
    // Workshop record 03: the AWS CLI in the workshop IDE, with a role that is no node role.
    const rec = cliRecord();
    const byHand = new Resolver(buildFacts([fact(rec)])).resolveOwnIdentity(rec);
    expect(byHand.cluster).toBeNull();
    expect(byHand.hops.some((h) => h.claim.includes('called eks-auth'))).toBe(false);
  });
});
