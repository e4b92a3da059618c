/**
 * The attribution record: the stable contract between the engine, the CLI, the reports and the UI
 * (see README "Attribution record"). One record per API event.
 */

/** The root credential behind an event. A pod session that assumed a second role keeps its root. */
export const MECHANISMS = [
  'pod-identity',
  'irsa',
  'node-role',
  'iam-user',
  'sso',
  'saml',
  'aws-service',
  'root',
  'assumed-role',
  'unknown',
] as const;
export type Mechanism = (typeof MECHANISMS)[number];

/**
 * proven: a record states it (session tag, web-identity subject, instance-id session name, audit binding);
 * inferred: a join on time, cluster or IP picked a single answer;
 * ambiguous: several answers remain and `candidates` lists them;
 * none: the evidence does not reach.
 */
export const CONFIDENCES = ['proven', 'inferred', 'ambiguous', 'none'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

export interface ChainLink {
  accessKeyId: string;
  issuedBy: { eventID: string; eventName: string; roleArn: string | null } | null;
}

export interface ClusterRef {
  /** null when only the OIDC id is known and no record in the bundle names the cluster. */
  name: string | null;
  arn: string | null;
  oidcId: string | null;
  /** The account and region the cluster is in (a cluster is account, region and name): null when not known. */
  account?: string | null;
  region?: string | null;
}

export interface PodRef {
  name: string;
  uid: string | null;
  /** true when only the truncated prefix from a role session name is known. */
  nameTruncated?: boolean;
}

export interface NodeRef {
  instanceId: string | null;
  name: string | null;
}

export interface Candidate {
  pod: PodRef | null;
  node: NodeRef | null;
  score: number;
  why: string;
}

/**
 * A pod of the service account, alive when the credentials were issued, that a rule ruled out ("why not this
 * pod?"): the rule, in words, and the records it rests on.
 */
export interface RuledOutPod {
  pod: PodRef;
  node: NodeRef | null;
  rule: 'not-started' | 'pod-ip' | 'nat-egress' | 'fresh-token' | 'refresh-lineage';
  why: string;
  evidence: string[];
}

/** The columns of the event an attribution is about. */
export interface EventHead {
  eventID: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  recipientAccountId: string | null;
  awsRegion: string | null;
  sourceIPAddress: string | null;
  accessKeyId: string | null;
}

/** What is known of one credential (shared by every event made with it). */
export interface CredentialAttribution {
  mechanism: Mechanism;
  chained: boolean;
  chain: ChainLink[];
  /** Who the root credential is, in words an investigator reads (user ARN, role session, service). */
  principal: string | null;
  cluster: ClusterRef | null;
  namespace: string | null;
  serviceAccount: string | null;
  pod: PodRef | null;
  node: NodeRef | null;
  confidence: { identity: Confidence; pod: Confidence; node: Confidence };
  candidates: Candidate[];
  /** IRSA with audit logs: the other pods of the service account alive at the exchange, each with why it was ruled out. */
  ruledOut?: RuledOutPod[];
  /** Why the chain stops where it does, when it stops early ("issuing event not in bundle", ...). */
  notes: string[];
  /** Kubernetes actions on the pod (and the deploy that made it), from the audit log (see PodActorAction). */
  podActors?: PodActorAction[];
  /** The person whose session most plausibly made this call (see EventActor); null when nothing points to one. */
  actor?: EventActor | null;
}

/**
 * What people and pipelines did to a pod, from the EKS audit log: `kubectl exec`/`attach`/`port-forward`/`logs`,
 * a delete, a service-account token minted for its service account (not by a kubelet), and the Deployment change
 * the deployment controller answered with the pod's ReplicaSet.
 */
export const POD_ACTIONS = ['deploy', 'exec', 'attach', 'portforward', 'log', 'delete', 'token'] as const;
export type PodAction = (typeof POD_ACTIONS)[number];

export interface PodActorAction {
  action: PodAction;
  /** When the request reached the API server (ISO 8601, UTC). */
  time: string;
  /** `user.username` of the audit event. */
  kubernetesUser: string;
  /**
   * The root principal behind it, in the words of the record's own `principal`: `user.extra.accessKeyId`
   * followed through the credential chain; else what `user.extra.arn` / `sessionName` state (the chain stops
   * there, said in `why`); a Kubernetes user that is not an IAM principal as it is.
   */
  principal: string | null;
  accessKeyId: string | null;
  /** The audit event that shows the action (evidence). */
  auditID: string;
  /** proven: the key's chain reaches its root; inferred: only the ARN/session name (chain stops); ambiguous: on a candidate pod. */
  confidence: Confidence;
  /** What it was done to: the pod, or for a deploy `deployment <ns>/<name> → replicaset <name>`. */
  target: string;
  /** How the principal was found, and where the chain stops. */
  why: string;
}

/** The person whose exec/attach session into the event's pod most plausibly made the call. Never proven. */
export interface EventActor {
  principal: string;
  /** The audit event of the exec/attach session. */
  auditID: string;
  confidence: 'inferred' | 'ambiguous';
  why: string;
}

/** Offline detections: what PodTrail flags on an event, each with the records that show it. */
export const FLAGS = [
  'node-credentials-off-node',
  'token-exchange-outside-cluster',
  'credentials-after-pod-deleted',
  'token-minted-by-non-kubelet',
  'first-seen-api',
  'eks-auth-by-hand',
  'exec-then-credential-use',
  'human-minted-token',
] as const;
export type Flag = (typeof FLAGS)[number];

/** A detection raised on an event, with what showed it (the records and values the detection read). */
export interface FlagReason {
  flag: Flag;
  detail: string;
}

/** The attribution record of one event: its head, its credential's attribution, and the records that prove it. */
export interface AttributionRecord extends EventHead, CredentialAttribution {
  /** eventIDs (or document refs) of the records that establish the hops. */
  evidence: string[];
  /** Detections on this event (see FLAGS). */
  flags?: Flag[];
  /** Each detection on this event with its reason, in the order of `flags`. */
  flagReasons?: FlagReason[];
}

/** Exhaustiveness helper: a new kind becomes a compile error wherever it is not handled. */
export function missingCase(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
