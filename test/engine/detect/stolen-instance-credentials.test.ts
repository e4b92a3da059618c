/**
 * The classic theft: an EC2 instance's instance-profile credentials taken and used elsewhere. Two real data sets
 * (test/fixtures/reference): invictus-ir's, where the attacker (who is also IAM user bert-jan) uses them from
 * 192.168.10.20 while the instance's SSM agent calls from 3.225.16.109; and Stratus Red Team's detonation log,
 * where only the attacker's calls are present, from the address IAM user christophe uses, with an anonymised
 * instance id in upper case; and OTRF's EC2-proxy S3 exfiltration set, CloudTrail shipped through Logstash, where the
 * instance role's credentials are used from the address IAM user pedro also uses. Through the CLI, as an
 * investigator runs it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podtrail } from '../../helpers/cli';
import { referencePath } from '../../helpers/reference';
import type { AttributionRecord } from '../../../shared/attribution';

async function attribute(path: string): Promise<AttributionRecord[]> {
  const db = join(mkdtempSync(join(tmpdir(), 'podtrail-theft-')), 'case.db');
  const ingest = await podtrail(['ingest', path, '--case', db, '--quiet']);
  expect(ingest.code).toBe(0);
  const out = await podtrail(['attribute', '--case', db]);
  return out.stdout.trim().split('\n').map((l) => JSON.parse(l) as AttributionRecord);
}

describe('stolen instance credentials (node-credentials-off-node)', () => {
  it('invictus-ir: the calls from the IAM user\'s address are flagged, the instance\'s own SSM agent calls are not', async () => {
    const all = await attribute(referencePath('public/invictus-ir_aws_dataset/CloudTrail'));
    const instance = all.filter((a) => a.mechanism === 'node-role' && a.node?.instanceId === 'i-0dbc91f429e48eeed');
    const attacker = instance.filter((a) => a.sourceIPAddress === '192.168.10.20');
    expect(attacker.map((a) => a.eventName).sort()).toEqual(['DescribeInstances', 'GetCallerIdentity']);
    for (const a of attacker) expect(a.flags).toContain('node-credentials-off-node');
    for (const a of instance.filter((x) => x.sourceIPAddress !== '192.168.10.20')) expect(a.flags ?? []).toEqual([]);
    // Nothing else in the set is flagged.
    expect(all.filter((a) => (a.flags ?? []).length > 0 && a.sourceIPAddress !== '192.168.10.20')).toEqual([]);
  });

  it('stratus-red-team: only the attacker\'s calls are present; they are flagged, and the upper-case instance id is accepted and called unusual', async () => {
    const all = await attribute(referencePath('public/DataDog_stratus-red-team/docs/detonation-logs/aws.credential-access.ec2-steal-instance-credentials.json'));
    const stolen = all.filter((a) => a.mechanism === 'node-role');
    expect(stolen.map((a) => a.eventName).sort()).toEqual(['DescribeInstances', 'GetCallerIdentity']);
    for (const a of stolen) {
      expect(a.node?.instanceId).toBe('i-786a3A8B5C0d92eF4');
      expect(a.flags).toContain('node-credentials-off-node');
      expect(a.notes.join(' ')).toMatch(/upper-case letters, which EC2 never writes/);
    }
    expect(all.filter((a) => a.mechanism !== 'node-role' && (a.flags ?? []).length > 0)).toEqual([]);
  });

  it('OTRF (a Logstash export): the instance role\'s calls from IAM user pedro\'s address are flagged, nothing else', async () => {
    const all = await attribute(referencePath('public/OTRF_Security-Datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration.zip'));
    const stolen = all.filter((a) => a.mechanism === 'node-role');
    expect(stolen.length).toBe(11);
    for (const a of stolen) {
      expect(a.sourceIPAddress).toBe('1.2.3.4');
      expect(a.flags).toContain('node-credentials-off-node');
    }
    expect(all.filter((a) => a.mechanism !== 'node-role' && (a.flags ?? []).length > 0)).toEqual([]);
  });
});
