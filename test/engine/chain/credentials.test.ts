import { describe, expect, it } from 'vitest';
import { impossibleIssuance, issuanceOf, preferredIssuance, withinValidity } from '../../../electron/engine/chain/credentials';
import type { JsonObject } from '../../../electron/engine/util/json';
import { parseExpiration } from '../../../electron/engine/util/time';
import { fact, loadRecord } from '../../helpers/reference';

/** The guide's record with the temporary key STS would really return (the published one repeats the caller's AKIA key). */
function asiaVariant(rec: JsonObject): JsonObject {
  const re = rec.responseElements as JsonObject;
  return { ...rec, responseElements: { ...re, credentials: { ...(re.credentials as JsonObject), accessKeyId: 'ASIAQRSTUVWXYZEXAMPLE' } } };
}

describe('rule: key issuance', () => {
  it('links the IRSA key of the seed to its AssumeRoleWithWebIdentity (responseElements.credentials.accessKeyId)', () => {
    const iss = issuanceOf(fact(loadRecord('seed-examples/000-02-AssumeRoleWithWebIdentity.json')))!;
    expect(iss.accessKeyId).toBe('ASIAZX4PQ7PIPELINE2K');
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

  it('never takes an STS record for the issuer of a long-term AKIA key, nor of the key it was called with (IAM user guide record)', () => {
    // iam-ug_01 as published: the response names AKIAQRSTUVWXYZEXAMPLE, the caller's own long-term key.
    const rec = loadRecord('public/doc-examples/iam-ug_01_sts-AssumeRole_by-IAMUser_line129.json');
    expect(issuanceOf(fact(rec))).toBeNull();
    expect(impossibleIssuance(rec, 'AKIAQRSTUVWXYZEXAMPLE')).toMatch(/long-term access key/);
    // The same call with an ASIA key equal to its own caller key: still impossible.
    const own = { ...rec, userIdentity: { ...(rec.userIdentity as JsonObject), accessKeyId: 'ASIAQRSTUVWXYZEXAMPLE' } };
    expect(impossibleIssuance(own, 'ASIAQRSTUVWXYZEXAMPLE')).toMatch(/its own key/);
  });

  it('cuts a window that outlives what STS can grant, and says so', () => {
    const rec = asiaVariant(loadRecord('public/doc-examples/iam-ug_01_sts-AssumeRole_by-IAMUser_line129.json'));
    const t = Date.parse(rec.eventTime as string);
    const long = { ...rec, responseElements: { ...(rec.responseElements as JsonObject), credentials: { accessKeyId: 'ASIAQRSTUVWXYZEXAMPLE', expiration: new Date(t + 30 * 3600_000).toISOString() } } };
    const iss = issuanceOf(fact(long))!;
    expect(iss.expiresMs).toBe(t + 12 * 3600_000);
    expect(iss.anomaly).toMatch(/beyond the 12 h AssumeRole can grant/);
  });

  it('prefers the caller-account copy of a cross-account AssumeRole (full userIdentity over type AWSAccount)', () => {
    const callerCopy = asiaVariant(loadRecord('public/doc-examples/iam-ug_01_sts-AssumeRole_by-IAMUser_line129.json'));
    const roleCopy = { ...callerCopy, eventID: 'role-account-copy', userIdentity: { type: 'AWSAccount', principalId: 'AIDAX', accountId: '777788889999' } };
    const a = issuanceOf(fact(roleCopy))!;
    const b = issuanceOf(fact(callerCopy, 'caller-account-copy'))!;
    expect(preferredIssuance([a, b], null)!.eventID).toBe('caller-account-copy');
    expect(preferredIssuance([a, b], b.expiresMs + 3600_000)).toBeNull();
  });
});
