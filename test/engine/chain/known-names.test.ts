/**
 * Names the record states are shown: an IAM Identity Center user whose ARN lacks the session part (Stratus Red Team
 * detonation log, record 37ba412b-…, anonymised as published), and AWS services acting through their
 * service-linked roles with no key (invictus-ir: Inspector's and RDS's sessions).
 */
import { describe, expect, it } from 'vitest';
import { buildFacts } from '../../../electron/engine/chain/facts';
import { Resolver } from '../../../electron/engine/chain/resolve';
import type { JsonObject } from '../../../electron/engine/util/json';

const resolve = (record: JsonObject) => new Resolver(buildFacts([])).resolveOwnIdentity(record);

describe('names the record states', () => {
  it('an Identity Center user from principalId when the ARN has no session part', () => {
    const r = resolve({
      eventID: '37ba412b-variant', eventTime: '2024-11-26T15:20:00Z', eventSource: 'ec2-instance-connect.amazonaws.com', eventName: 'SendSerialConsoleSSHPublicKey',
      sourceIPAddress: '201.252.42.03', userAgent: 'stratus-red-team_b0fedc91-bd4a-4ba1-a776-80e707fef2a0',
      userIdentity: {
        accessKeyId: 'ASIA2HJRQF0DHNYEE9N1', accountId: '844015365555', arn: 'arn:aws:sts::844015365555:assumed-role/AWSReservedSSOrandoml3I7nL6f7BmB@gmail.com',
        principalId: 'AROAEMHZD694LU95MUYOP:randomca0L529zwNAY@gmail.com', type: 'AssumedRole',
        sessionContext: { sessionIssuer: { accountId: '844015365555', arn: 'arn:aws:iam::844015365555:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_account-admin_599c9e90e350d2ff', principalId: 'AROAEMHZD694LU95MUYOP', type: 'Role', userName: 'AWSReservedSSO_account-admin_599c9e90e350d2ff' } },
      },
    });
    expect(r.mechanism).toBe('sso');
    expect(r.principal).toBe('randomca0L529zwNAY@gmail.com via IAM Identity Center (AWSReservedSSO_account-admin_599c9e90e350d2ff)');
  });

  it('a service-linked role session with no key is the AWS service, proven (Inspector, RDS)', () => {
    for (const [role, session, svc] of [
      ['AWSServiceRoleForAmazonInspector2', 'MandoService36406', 'inspector2.amazonaws.com'],
      ['AWSServiceRoleForRDS', 'SLRManagement', 'rds.amazonaws.com'],
    ] as const) {
      const r = resolve({
        eventID: `slr-${svc}`, eventTime: '2023-07-10T12:00:00Z', eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', sourceIPAddress: svc, userAgent: svc,
        userIdentity: {
          type: 'AssumedRole', principalId: `AROAEXAMPLE:${session}`, arn: `arn:aws:sts::123837392027:assumed-role/${role}/${session}`, accountId: '123837392027', invokedBy: svc,
          sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: `arn:aws:iam::123837392027:role/aws-service-role/${svc}/${role}`, accountId: '123837392027', userName: role } },
        },
      });
      expect(r.mechanism).toBe('aws-service');
      expect(r.principal).toBe(svc);
      expect(r.confidence.identity).toBe('proven');
    }
  });
});
