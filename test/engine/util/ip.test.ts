/**
 * Address classes from ipaddr.js (issue 11, item 10): 100.64.0.0/10 — the range EKS custom networking and many VPCs
 * give pods — is not an internet address, IPv6 is covered, and the rules that ask "private or public?" treat a pod in
 * that range as the VPC traffic it is. The rule test uses the real EC2 instance-profile AssumeRole from Elastic's
 * CloudTrail pipeline test (test/fixtures/reference/public/elastic_integrations/…), and calls made with its key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { addressClass, isIp, isPrivateIp } from '../../../electron/engine/util/ip';
import type { JsonObject } from '../../../electron/engine/util/json';
import { put, tempDir, trailJson } from '../../helpers/evidence';
import { referencePath } from '../../helpers/reference';

describe('address classes', () => {
  it('100.64.0.0/10 (RFC 6598 shared address space, pods under EKS custom networking) is not public, to its edges', () => {
    for (const ip of ['100.64.0.0', '100.64.12.34', '100.100.100.200', '100.127.255.255']) {
      expect(addressClass(ip), ip).toBe('carrier-grade-nat');
      expect(isPrivateIp(ip), ip).toBe(true);
    }
    for (const ip of ['100.63.255.255', '100.128.0.0']) expect(isPrivateIp(ip), ip).toBe(false);
  });

  it('RFC 1918, loopback, link-local (the metadata service) are not public; 172.32/12 and documentation ranges are', () => {
    for (const ip of ['10.0.1.2', '172.16.0.1', '172.31.255.255', '192.168.1.1']) expect(addressClass(ip), ip).toBe('private');
    expect(addressClass('127.0.0.1')).toBe('loopback');
    expect(addressClass('169.254.169.254')).toBe('link-local');
    for (const ip of ['172.32.0.1', '54.24.225.213', '44.219.101.145', '1.2.3.4']) expect(addressClass(ip), ip).toBe('public');
    // Documentation ranges and the anonymised addresses of published logs stand for internet addresses: public.
    for (const ip of ['192.0.2.1', '198.51.100.7', '203.0.113.50', '253.252.51.07', '035.249.253.232']) {
      expect(isIp(ip), ip).toBe(true);
      expect(addressClass(ip), ip).toBe('public');
    }
  });

  it('IPv6: unique-local, link-local, loopback and IPv4-mapped private addresses are not public; global unicast is', () => {
    expect(addressClass('fd00:ec2::23')).toBe('unique-local'); // the instance metadata service over IPv6
    expect(addressClass('fe80::1ff:fe23:4567:890a')).toBe('link-local');
    expect(addressClass('::1')).toBe('loopback');
    expect(addressClass('::ffff:10.1.2.3')).toBe('private');
    expect(addressClass('::ffff:100.64.7.8')).toBe('carrier-grade-nat');
    // An IPv6 EKS cluster's pods have global addresses: their class is public; the pod-IP match tells pods apart.
    expect(addressClass('2600:1f18:4d2:a500:b1c2::7')).toBe('public');
    expect(addressClass('2001:db8::1')).toBe('public');
  });

  it('service names and values that only a lenient parser takes for addresses are not addresses', () => {
    for (const s of ['pods.eks.amazonaws.com', 'AWS Internal', 'ec2.amazonaws.com', '1234', '127.1', '0x7f.0.0.1', '256.1.1.1', '', 'fd00:ec2::23::1']) {
      expect(isIp(s), s).toBe(false);
      expect(isPrivateIp(s), s).toBe(false);
      expect(addressClass(s), s).toBeNull();
    }
  });
});

describe('rules that ask "private or public?", with pods in 100.64.0.0/10', () => {
  const ELASTIC = 'public/elastic_integrations/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-assume-role-aws-service-json.log';

  /** A call made with the instance profile's key the real AssumeRole issued (i-0123456789abcdef0, ASIAEXAMPLEEXAMPLE01). */
  function nodeCall(issue: JsonObject, id: string, time: string, ip: string): JsonObject {
    const creds = (issue.responseElements as JsonObject).credentials as JsonObject;
    const role = (issue.requestParameters as JsonObject).roleArn as string;
    const session = (issue.requestParameters as JsonObject).roleSessionName as string;
    const account = role.split(':')[4]!;
    return {
      eventVersion: '1.08',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLEROLEID0001:${session}`,
        arn: `arn:aws:sts::${account}:assumed-role/${role.split('/').pop()}/${session}`,
        accountId: account,
        accessKeyId: creds.accessKeyId as string,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEROLEID0001', arn: role, accountId: account, userName: role.split('/').pop()! },
          attributes: { creationDate: issue.eventTime as string, mfaAuthenticated: 'false' },
          ec2RoleDelivery: '2.0',
        },
      },
      eventTime: time,
      eventSource: 's3.amazonaws.com',
      eventName: 'ListBuckets',
      awsRegion: 'us-east-1',
      sourceIPAddress: ip,
      userAgent: 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 api/s3#1.58.3',
      requestParameters: null,
      responseElements: null,
      requestID: id,
      eventID: id,
      readOnly: true,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
    };
  }

  it('node-credentials-off-node: a call from a pod address in 100.64.0.0/10 is VPC traffic, not an unknown internet address', async () => {
    const issue = JSON.parse(readFileSync(referencePath(ELASTIC), 'utf8').split('\n')[0]!) as JsonObject;
    const calls = [
      nodeCall(issue, '7d0c1c1e-0000-4000-8000-000000000001', '2024-10-08T10:20:00Z', '54.80.1.2'), // the node's own NAT address
      nodeCall(issue, '7d0c1c1e-0000-4000-8000-000000000002', '2024-10-08T10:30:00Z', '100.64.12.34'), // a pod of the node, custom networking
      nodeCall(issue, '7d0c1c1e-0000-4000-8000-000000000003', '2024-10-08T10:35:00Z', '::ffff:100.64.12.35'),
      nodeCall(issue, '7d0c1c1e-0000-4000-8000-000000000004', '2024-10-08T10:40:00Z', '198.51.100.7'), // an internet address
    ];
    const dir = tempDir('cgnat');
    const file = put(dir, 'ev/trail.json', trailJson([issue, ...calls]));
    const db = openCase(join(dir, 'case.db'));
    const summary = await ingestEvidence(db, [file], { workers: 0 });
    expect(summary).toMatchObject({ records: 5, rejectedRecords: 0 });
    correlate(db);
    const node = db.prepare("SELECT node_instance FROM subjects WHERE mechanism = 'node-role'").pluck().all();
    expect(node).toEqual(['i-0123456789abcdef0']);
    const flags = db
      .prepare("SELECT e.source_ip, f.flag FROM event_flags f JOIN events e ON e.id = f.event_rowid WHERE f.flag = 'node-credentials-off-node' ORDER BY e.event_ms")
      .raw(true)
      .all();
    // Only the internet address is flagged; the pod addresses were taken for public ones before ipaddr.js.
    expect(flags).toEqual([['198.51.100.7', 'node-credentials-off-node']]);
    db.close();
  });
});
