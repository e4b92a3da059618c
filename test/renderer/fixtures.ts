/** Traces shaped like the engine's (electron/engine/case/queries.ts), for the renderer's pure view models. */
import type { EvidenceRecordView, HopView, TraceView } from '../../shared/api';
import type { AttributionRecord, Confidence } from '../../shared/attribution';

export function record(id: string, eventName: string, raw: object): EvidenceRecordView {
  return { id, kind: 'event', eventName, eventTime: '2026-03-02T00:02:12Z', provenance: [{ path: '/b/a.json.gz', recordIndex: 3, fileSha256: 'ab'.repeat(32) }], raw: JSON.stringify(raw) };
}

function hop(rule: string, confidence: Confidence, evidence: string[], fields: string[], records: EvidenceRecordView[] = []): HopView {
  return { rule, confidence, claim: `${rule} claim`, evidence, fields, records };
}

type Resolution = TraceView['resolution'];

function trace(r: Partial<Resolution> & Pick<Resolution, 'mechanism'>, hops: HopView[], eventRaw: object, accessKeyId: string | null): TraceView {
  const resolution: Resolution = {
    chained: false,
    chain: [],
    principal: null,
    cluster: null,
    namespace: null,
    serviceAccount: null,
    pod: null,
    node: null,
    confidence: { identity: 'none', pod: 'none', node: 'none' },
    candidates: [],
    notes: [],
    ...r,
  };
  const event = {
    eventID: 'ev-1',
    eventTime: '2026-03-02T00:02:12Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'ListObjects',
    accessKeyId,
    sourceIPAddress: '10.0.46.92',
    raw: JSON.stringify(eventRaw),
    provenance: [{ path: '/b/e.json.gz', recordIndex: 19, fileSha256: 'cd'.repeat(32) }],
  };
  const attribution: AttributionRecord = {
    eventID: event.eventID,
    eventTime: event.eventTime,
    eventSource: event.eventSource,
    eventName: event.eventName,
    recipientAccountId: '672828833002',
    awsRegion: 'us-east-1',
    sourceIPAddress: event.sourceIPAddress,
    accessKeyId,
    evidence: [],
    ...resolution,
  };
  return { event, accessKeyId, attribution, resolution, hops, flags: [] };
}

/** A Pod Identity session that assumed a second role; two nodes' agents called eks-auth in the window. */
export function podIdentityChained(): TraceView {
  const issue0 = record('iss-0', 'AssumeRole', { responseElements: { credentials: { accessKeyId: 'ASIAKEY0000000000000', expiration: 'x' } }, userIdentity: { accessKeyId: 'ASIAKEY1111111111111' } });
  const issue1 = record('iss-1', 'AssumeRole', { userIdentity: { invokedBy: 'pods.eks.amazonaws.com' }, requestParameters: { tags: [{ key: 'kubernetes-pod-name', value: 'api-1' }] } });
  const auth = [record('auth-a', 'AssumeRoleForPodIdentity', {}), record('auth-b', 'AssumeRoleForPodIdentity', {})];
  return trace(
    {
      mechanism: 'pod-identity',
      chained: true,
      chain: [
        { accessKeyId: 'ASIAKEY0000000000000', issuedBy: { eventID: 'iss-0', eventName: 'AssumeRole', roleArn: 'arn:aws:iam::672828833002:role/reader' } },
        { accessKeyId: 'ASIAKEY1111111111111', issuedBy: { eventID: 'iss-1', eventName: 'AssumeRole', roleArn: 'arn:aws:iam::738785454921:role/pod-role' } },
      ],
      principal: 'system:serviceaccount:ml:feature-store',
      cluster: { name: 'prod-east', arn: 'arn:aws:eks:us-east-1:738785454921:cluster/prod-east', oidcId: null },
      namespace: 'ml',
      serviceAccount: 'feature-store',
      pod: { name: 'feature-store-abc', uid: 'u-1' },
      node: null,
      confidence: { identity: 'proven', pod: 'proven', node: 'ambiguous' },
      candidates: [
        { pod: { name: 'feature-store-abc', uid: 'u-1' }, node: { instanceId: 'i-0aaa', name: null }, score: 0.6, why: 'eks-auth 0 s before (auth-a)' },
        { pod: { name: 'feature-store-abc', uid: 'u-1' }, node: { instanceId: 'i-0bbb', name: null }, score: 0.4, why: 'eks-auth 1 s before (auth-b)' },
      ],
    },
    [
      hop('key-issuance', 'proven', ['iss-0-copy', 'iss-0'], ['responseElements.credentials.accessKeyId', 'responseElements.credentials.expiration'], [issue0]),
      hop('role-chain', 'proven', ['iss-0'], ['userIdentity.accessKeyId', 'userIdentity.arn'], [issue0]),
      hop('key-issuance', 'proven', ['iss-1'], ['responseElements.credentials.accessKeyId'], [issue1]),
      hop('pod-identity-tags', 'proven', ['iss-1'], ['userIdentity.invokedBy', 'requestParameters.tags'], [issue1]),
      hop('pod-identity-node', 'ambiguous', ['auth-a', 'auth-b'], ['eventTime', 'requestParameters.clusterName', 'userIdentity.arn'], auth),
    ],
    { userIdentity: { type: 'AssumedRole', accessKeyId: 'ASIAKEY0000000000000' }, eventName: 'ListObjects' },
    'ASIAKEY0000000000000',
  );
}

/** IRSA: web identity names the service account; the cluster comes from describe-cluster output. */
export function irsa(): TraceView {
  return trace(
    {
      mechanism: 'irsa',
      chain: [{ accessKeyId: 'ASIAIRSA000000000000', issuedBy: { eventID: 'wi-1', eventName: 'AssumeRoleWithWebIdentity', roleArn: 'arn:aws:iam::738785454921:role/settlement' } }],
      principal: 'system:serviceaccount:payments:settlement',
      cluster: { name: 'payments-west', arn: null, oidcId: '65A9' },
      namespace: 'payments',
      serviceAccount: 'settlement',
      confidence: { identity: 'proven', pod: 'none', node: 'none' },
    },
    [
      hop('key-issuance', 'proven', ['wi-1'], ['responseElements.credentials.accessKeyId']),
      hop('irsa-subject', 'proven', ['wi-1'], ['userIdentity.userName', 'userIdentity.identityProvider']),
      hop('irsa-cluster', 'proven', ['file:describe.json#65a9'], ['cluster.identity.oidc.issuer']),
    ],
    { userIdentity: { accessKeyId: 'ASIAIRSA000000000000' } },
    'ASIAIRSA000000000000',
  );
}

/** A long-term IAM user key: the root is named by the event's own userIdentity. */
export function iamUser(): TraceView {
  return trace(
    {
      mechanism: 'iam-user',
      chain: [{ accessKeyId: 'AKIAUSER000000000000', issuedBy: null }],
      principal: 'arn:aws:iam::262707954960:user/ci/deployer',
      confidence: { identity: 'proven', pod: 'none', node: 'none' },
    },
    [hop('principal', 'proven', [], ['userIdentity.type', 'userIdentity.arn'])],
    { userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::262707954960:user/ci/deployer', accessKeyId: 'AKIAUSER000000000000' } },
    'AKIAUSER000000000000',
  );
}

/** A role session whose issuing call is not in the bundle: the chain stops, nothing is guessed. */
export function missingIssuer(): TraceView {
  return trace(
    {
      mechanism: 'assumed-role',
      chain: [{ accessKeyId: 'ASIAGONE000000000000', issuedBy: null }],
      principal: 'arn:aws:sts::738785454921:assumed-role/ops/someone',
      notes: ['the call that issued ASIAGONE000000000000 is not in the bundle'],
    },
    [],
    { userIdentity: { accessKeyId: 'ASIAGONE000000000000' } },
    'ASIAGONE000000000000',
  );
}
