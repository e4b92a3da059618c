import { describe, expect, it } from 'vitest';
import { issuanceOf, preferredIssuance, withinValidity } from '../../../electron/engine/chain/credentials';
import { parseExpiration } from '../../../electron/engine/util/time';
import { fact, loadRecord } from '../../helpers/reference';

describe('rule: key issuance', () => {
  it('links the IRSA key of the seed to its AssumeRoleWithWebIdentity (responseElements.credentials.accessKeyId)', () => {
    const iss = issuanceOf(fact(loadRecord('seed-examples/000-02-AssumeRoleWithWebIdentity.json')))!;
    expect(iss.accessKeyId).toBe('ASIAQV9HXLTLJIT5R3XCH');
    expect(iss.eventName).toBe('AssumeRoleWithWebIdentity');
    // "Nov 12, 2024, 1:43:26 PM": STS's expiration format in CloudTrail, UTC.
    expect(new Date(iss.expiresMs).toISOString()).toBe('2024-11-12T13:43:26.000Z');
  });

  it('reads ISO and "Mon D, YYYY, h:mm:ss AM" expirations', () => {
    expect(parseExpiration('Apr 16, 2024, 3:20:04 PM')).toBe(Date.UTC(2024, 3, 16, 15, 20, 4));
    expect(parseExpiration('Jul 10, 2023, 12:05:00 AM')).toBe(Date.UTC(2023, 6, 10, 0, 5, 0));
    expect(parseExpiration('2023-12-10T11:10:32+00:00')).toBe(Date.UTC(2023, 11, 10, 11, 10, 32));
    expect(parseExpiration('soon')).toBeNaN();
  });

  it('issues the Pod Identity key with its 6-hour window (real workshop record)', () => {
    const iss = issuanceOf(fact(loadRecord('seed-examples/001-07-AssumeRole.json')))!;
    expect(iss.accessKeyId).toBe('ASIA37QFXJP5MQOWRZ6Q');
    expect(iss.expiresMs - iss.issuedMs).toBe(6 * 3600 * 1000);
    expect(withinValidity(iss, iss.issuedMs + 3600_000)).toBe(true);
    expect(withinValidity(iss, iss.expiresMs + 60_000)).toBe(false);
    expect(withinValidity(iss, iss.issuedMs - 60_000)).toBe(false);
  });

  it('links EC2 instance-profile credentials (AssumeRole invoked by ec2.amazonaws.com, real invictus record)', () => {
    const rec = loadRecord('public/elastic_integrations/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-assume-role-aws-service-json.log');
    const iss = issuanceOf(fact(rec));
    expect(iss?.sessionName).toMatch(/^i-/);
  });

  it('ignores failed calls and non-STS records', () => {
    const rec = loadRecord('seed-examples/000-02-AssumeRoleWithWebIdentity.json');
    expect(issuanceOf(fact({ ...rec, errorCode: 'AccessDenied' }))).toBeNull();
    expect(issuanceOf(fact(loadRecord('seed-examples/000-01-GetSecretValue.json')))).toBeNull();
    expect(issuanceOf(fact(loadRecord('seed-examples/001-05-AssumeRoleForPodIdentity.json')))).toBeNull();
  });

  it('prefers the caller-account copy of a cross-account AssumeRole (full userIdentity over type AWSAccount)', () => {
    const callerCopy = loadRecord('public/doc-examples/iam-ug_01_sts-AssumeRole_by-IAMUser_line129.json');
    const roleCopy = { ...callerCopy, eventID: 'role-account-copy', userIdentity: { type: 'AWSAccount', principalId: 'AIDAX', accountId: '777788889999' } };
    const a = issuanceOf(fact(roleCopy))!;
    const b = issuanceOf(fact(callerCopy, 'caller-account-copy'))!;
    expect(preferredIssuance([a, b], null)!.eventID).toBe('caller-account-copy');
    expect(preferredIssuance([a, b], b.expiresMs + 3600_000)).toBeNull();
  });
});
