import { describe, expect, it } from 'vitest';
import { parseEksOidc, parseServiceAccountSubject, webIdentityOf } from '../../../electron/engine/chain/irsa';
import { loadRecord } from '../../helpers/reference';
import type { JsonObject } from '../../../electron/engine/util/json';
import type { Issuance } from '../../../electron/engine/chain/model';
import { byHand } from '../../../electron/engine/chain/resolve-irsa';

describe('rule: IRSA', () => {
  it('reads namespace and service account from userIdentity.userName (seed 000-02)', () => {
    const wi = webIdentityOf(loadRecord('seed-examples/000-02-AssumeRoleWithWebIdentity.json'));
    expect(wi.serviceAccount).toEqual({ namespace: 'pipelines', serviceAccount: 'nightly-runner-5c81f2' });
    expect(wi.eks).toEqual({ region: 'us-east-1', oidcId: '8F3C1A9E5D7B2C4A6E0F1B3D5C7A9E2F' });
    expect(wi.subjectField).toBe('userIdentity.userName');
  });

  it('falls back to the tail of userIdentity.principalId (real format from elastic/integrations#18396)', () => {
    const text = `${'{'}"userIdentity": {"type": "WebIdentityUser",
      "principalId": "arn:aws:iam::012345678901:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:sts.amazonaws.com:system:serviceaccount:kube-namespace:kube-sa",
      "identityProvider": "arn:aws:iam::012345678901:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}`;
    const wi = webIdentityOf(JSON.parse(text) as JsonObject);
    expect(wi.serviceAccount).toEqual({ namespace: 'kube-namespace', serviceAccount: 'kube-sa' });
    expect(wi.subjectField).toBe('userIdentity.principalId');
    expect(wi.eks?.oidcId).toBe('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  });

  it('names the provider of an IRSA session from webIdFederationData (seed 000-01)', () => {
    const wi = webIdentityOf(loadRecord('seed-examples/000-01-GetSecretValue.json'));
    expect(wi.eks?.oidcId).toBe('8F3C1A9E5D7B2C4A6E0F1B3D5C7A9E2F');
  });

  it('does not mistake other web identities for EKS', () => {
    expect(parseEksOidc('arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com')).toBeNull();
    expect(parseServiceAccountSubject('repo:org/app:ref:refs/heads/main')).toBeNull();
    expect(parseServiceAccountSubject('system:serviceaccount:ns')).toBeNull();
  });
});

describe('a minted token exchanged by hand (resolve-irsa.ts byHand)', () => {
  const exchange = (id: string, userAgent?: string): Issuance => ({
    accessKeyId: `ASIA${id}`,
    eventID: id,
    eventName: 'AssumeRoleWithWebIdentity',
    issuedMs: 0,
    expiresMs: 3_600_000,
    roleArn: null,
    sessionName: null,
    region: 'us-east-1',
    record: userAgent === undefined ? {} : { userAgent },
  });
  const SDK = 'Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.11.8';
  const CLI = 'aws-cli/2.15.30 Python/3.11.8 Linux/5.10.223-212.873.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/sts.assume-role-with-web-identity';

  it('says so when the exchange used a tool a person runs and the account\'s other exchanges never did', () => {
    const iss = exchange('x', CLI);
    const others = [exchange('a', SDK), exchange('b', SDK), exchange('c', 'aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21')];
    expect(byHand(iss, [iss, ...others])).toBe(
      "the exchange was made with aws-cli/2.15.30, a tool a person runs, and none of the account's 3 other exchanges was: not the workload's SDK",
    );
  });

  it('says nothing when the workload itself exchanges with a tool, when it has too few other exchanges, or when this one used an SDK', () => {
    const iss = exchange('x', CLI);
    // A CronJob whose image runs the AWS CLI: the tool is the workload's own.
    expect(byHand(iss, [iss, exchange('a', SDK), exchange('b', SDK), exchange('c', CLI)])).toBeNull();
    expect(byHand(iss, [iss, exchange('a', SDK), exchange('b', SDK)])).toBeNull();
    const sdk = exchange('y', SDK);
    expect(byHand(sdk, [sdk, exchange('a', SDK), exchange('b', SDK), exchange('c', SDK)])).toBeNull();
    const none = exchange('z');
    expect(byHand(none, [none, exchange('a', SDK), exchange('b', SDK), exchange('c', SDK)])).toBeNull();
  });
});
