/**
 * Rule: IRSA. `AssumeRoleWithWebIdentity` with a token from an EKS cluster's OIDC provider:
 * `userIdentity.userName` (and the tail of `userIdentity.principalId`) is the token subject
 * `system:serviceaccount:<namespace>:<serviceaccount>`; `userIdentity.identityProvider` (or
 * `responseElements.provider`) is `arn:aws:iam::<acct>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>`,
 * and `<ID>` names the cluster only through evidence that maps it (see clusters.ts).
 */
import { getStr } from '../util/json';
import type { JsonObject } from '../util/json';

const EKS_OIDC = /oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/id\/([A-Za-z0-9]+)/;
const SA_SUBJECT = /^system:serviceaccount:([^:]+):([^:]+)$/;

export interface EksOidc {
  region: string;
  oidcId: string;
}

export function parseEksOidc(providerOrIssuer: string | undefined | null): EksOidc | null {
  if (!providerOrIssuer) return null;
  const m = EKS_OIDC.exec(providerOrIssuer);
  return m ? { region: m[1]!, oidcId: m[2]! } : null;
}

export function parseServiceAccountSubject(subject: string | undefined | null): { namespace: string; serviceAccount: string } | null {
  if (!subject) return null;
  const m = SA_SUBJECT.exec(subject);
  return m ? { namespace: m[1]!, serviceAccount: m[2]! } : null;
}

export interface WebIdentity {
  subject: string | null;
  provider: string | null;
  eks: EksOidc | null;
  serviceAccount: { namespace: string; serviceAccount: string } | null;
  /** Which field named the subject. */
  subjectField: string;
}

/** The web identity behind an AssumeRoleWithWebIdentity record (or behind an event made by one). */
export function webIdentityOf(record: JsonObject): WebIdentity {
  const provider =
    getStr(record, 'userIdentity', 'identityProvider') ??
    getStr(record, 'responseElements', 'provider') ??
    getStr(record, 'userIdentity', 'sessionContext', 'webIdFederationData', 'federatedProvider') ??
    null;
  let subject = getStr(record, 'userIdentity', 'userName') ?? null;
  let subjectField = 'userIdentity.userName';
  if (!subject) {
    const fromResponse = getStr(record, 'responseElements', 'subjectFromWebIdentityToken');
    if (fromResponse) {
      subject = fromResponse;
      subjectField = 'responseElements.subjectFromWebIdentityToken';
    }
  }
  if (!subject) {
    // principalId = "<provider arn>:<audience>:<subject>"; the subject itself contains colons.
    const pid = getStr(record, 'userIdentity', 'principalId');
    const at = pid?.indexOf('system:serviceaccount:') ?? -1;
    if (pid && at >= 0) {
      subject = pid.slice(at);
      subjectField = 'userIdentity.principalId';
    }
  }
  return { subject, provider, eks: parseEksOidc(provider), serviceAccount: parseServiceAccountSubject(subject), subjectField };
}

/** Default role session names of the AWS SDKs and CLI for web identity (botocore, Java, JS v3, Rust, .NET, CLI). */
const SDK_SESSION = /^(botocore-session|aws-sdk-java|aws-sdk-js-session|aws-go-sdk|aws-sdk-rust|aws-sdk-dotnet|aws-cli)-\d+(\.\d+)?$/;
/**
 * The AWS SDK for Go (v1 `stscreds.WebIdentityRoleProvider`, v2 `stscreds.WebIdentityRoleOptions`) names the
 * session `strconv.FormatInt(time.Now().UTC().UnixNano(), 10)` when none is set: a bare 19-digit nanosecond time.
 * Most controllers that run in every EKS cluster (cluster-autoscaler, the load-balancer controller, external-dns,
 * Karpenter) are Go programs.
 */
const GO_SDK_SESSION = /^1\d{18}$/;

export function isSdkSessionName(name: string): boolean {
  return SDK_SESSION.test(name) || GO_SDK_SESSION.test(name);
}
