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

/** An EKS audit event as `CaseQueries.auditRecord` gives it (eventName: verb, resource and object). */
export function auditRecord(id: string, what: string, path = '/b/k8s/audit-1.gz', recordIndex = 22): EvidenceRecordView {
  return {
    id,
    kind: 'audit',
    eventName: what,
    eventTime: '2026-03-02T00:02:51.865Z',
    provenance: [{ path, recordIndex, fileSha256: '9e'.repeat(32) }],
    raw: JSON.stringify({ kind: 'Event', auditID: id, verb: what.split(' ')[0] }),
  };
}

/** An inventory document as `CaseQueries.evidenceRecord` gives it (`file:<name>#<sha prefix>`). */
export function documentRecord(id: string, path: string): EvidenceRecordView {
  return { id, kind: 'document', eventName: null, eventTime: null, provenance: [{ path, recordIndex: 0, fileSha256: '3d'.repeat(32) }], raw: '{"kind":"List","items":[]}' };
}

const IRSA_BASE = {
  mechanism: 'irsa' as const,
  chain: [{ accessKeyId: 'ASIAIRSA000000000000', issuedBy: { eventID: 'wi-1', eventName: 'AssumeRoleWithWebIdentity', roleArn: 'arn:aws:iam::780046475202:role/report-builder' } }],
  principal: 'system:serviceaccount:analytics:report-builder',
  cluster: { name: 'prod-east', arn: null, oidcId: 'DA71' },
  namespace: 'analytics',
  serviceAccount: 'report-builder',
};

/**
 * IRSA narrowed to one pod by the EKS audit logs (k8s/narrow.ts): the irsa-pod hop cites the pod's creation,
 * binding, kubelet token and status with its IP, and the eks-auth call that ties its node to the cluster; the
 * node comes from the binding (pod-identity-binding, inferred like the pod). Shaped like seed 9003's traces.
 */
export function irsaInferredPod(): TraceView {
  const exchange = record('wi-1', 'AssumeRoleWithWebIdentity', { eventName: 'AssumeRoleWithWebIdentity' });
  const binding = auditRecord('aud-bind', 'create pods/binding analytics/report-builder-7f-x2', '/b/k8s/audit-2.gz', 23);
  const podRecords = [
    auditRecord('aud-create', 'create pods analytics'),
    binding,
    auditRecord('aud-token', 'create serviceaccounts/token analytics/report-builder', '/b/k8s/audit-1.gz', 23),
    auditRecord('aud-status', 'patch pods/status analytics/report-builder-7f-x2', '/b/k8s/audit-1.gz', 24),
    record('eks-auth-1', 'AssumeRoleForPodIdentity', {}),
  ];
  return trace(
    {
      ...IRSA_BASE,
      pod: { name: 'report-builder-7f-x2', uid: 'u-7f' },
      node: { instanceId: 'i-0c701a3b9ce291cf3', name: 'ip-10-0-70-182.ec2.internal' },
      confidence: { identity: 'proven', pod: 'inferred', node: 'inferred' },
      ruledOut: [{ pod: { name: 'report-builder-7f-aa', uid: 'u-aa' }, node: null, rule: 'pod-ip', why: 'the calls came from another pod IP', evidence: ['aud-status'] }],
    },
    [
      hop('key-issuance', 'proven', ['wi-1'], ['responseElements.credentials.accessKeyId'], [exchange]),
      hop('irsa-subject', 'proven', ['wi-1'], ['userIdentity.userName', 'userIdentity.identityProvider'], [exchange]),
      hop('irsa-cluster', 'proven', ['describe-1'], ['cluster.identity.oidc.issuer'], [record('describe-1', 'DescribeCluster', {})]),
      hop('irsa-pod', 'inferred', podRecords.map((r) => r.id), ['sourceIPAddress', 'eventTime', 'objectRef', 'requestObject.spec.boundObjectRef', 'requestObject.status.podIP'], podRecords),
      hop('pod-identity-binding', 'inferred', ['aud-bind'], ['objectRef.subresource', 'requestObject.target.name'], [binding]),
    ],
    { userIdentity: { accessKeyId: 'ASIAIRSA000000000000' } },
    'ASIAIRSA000000000000',
  );
}

/** IRSA that the audit logs narrow to two pods on two nodes: the ambiguous irsa-pod hop cites an inventory too. */
export function irsaAmbiguousPods(): TraceView {
  const records = [
    auditRecord('aud-create-a', 'create pods checkout'),
    auditRecord('aud-bind-a', 'create pods/binding checkout/api-a'),
    documentRecord('file:kubectl-get-pods.json#3da4fcd13af7', '/b/k8s/kubectl-get-pods.json'),
    auditRecord('aud-bind-b', 'create pods/binding checkout/api-b'),
  ];
  return trace(
    {
      ...IRSA_BASE,
      confidence: { identity: 'proven', pod: 'ambiguous', node: 'ambiguous' },
      candidates: [
        { pod: { name: 'api-a', uid: 'u-a' }, node: { instanceId: 'i-0aaa', name: 'ip-a' }, score: 0.5, why: 'pod of checkout/api alive at the call' },
        { pod: { name: 'api-b', uid: 'u-b' }, node: { instanceId: 'i-0bbb', name: 'ip-b' }, score: 0.5, why: 'pod of checkout/api alive at the call' },
      ],
    },
    [
      hop('irsa-subject', 'proven', ['wi-1'], ['userIdentity.userName', 'userIdentity.identityProvider'], [record('wi-1', 'AssumeRoleWithWebIdentity', {})]),
      hop('irsa-cluster', 'proven', ['describe-1'], ['cluster.identity.oidc.issuer'], [record('describe-1', 'DescribeCluster', {})]),
      hop('irsa-pod', 'ambiguous', records.map((r) => r.id), ['sourceIPAddress', 'eventTime', 'objectRef'], records),
    ],
    { userIdentity: { accessKeyId: 'ASIAIRSA000000000000' } },
    'ASIAIRSA000000000000',
  );
}

/**
 * Pod Identity whose node the audit binding of the tagged pod uid proves; the eks-auth time match (inferred) is
 * kept as corroboration (resolve-pod-identity.ts `podIdentityBinding`).
 */
export function podIdentityBound(): TraceView {
  const issue = record('iss-1', 'AssumeRole', { userIdentity: { invokedBy: 'pods.eks.amazonaws.com' } });
  const binding = auditRecord('aud-bind', 'create pods/binding kube-system/ebs-csi-controller-9bqqv', '/b/k8s/audit-1.gz', 16);
  return trace(
    {
      mechanism: 'pod-identity',
      chain: [{ accessKeyId: 'ASIAPODID00000000000', issuedBy: { eventID: 'iss-1', eventName: 'AssumeRole', roleArn: 'arn:aws:iam::780046475202:role/ebs-csi-controller-pod-role' } }],
      principal: 'system:serviceaccount:kube-system:ebs-csi-controller-sa',
      cluster: { name: 'prod-east', arn: null, oidcId: null },
      namespace: 'kube-system',
      serviceAccount: 'ebs-csi-controller-sa',
      pod: { name: 'ebs-csi-controller-9bqqv', uid: 'u-9b' },
      node: { instanceId: 'i-001fbd931f1ef01f9', name: 'ip-10-0-33-158.ec2.internal' },
      confidence: { identity: 'proven', pod: 'proven', node: 'proven' },
    },
    [
      hop('key-issuance', 'proven', ['iss-1'], ['responseElements.credentials.accessKeyId'], [issue]),
      hop('pod-identity-tags', 'proven', ['iss-1'], ['userIdentity.invokedBy', 'requestParameters.tags'], [issue]),
      hop('pod-identity-node', 'inferred', ['auth-1'], ['eventTime', 'requestParameters.clusterName', 'userIdentity.arn'], [record('auth-1', 'AssumeRoleForPodIdentity', {})]),
      hop('pod-identity-binding', 'proven', ['aud-bind'], ['objectRef.subresource', 'requestObject.target.name'], [binding]),
    ],
    { userIdentity: { accessKeyId: 'ASIAPODID00000000000' } },
    'ASIAPODID00000000000',
  );
}
