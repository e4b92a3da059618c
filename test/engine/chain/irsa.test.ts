import { describe, expect, it } from 'vitest';
import { parseEksOidc, parseServiceAccountSubject, webIdentityOf } from '../../../electron/engine/chain/irsa';
import { loadRecord } from '../../helpers/reference';
import type { JsonObject } from '../../../electron/engine/util/json';

describe('rule: IRSA', () => {
  it('reads namespace and service account from userIdentity.userName (seed 000-02)', () => {
    const wi = webIdentityOf(loadRecord('seed-examples/000-02-AssumeRoleWithWebIdentity.json'));
    expect(wi.serviceAccount).toEqual({ namespace: 'airflow', serviceAccount: 'my-flow-1220d985a' });
    expect(wi.eks).toEqual({ region: 'us-east-1', oidcId: '0YY74BNCIDF85NC326F7545VF21' });
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
    expect(wi.eks?.oidcId).toBe('0YY74BNCIDF85NC326F7545VF21');
  });

  it('does not mistake other web identities for EKS', () => {
    expect(parseEksOidc('arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com')).toBeNull();
    expect(parseServiceAccountSubject('repo:org/app:ref:refs/heads/main')).toBeNull();
    expect(parseServiceAccountSubject('system:serviceaccount:ns')).toBeNull();
  });
});
