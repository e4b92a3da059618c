/**
 * An event's own identity type is never overridden by a key id match: a Root or IAM user event whose key an
 * AssumeRole session also carries stays what it says (synthetic fixtures, and edited records, do this).
 * End to end through the CLI (ingest, attribute).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podtrail } from '../../helpers/cli';
import type { AttributionRecord } from '../../../shared/attribution';

const KEY = 'ASIAZZZZCONFLICT0001';

const assumeRole = {
  eventVersion: '1.08', eventTime: '2026-03-02T10:00:00Z', eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.7', userAgent: 'aws-cli/2.15.0', eventID: 'c0000000-0000-4000-8000-000000000001', recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111122223333:user/jdoe', accountId: '111122223333', accessKeyId: 'AKIAEXAMPLEJDOE00001', userName: 'jdoe' },
  requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/ops', roleSessionName: 'jdoe' },
  responseElements: { credentials: { accessKeyId: KEY, expiration: 'Mar 2, 2026, 11:00:00 AM', sessionToken: 'x' }, assumedRoleUser: { arn: 'arn:aws:sts::111122223333:assumed-role/ops/jdoe', assumedRoleId: 'AROAEXAMPLE:jdoe' } },
};
const call = (id: string, userIdentity: object) => ({
  eventVersion: '1.08', eventTime: '2026-03-02T10:10:00Z', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.7', userAgent: 'aws-cli/2.15.0', eventID: id, recipientAccountId: '111122223333', userIdentity,
});

describe('key id matches and the event\'s own identity', () => {
  it('a Root event carrying a key an AssumeRole issued stays root, with a note; the role session\'s own event is linked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podtrail-conflict-'));
    const root = call('c0000000-0000-4000-8000-000000000002', { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333', accessKeyId: KEY });
    const session = call('c0000000-0000-4000-8000-000000000003', {
      type: 'AssumedRole', principalId: 'AROAEXAMPLE:jdoe', arn: 'arn:aws:sts::111122223333:assumed-role/ops/jdoe', accountId: '111122223333', accessKeyId: KEY,
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/ops', accountId: '111122223333', userName: 'ops' } },
    });
    writeFileSync(join(dir, 'trail.json'), JSON.stringify({ Records: [assumeRole, root, session] }));
    const db = join(dir, 'case.db');
    expect((await podtrail(['ingest', join(dir, 'trail.json'), '--case', db, '--quiet'])).code).toBe(0);
    const out = await podtrail(['attribute', '--case', db]);
    const byId = new Map(out.stdout.trim().split('\n').map((l) => JSON.parse(l) as AttributionRecord).map((a) => [a.eventID, a]));
    const r = byId.get(root.eventID)!;
    expect(r.mechanism).toBe('root');
    expect(r.chain.every((l) => l.issuedBy === null)).toBe(true);
    expect(r.notes.join(' ')).toMatch(/own identity is Root: the key id match is not taken/);
    const s = byId.get(session.eventID)!;
    expect(s.mechanism).toBe('iam-user');
    expect(s.chain[0]!.issuedBy?.eventID).toBe(assumeRole.eventID);
  });
});
