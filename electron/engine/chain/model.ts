/** The vocabulary of the chain: issuances, cluster facts, hops and resolutions. */
import type { Confidence, CredentialAttribution, Flag, Mechanism, PodRef } from '../../../shared/attribution';
import type { JsonObject } from '../util/json';
import type { PodLife, Timeline } from '../k8s/timeline';

/** A parsed fact-bearing CloudTrail record (STS, eks-auth, EKS, IAM). */
export interface FactRecord {
  eventID: string;
  eventMs: number;
  record: JsonObject;
}

/** A document from the bundle that is not a CloudTrail record (describe-cluster output, …). */
export interface FactDocument {
  kind: string;
  /** How reports cite it: `file:<name>#<sha256 prefix>`. */
  ref: string;
  raw: string;
}

/** An STS call that returned credentials (rule: key issuance). */
export interface Issuance {
  accessKeyId: string;
  eventID: string;
  eventName: string;
  issuedMs: number;
  expiresMs: number;
  roleArn: string | null;
  sessionName: string | null;
  region: string | null;
  record: JsonObject;
  /** The record contradicts what STS can do (an expiration beyond the maximum): said in the notes. */
  anomaly?: string;
}

/**
 * What the bundle says of one cluster. A cluster is (account, region, name): organisations reuse names (`prod`
 * in every account), so facts are keyed by `key` (clusters.ts `clusterKey`), never by name alone.
 */
export interface ClusterFact {
  name: string;
  account: string | null;
  region: string | null;
  key: string;
  arn: string | null;
  oidcId: string | null;
  evidence: string;
}

export interface EksAuthCall {
  eventID: string;
  eventMs: number;
  clusterName: string;
  /** The cluster's key: the call is made in the cluster's account and region. */
  clusterKey: string;
  region: string | null;
  instanceId: string;
  nodeRoleArn: string | null;
  /** The agent runs on the host network: this is an address the node's own traffic leaves from. */
  sourceIp: string | null;
  /**
   * Who made the call, by its user agent: the node's Pod Identity agent (an SDK client of eks-auth), the AWS CLI
   * (by hand: `command/eks-auth.assume-role-for-pod-identity`), or anything else.
   */
  caller: 'agent' | 'cli' | 'other';
  userAgent: string | null;
  record: JsonObject;
}

export interface PodIdentityAssociation {
  clusterName: string;
  clusterKey: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  evidence: string;
}

/** Everything correlation knows from the bundle, indexed for lookups. */
export interface Facts {
  issuances: Map<string, Issuance[]>;
  clustersByOidc: Map<string, ClusterFact>;
  /** By cluster key (account, region, name). */
  clustersByKey: Map<string, ClusterFact>;
  /** By cluster key. */
  eksAuthByCluster: Map<string, EksAuthCall[]>;
  /** Pods named by Pod Identity session tags, per cluster key: resolves truncated session names. */
  podsByCluster: Map<string, Map<string, PodRef>>;
  associationsByRole: Map<string, PodIdentityAssociation[]>;
  /** Node IAM roles → the clusters (keys) their instances' agents named in eks-auth calls. */
  clustersByNodeRole: Map<string, Map<string, string>>;
  /** Kubernetes evidence (audit logs, inventories), when the bundle has any. */
  k8s: K8sFacts | null;
}

export interface K8sFacts {
  timeline: Timeline;
  /** Kubernetes node name → EKS cluster (key), and the record that ties them. */
  clusterOfNode: Map<string, { cluster: string; evidence: string }>;
  /** The cluster a pod ran in: that of its files' group, else that of its node; null when unknown. */
  clusterOfPod(p: PodLife): string | null;
  nodeOfInstance: Map<string, string>;
  /** Source IPs seen with an access key (the STS call's own IP is added by the caller). */
  ipsOfKey(accessKeyId: string): string[];
  /** Time of the last event made with an access key (null: never used). */
  lastUseOfKey(accessKeyId: string): number | null;
  /** EC2 instance → the NAT addresses its own calls were seen leaving from (see k8s/facts.ts). */
  egressOfInstance: Map<string, Set<string>>;
}

export type RuleId =
  | 'key-issuance'
  | 'key-outside-window'
  | 'role-chain'
  | 'irsa-subject'
  | 'irsa-cluster'
  | 'pod-identity-tags'
  | 'pod-identity-session-name'
  | 'pod-identity-association'
  | 'pod-identity-node'
  | 'pod-identity-binding'
  | 'irsa-pod'
  | 'node-instance-session'
  | 'principal';

/** One step of the chain, with the records that establish it. */
export interface Hop {
  rule: RuleId;
  confidence: Confidence;
  /** What the hop establishes, in one line. */
  claim: string;
  /** eventIDs (or document refs) of the records that prove it. */
  evidence: string[];
  /** The record fields that carry the proof. */
  fields: string[];
}

/** The resolution of one credential (or key-less principal): shared by every event made with it. */
export interface Resolution extends CredentialAttribution {
  hops: Hop[];
  /** Detections that apply to the call that issued this credential (its AssumeRoleWithWebIdentity). */
  exchangeFlags?: { flag: Flag; detail: string; /** The whole session it opened is suspect (carried to its calls). */ session?: boolean }[];
}

export function emptyResolution(mechanism: Mechanism): Resolution {
  return {
    mechanism,
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
    hops: [],
    notes: [],
  };
}

/** Evidence ids of a resolution, in hop order, without repeats. */
export function evidenceOf(r: Resolution): string[] {
  const seen = new Set<string>();
  for (const h of r.hops) for (const e of h.evidence) seen.add(e);
  return [...seen];
}
