/**
 * Ground truth: one line per CloudTrail record (by eventID) saying who really made it and what the evidence
 * in the bundle allows an engine to conclude. Written to a JSONL file outside the evidence folder.
 */

import type { Mechanism } from '../../shared/attribution';

export type ExpectLevel = 'proven' | 'inferable' | 'none';

/**
 * Detections that must fire on an event (k8s bundles only; see k8s-attacks.ts):
 * - node-credentials-off-node: node-role credentials used from an address that is not the node's (its private
 *   IP, its NAT IP, or the IP of a pod running on it);
 * - token-exchange-outside-cluster: AssumeRoleWithWebIdentity from outside the cluster's known addresses, or with
 *   a session name no SDK writes;
 * - credentials-after-pod-deleted: a pod's credentials used after the audit log deleted the pod;
 * - token-minted-by-non-kubelet: the exchange of a service-account token that someone other than the kubelet
 *   requested (the TokenRequest is in the audit log; see `<truth>.attacks.json`);
 * - first-seen-api: a workload service account calling an API it never calls otherwise (first call only);
 * - exec-then-credential-use: a person's calls with a pod's credentials during their exec session into it (option
 *   k8sActors, k8s-people.ts);
 * - human-minted-token: the exchange of a token a person minted with kubectl, and its session (option k8sActors).
 */
export const FLAGS = [
  'node-credentials-off-node', 'token-exchange-outside-cluster', 'credentials-after-pod-deleted', 'token-minted-by-non-kubelet', 'first-seen-api',
  'exec-then-credential-use', 'human-minted-token',
] as const;
export type Flag = (typeof FLAGS)[number];

export interface TruthRecord {
  eventID: string;
  /** The root credential (see brief): pod-identity | irsa | node-role | iam-user | sso | aws-service | assumed-role … */
  mechanism: Mechanism;
  /** A role session assumed another role between the event's session and the root (not IAM user → role). */
  chained: boolean;
  cluster: string | null;
  namespace: string | null;
  serviceAccount: string | null;
  /** The pod that really made the call (null for node-role calls even when a pod used the node's credentials). */
  pod: { name: string; uid: string } | null;
  node: { instanceId: string } | null;
  expect: {
    /** inferable: Pod Identity without session tags — cluster and pod prefix come from the session name only. */
    identity: 'proven' | 'inferable' | 'none';
    pod: ExpectLevel;
    node: ExpectLevel;
  };
  /**
   * Present only in bundles generated with `k8s: true` (absent otherwise, so default bundles stay unchanged):
   * the detections that must fire on this event, [] for regular events.
   */
  flags?: Flag[];
  /** k8s bundles: set on the records of planted attacks (listed in `<truthPath>.attacks.json`). */
  attack?: true;
  /** `userIdentity.accessKeyId` of the record itself (null when the record carries none). */
  accessKeyId: string | null;
}

/** Truth shared by every record of one session; the sink adds eventID and accessKeyId per record. */
export type TruthBase = Omit<TruthRecord, 'eventID' | 'accessKeyId'> & {
  /** Planted attacks: which attack (key of the attacks file); never written to the truth line. */
  attackId?: string;
};

/** A running pod, as far as the truth needs it. */
export interface PodTruth {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  name: string;
  uid: string;
  instanceId: string;
}

const NONE = { identity: 'proven', pod: 'none', node: 'none' } as const;

function base(mechanism: Mechanism, over: Partial<TruthBase> = {}): TruthBase {
  return {
    mechanism,
    chained: false,
    cluster: null,
    namespace: null,
    serviceAccount: null,
    pod: null,
    node: null,
    expect: { ...NONE },
    ...over,
  };
}

export const truths = {
  awsService: (): TruthBase => base('aws-service'),
  iamUser: (): TruthBase => base('iam-user'),
  sso: (): TruthBase => base('sso'),
  /** A key whose issuing event is not in the bundle: nothing beyond the role session can be established. */
  dropped: (): TruthBase => base('assumed-role', { expect: { identity: 'none', pod: 'none', node: 'none' } }),
  node: (cluster: string, instanceId: string): TruthBase =>
    base('node-role', { cluster, node: { instanceId }, expect: { identity: 'proven', pod: 'none', node: 'proven' } }),
  /** IRSA: the web-identity subject proves namespace and service account; neither pod nor node is reachable. */
  irsa: (p: PodTruth | null, cluster: string, namespace: string, serviceAccount: string, chained: boolean): TruthBase =>
    base('irsa', {
      chained,
      cluster,
      namespace,
      serviceAccount,
      pod: p ? { name: p.name, uid: p.uid } : null,
      node: p ? { instanceId: p.instanceId } : null,
    }),
  /**
   * Pod Identity: session tags prove the pod; without tags only the truncated session-name prefix is
   * there (inferable). The node is inferable from the eks-auth call made in the same second.
   */
  podIdentity: (p: PodTruth, tags: boolean, chained: boolean): TruthBase =>
    base('pod-identity', {
      chained,
      cluster: p.cluster,
      namespace: p.namespace,
      serviceAccount: p.serviceAccount,
      pod: { name: p.name, uid: p.uid },
      node: { instanceId: p.instanceId },
      expect: { identity: tags ? 'proven' : 'inferable', pod: tags ? 'proven' : 'inferable', node: 'inferable' },
    }),
};
