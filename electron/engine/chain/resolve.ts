/**
 * Unchaining: from a credential back to its root, hop by hop. Each root kind is one rule (irsa.ts,
 * pod-identity.ts, node.ts, credentials.ts); this file only walks and composes. Resolutions are memoised per
 * access key: every event made with one key shares its resolution.
 */
import type { ChainLink, ClusterRef } from '../../../shared/attribution';
import { emptyResolution, type Facts, type Hop, type Issuance, type Resolution } from './model';
import { preferredIssuance } from './credentials';
import { webIdentityOf } from './irsa';
import {
  isPodIdentityIssuance,
  parsePodIdentitySessionName,
  podIdentityTags,
  podMatchesPrefix,
  splitWithClusters,
} from './pod-identity';
import {
  deliveredByImds,
  isEc2InstanceProfileIssuance,
  isInstanceId,
  matchEksAuth,
  roleNameOfSession,
  sessionNameOf,
} from './node';
import { getStr, obj } from '../util/json';
import { decide, irsaCandidates } from '../k8s/narrow';
import { nodesOfCluster } from '../k8s/facts';
import type { JsonObject } from '../util/json';
import { isoUtc } from '../util/time';

const SSO_ROLE = /(^|\/)AWSReservedSSO_/;

export class Resolver {
  private readonly byKey = new Map<string, Resolution>();
  private readonly visiting = new Set<string>();
  private exchangeIndex: Map<string, number[]> | null = null;

  constructor(private readonly facts: Facts) {}

  /** Is there an issuance of `key` in the bundle whose validity window covers `eventMs`? */
  issuanceFor(key: string, eventMs: number): Issuance | null {
    const list = this.facts.issuances.get(key);
    return list ? preferredIssuance(list, eventMs) : null;
  }

  issuancesOf(key: string): Issuance[] {
    return this.facts.issuances.get(key) ?? [];
  }

  hasIssuance(key: string): boolean {
    return this.facts.issuances.has(key);
  }

  /** The resolution of a key whose issuance is in the bundle. */
  resolveKey(key: string): Resolution | null {
    const cached = this.byKey.get(key);
    if (cached) return cached;
    const list = this.facts.issuances.get(key);
    if (!list) return null;
    const iss = preferredIssuance(list, null)!;
    this.visiting.add(key);
    try {
      const r = this.resolveIssuance(iss, list);
      this.byKey.set(key, r);
      return r;
    } finally {
      this.visiting.delete(key);
    }
  }

  /** An event whose key is not issued in the bundle (or that has no key): what its own record states. */
  resolveOwnIdentity(record: JsonObject): Resolution {
    const ui = obj(record.userIdentity);
    const type = getStr(ui, 'type');
    const key = getStr(ui, 'accessKeyId') || null;
    const arn = getStr(ui, 'arn') ?? null;
    const link: ChainLink[] = key ? [{ accessKeyId: key, issuedBy: null }] : [];
    const issuanceMissing = key && key.startsWith('ASIA') ? [`the call that issued ${key} is not in the bundle`] : [];
    switch (type) {
      case 'IAMUser': {
        const r = this.root('iam-user', arn ?? `IAM user ${getStr(ui, 'userName') ?? '?'}`, link);
        r.hops.push(principalHop(`long-term credentials of IAM user ${arn ?? getStr(ui, 'userName')}`, ['userIdentity.type', 'userIdentity.arn']));
        return r;
      }
      case 'Root': {
        const r = this.root('root', `root user of account ${getStr(ui, 'accountId') ?? '?'}`, link);
        r.hops.push(principalHop('the account root user', ['userIdentity.type']));
        return r;
      }
      case 'AWSService': {
        const svc = getStr(ui, 'invokedBy') ?? 'an AWS service';
        const r = this.root('aws-service', svc, link);
        r.hops.push(principalHop(`made by ${svc} on its own behalf`, ['userIdentity.type', 'userIdentity.invokedBy']));
        return r;
      }
      case 'WebIdentityUser':
        return this.webIdentityRoot(record, [], null);
      case 'SAMLUser': {
        const r = this.root('saml', getStr(ui, 'userName') ?? getStr(ui, 'principalId') ?? null, link);
        r.hops.push(principalHop('a SAML-federated user', ['userIdentity.type', 'userIdentity.userName']));
        return r;
      }
      case 'AssumedRole':
        return this.ownRoleSession(record, link, issuanceMissing);
      case 'AWSAccount': {
        const other = this.callerAccountCopy(record);
        if (other) return other;
        const r = emptyResolution('unknown');
        r.principal = `a principal of account ${getStr(ui, 'accountId') ?? '?'} (named only in that account's trail)`;
        r.chain = link;
        r.notes.push('the caller is identified only by its account; load that account\'s trail to name it');
        return r;
      }
      default: {
        // AwsServiceEvent records (e.g. Secrets Manager RotationSucceeded): userIdentity has invokedBy and no type.
        const svc = getStr(ui, 'invokedBy');
        if (svc && (type === undefined || getStr(record, 'eventType') === 'AwsServiceEvent')) {
          const r = this.root('aws-service', svc, link);
          r.hops.push(principalHop(`service event from ${svc}`, ['eventType', 'userIdentity.invokedBy']));
          return r;
        }
        const r = emptyResolution('unknown');
        r.chain = link;
        r.principal = arn;
        r.notes.push(type ? `identity type ${type} is not attributed further` : 'the record has no userIdentity');
        return r;
      }
    }
  }

  /**
   * A cross-account AssumeRole is logged in the role's account with the caller only as `type: AWSAccount`;
   * the caller's account logs the same call (same `sharedEventID`, same issued key) with the full identity.
   */
  private callerAccountCopy(record: JsonObject): Resolution | null {
    const key = getStr(record, 'responseElements', 'credentials', 'accessKeyId');
    if (!key) return null;
    const copy = this.issuancesOf(key).find((i) => getStr(i.record, 'userIdentity', 'type') !== 'AWSAccount');
    if (!copy) return null;
    // Attribute the call as its caller's session: what the event in the caller's account is attributed to.
    const callerKey = getStr(copy.record, 'userIdentity', 'accessKeyId');
    const r = (callerKey && this.issuanceFor(callerKey, copy.issuedMs) && !this.visiting.has(callerKey) ? this.resolveKey(callerKey) : null) ?? this.resolveOwnIdentity(copy.record);
    const hop: Hop = {
      rule: 'principal',
      confidence: 'proven',
      claim: `the same call as logged in the caller's account (${copy.eventID}${getStr(record, 'sharedEventID') ? `, sharedEventID ${getStr(record, 'sharedEventID')}` : ''}) names the caller`,
      evidence: [copy.eventID],
      fields: ['sharedEventID', 'responseElements.credentials.accessKeyId', 'userIdentity'],
    };
    return { ...r, hops: [hop, ...r.hops] };
  }

  // --- roots ------------------------------------------------------------------------------------------

  private root(mechanism: Resolution['mechanism'], principal: string | null, chain: ChainLink[]): Resolution {
    const r = emptyResolution(mechanism);
    r.principal = principal;
    r.chain = chain;
    r.confidence.identity = 'proven';
    return r;
  }

  /** A role session whose issuing call is missing: only what the event's own identity states. */
  private ownRoleSession(record: JsonObject, link: ChainLink[], notes: string[]): Resolution {
    const ui = obj(record.userIdentity);
    const arn = getStr(ui, 'arn') ?? null;
    const issuerArn = getStr(ui, 'sessionContext', 'sessionIssuer', 'arn') ?? '';
    const session = sessionNameOf(arn);
    // IAM Identity Center permission-set roles live under aws-reserved/sso.amazonaws.com/ and are named
    // AWSReservedSSO_<set>_<id>; the session name is the signed-in user.
    if (SSO_ROLE.test(issuerArn) || issuerArn.includes('/aws-reserved/sso.amazonaws.com/') || SSO_ROLE.test(roleNameOfSession(arn) ?? '')) {
      const r = this.root('sso', `${session ?? '?'} via IAM Identity Center (${roleNameOfSession(arn) ?? issuerArn})`, link);
      r.hops.push(principalHop(`IAM Identity Center user ${session}`, ['userIdentity.sessionContext.sessionIssuer.arn', 'userIdentity.arn']));
      return r;
    }
    if (isInstanceId(session)) {
      const r = this.root('node-role', arn, link);
      const imds = deliveredByImds(record);
      r.confidence.identity = imds ? 'proven' : 'inferred';
      r.node = this.nodeRef(session);
      r.confidence.node = r.confidence.identity;
      r.hops.push({
        rule: 'node-instance-session',
        confidence: r.confidence.node,
        claim: imds
          ? `instance-profile credentials of EC2 instance ${session} (delivered by IMDS)`
          : `session named after EC2 instance ${session}; no ec2RoleDelivery and no issuing call, so the name alone says it`,
        evidence: [],
        fields: imds ? ['userIdentity.arn', 'userIdentity.sessionContext.ec2RoleDelivery'] : ['userIdentity.arn'],
      });
      this.clusterOfNode(r, session, issuerArn || null);
      r.notes.push(...notes.filter(() => !imds));
      return r;
    }
    const provider = getStr(ui, 'sessionContext', 'webIdFederationData', 'federatedProvider');
    const wi = webIdentityOf(record);
    if (provider && wi.eks) {
      const r = emptyResolution('irsa');
      r.chain = link;
      r.principal = arn;
      this.irsaCluster(r, wi.eks.oidcId, []);
      r.notes.push(...notes, 'the AssumeRoleWithWebIdentity that named the service account is not in the bundle');
      return r;
    }
    const r = emptyResolution('assumed-role');
    r.chain = link;
    r.principal = arn;
    r.notes.push(...notes);
    if (parsePodIdentitySessionName(session)) r.notes.push('the session name has the EKS Pod Identity form, but without its issuing call that is not proof');
    return r;
  }

  private resolveIssuance(iss: Issuance, all: Issuance[]): Resolution {
    const rec = iss.record;
    const link: ChainLink = {
      accessKeyId: iss.accessKeyId,
      issuedBy: { eventID: iss.eventID, eventName: iss.eventName, roleArn: iss.roleArn },
    };
    const issueHop: Hop = {
      rule: 'key-issuance',
      confidence: 'proven',
      claim: `${iss.accessKeyId} was issued by ${iss.eventName}${iss.roleArn ? ` into ${iss.roleArn}` : ''} at ${isoUtc(iss.issuedMs)}, valid to ${isoUtc(iss.expiresMs)}`,
      evidence: all.map((i) => i.eventID),
      fields: ['responseElements.credentials.accessKeyId', 'responseElements.credentials.expiration'],
    };
    let r: Resolution;
    if (isPodIdentityIssuance(rec)) r = this.podIdentityRoot(iss);
    else if (isEc2InstanceProfileIssuance(rec)) r = this.ec2Root(iss);
    else if (iss.eventName === 'AssumeRoleWithWebIdentity') r = this.webIdentityRoot(rec, [], iss);
    else if (iss.eventName === 'AssumeRoleWithSAML') r = this.samlRoot(iss);
    else r = this.callerOf(iss);
    return { ...r, chain: [link, ...r.chain], hops: [issueHop, ...r.hops] };
  }

  /** The caller of an AssumeRole/GetSessionToken/…: a session (follow it), a user, a service, root. */
  private callerOf(iss: Issuance): Resolution {
    const rec = iss.record;
    const ui = obj(rec.userIdentity);
    const type = getStr(ui, 'type');
    const callerKey = getStr(ui, 'accessKeyId') || null;
    if (callerKey && (type === 'AssumedRole' || type === 'FederatedUser' || type === 'IAMUser')) {
      const parentIss = this.issuanceFor(callerKey, iss.issuedMs);
      let parent: Resolution;
      if (parentIss && !this.visiting.has(callerKey)) parent = this.resolveKey(callerKey)!;
      else {
        parent = this.resolveOwnIdentity(rec);
        if (this.visiting.has(callerKey)) parent.notes.push(`credential loop at ${callerKey}: stopped`);
        else if (this.hasIssuance(callerKey) && !parentIss) {
          parent.notes.push(`${callerKey} was issued in the bundle, but this call falls outside its validity window`);
        }
      }
      if (type !== 'AssumedRole') return parent;
      // sessionContext.sessionIssuer / userIdentity.arn of the AssumeRole record: a role session assumed a role.
      const hop: Hop = {
        rule: 'role-chain',
        confidence: 'proven',
        claim: `role chaining: the session ${getStr(ui, 'arn') ?? callerKey} (key ${callerKey}) made this call`,
        evidence: [iss.eventID],
        fields: ['userIdentity.accessKeyId', 'userIdentity.arn'],
      };
      return { ...parent, chained: true, hops: [hop, ...parent.hops] };
    }
    return this.resolveOwnIdentity(rec);
  }

  private podIdentityRoot(iss: Issuance): Resolution {
    const r = emptyResolution('pod-identity');
    const tags = podIdentityTags(iss.record);
    let clusterName: string | null = null;
    if (tags && (tags.podName || tags.serviceAccount)) {
      // requestParameters.tags: eks-cluster-*, kubernetes-namespace, -service-account, -pod-name, -pod-uid.
      clusterName = tags.clusterName;
      r.cluster = this.clusterRef(tags.clusterName, tags.clusterArn);
      r.namespace = tags.namespace;
      r.serviceAccount = tags.serviceAccount;
      r.pod = tags.podName ? { name: tags.podName, uid: tags.podUid } : null;
      r.confidence.identity = 'proven';
      r.confidence.pod = tags.podName ? 'proven' : 'none';
      r.hops.push({
        rule: 'pod-identity-tags',
        confidence: 'proven',
        claim: `EKS Pod Identity session tags name pod ${tags.namespace}/${tags.podName} (uid ${tags.podUid}), service account ${tags.serviceAccount}, cluster ${tags.clusterName}`,
        evidence: [iss.eventID],
        fields: ['userIdentity.invokedBy', 'requestParameters.tags'],
      });
    } else {
      clusterName = this.podIdentityWithoutTags(r, iss);
    }
    r.principal =
      r.namespace && r.serviceAccount
        ? `system:serviceaccount:${r.namespace}:${r.serviceAccount}`
        : `EKS Pod Identity session ${iss.sessionName ?? '?'}`;
    this.podIdentityNode(r, iss, clusterName);
    this.podIdentityBinding(r);
    return r;
  }

  /**
   * Rule: Pod Identity → node, proven. The session tags name the pod uid; the audit log's scheduler binding of
   * that uid names the node. The eks-auth time match, when there is one, stays as corroboration.
   */
  private podIdentityBinding(r: Resolution): void {
    const uid = r.pod?.uid;
    const k8s = this.facts.k8s;
    if (!uid || !k8s || r.confidence.pod !== 'proven') return;
    const pod = k8s.timeline.pods.find((p) => p.uid === uid);
    if (!pod?.nodeName || !pod.evidence.bound) return;
    const matched = r.node?.instanceId ?? r.candidates.find(() => true)?.node?.instanceId ?? null;
    const before = r.confidence.node;
    const candidates = r.candidates;
    r.candidates = [];
    this.nodeOfPod(r, pod.nodeName, pod.evidence.bound, 'proven');
    const instance = r.node?.instanceId;
    if (before === 'inferred' && matched && instance && matched !== instance) {
      r.notes.push(`conflict: the eks-auth time match pointed at ${matched}, the audit binding at ${instance}`);
    } else if (before === 'ambiguous' && instance && !candidates.some((c) => c.node?.instanceId === instance)) {
      r.notes.push(`the audit binding names ${instance}, which was not among the eks-auth time-match candidates`);
    }
  }

  /** disableSessionTags: the session name's truncated cluster and pod, and the role's association. */
  private podIdentityWithoutTags(r: Resolution, iss: Issuance): string | null {
    r.notes.push('no session tags (disableSessionTags): pod and cluster come from the truncated role session name');
    const parts = parsePodIdentitySessionName(iss.sessionName);
    const assocs = iss.roleArn ? (this.facts.associationsByRole.get(iss.roleArn) ?? []) : [];
    const knownClusters = new Set<string>([...this.facts.clustersByName.keys(), ...assocs.map((a) => a.clusterName)]);
    const splits = parts ? splitWithClusters(parts.middle, knownClusters) : [];
    let clusterName: string | null = null;
    if (splits.length === 1) {
      clusterName = splits[0]!.cluster;
      r.cluster = this.clusterRef(clusterName, null);
    } else if (parts) {
      r.notes.push(
        splits.length === 0
          ? `no cluster in the bundle matches the session name prefix of ${iss.sessionName}`
          : `several clusters match the session name ${iss.sessionName}: ${splits.map((s) => s.cluster).join(', ')}`,
      );
    }
    const assoc = assocs.filter((a) => !clusterName || a.clusterName === clusterName);
    if (assoc.length === 1) {
      const a = assoc[0]!;
      r.namespace = a.namespace;
      r.serviceAccount = a.serviceAccount;
      clusterName ??= a.clusterName;
      r.cluster ??= this.clusterRef(a.clusterName, null);
      r.hops.push({
        rule: 'pod-identity-association',
        confidence: 'inferred',
        claim: `the only Pod Identity association of ${iss.roleArn} binds service account ${a.namespace}/${a.serviceAccount} in ${a.clusterName}`,
        evidence: [a.evidence],
        fields: ['responseElements.association'],
      });
    }
    r.confidence.identity = 'inferred';
    const prefix = splits.length === 1 ? splits[0]!.podPrefix : null;
    if (prefix !== null && clusterName) {
      const pods = [...(this.facts.podsByCluster.get(clusterName)?.values() ?? [])].filter((p) => podMatchesPrefix(p.name, prefix));
      if (pods.length === 1) {
        r.pod = pods[0]!;
        r.confidence.pod = 'inferred';
      } else if (pods.length > 1) {
        r.confidence.pod = 'ambiguous';
        r.candidates = pods.map((p) => ({ pod: p, node: null, score: 1 / pods.length, why: `pod name starts with "${prefix}"` }));
      } else {
        r.pod = { name: prefix, uid: null, nameTruncated: true };
        r.confidence.pod = 'inferred';
      }
      r.hops.push({
        rule: 'pod-identity-session-name',
        confidence: r.confidence.pod,
        claim: `role session name ${iss.sessionName} = eks-<cluster[:10]>-<pod[:10]>-<uuid>: cluster ${clusterName}, pod name starting "${prefix}"${pods.length === 1 ? ` (${pods[0]!.name}, named in other session tags)` : ''}`,
        evidence: [iss.eventID],
        fields: ['userIdentity.invokedBy', 'requestParameters.roleSessionName'],
      });
    }
    return clusterName;
  }

  /** The node whose agent called eks-auth AssumeRoleForPodIdentity for this cluster at this time. */
  private podIdentityNode(r: Resolution, iss: Issuance, clusterName: string | null): void {
    if (!clusterName) {
      r.notes.push('the node cannot be matched without the cluster name');
      return;
    }
    const matches = matchEksAuth(this.facts.eksAuthByCluster.get(clusterName), iss.issuedMs, iss.region);
    const byNode = new Map<string, { delta: number; eventID: string }>();
    for (const m of matches) {
      const prev = byNode.get(m.call.instanceId);
      if (!prev || Math.abs(m.deltaMs) < Math.abs(prev.delta)) byNode.set(m.call.instanceId, { delta: m.deltaMs, eventID: m.call.eventID });
    }
    if (byNode.size === 0) {
      r.notes.push(`no eks-auth AssumeRoleForPodIdentity by a node of ${clusterName} within 2 s before the AssumeRole: node not established`);
      return;
    }
    const evidence = [...byNode.values()].map((v) => v.eventID);
    if (byNode.size === 1) {
      const [instanceId] = [...byNode.keys()];
      r.node = this.nodeRef(instanceId!);
      r.confidence.node = 'inferred';
      r.hops.push({
        rule: 'pod-identity-node',
        confidence: 'inferred',
        claim: `the only node of ${clusterName} that called eks-auth AssumeRoleForPodIdentity within 2 s of the AssumeRole: ${instanceId}`,
        evidence,
        fields: ['eventTime', 'requestParameters.clusterName', 'userIdentity.arn'],
      });
      return;
    }
    const weights = [...byNode.entries()].map(([id, v]) => ({ id, v, w: 1 / (1 + Math.abs(v.delta) / 1000) }));
    const total = weights.reduce((s, x) => s + x.w, 0);
    r.confidence.node = 'ambiguous';
    r.candidates = weights
      .sort((a, b) => b.w - a.w || a.id.localeCompare(b.id))
      .map(({ id, v, w }) => ({
        pod: r.pod,
        node: this.nodeRef(id),
        score: Math.round((w / total) * 1000) / 1000,
        why: `eks-auth AssumeRoleForPodIdentity ${Math.abs(v.delta) / 1000} s ${v.delta >= 0 ? 'before' : 'after'} the AssumeRole (${v.eventID})`,
      }));
    r.hops.push({
      rule: 'pod-identity-node',
      confidence: 'ambiguous',
      claim: `${byNode.size} nodes of ${clusterName} called eks-auth AssumeRoleForPodIdentity within the window`,
      evidence,
      fields: ['eventTime', 'requestParameters.clusterName', 'userIdentity.arn'],
    });
  }

  private ec2Root(iss: Issuance): Resolution {
    const instanceId = iss.sessionName!;
    const r = this.root('node-role', iss.roleArn ? `${iss.roleArn} on EC2 instance ${instanceId}` : `EC2 instance ${instanceId}`, []);
    r.node = this.nodeRef(instanceId);
    r.confidence.node = 'proven';
    r.hops.push({
      rule: 'node-instance-session',
      confidence: 'proven',
      claim: `EC2 issued these instance-profile credentials to instance ${instanceId}`,
      evidence: [iss.eventID],
      fields: ['userIdentity.invokedBy', 'requestParameters.roleSessionName'],
    });
    this.clusterOfNode(r, instanceId, iss.roleArn);
    this.podsOnNode(r, iss);
    return r;
  }

  /**
   * A node's own eks-auth calls name the cluster it serves (proven). Failing that, other instances of the
   * same node role that called eks-auth for exactly one cluster suggest it (inferred: a role can be shared).
   */
  private clusterOfNode(r: Resolution, instanceId: string, nodeRoleArn: string | null): void {
    if (this.clusterFromOwnCalls(r, instanceId)) return;
    const clusters = nodeRoleArn ? this.facts.clustersByNodeRole.get(nodeRoleArn) : undefined;
    if (!clusters || clusters.size !== 1) return;
    const [[cluster, eventID]] = [...clusters.entries()] as [[string, string]];
    r.cluster = this.clusterRef(cluster, null);
    r.hops.push({
      rule: 'principal',
      confidence: 'inferred',
      claim: `instance ${instanceId} has node role ${nodeRoleArn}, whose other instances called eks-auth only for ${cluster}`,
      evidence: [eventID],
      fields: ['userIdentity.sessionContext.sessionIssuer.arn', 'requestParameters.clusterName'],
    });
  }

  private clusterFromOwnCalls(r: Resolution, instanceId: string): boolean {
    for (const [cluster, calls] of this.facts.eksAuthByCluster) {
      const call = calls.find((c) => c.instanceId === instanceId);
      if (call) {
        r.cluster = this.clusterRef(cluster, null);
        r.hops.push({
          rule: 'principal',
          confidence: 'proven',
          claim: `instance ${instanceId} is a node of ${cluster}: its role session called eks-auth for that cluster`,
          evidence: [call.eventID],
          fields: ['requestParameters.clusterName', 'userIdentity.arn'],
        });
        return true;
      }
    }
    return false;
  }

  private webIdentityRoot(record: JsonObject, chain: ChainLink[], iss: Issuance | null): Resolution {
    const wi = webIdentityOf(record);
    const evidence = iss ? [iss.eventID] : [];
    if (!wi.eks) {
      const r = this.root('assumed-role', wi.subject ? `web identity ${wi.subject} via ${wi.provider ?? '?'}` : wi.provider, chain);
      r.hops.push(principalHop(`web identity federation from ${wi.provider ?? 'an unnamed provider'}`, ['userIdentity.identityProvider']));
      return r;
    }
    const r = emptyResolution('irsa');
    r.chain = chain;
    r.principal = wi.subject;
    if (wi.serviceAccount) {
      r.namespace = wi.serviceAccount.namespace;
      r.serviceAccount = wi.serviceAccount.serviceAccount;
      r.confidence.identity = 'proven';
      r.hops.push({
        rule: 'irsa-subject',
        confidence: 'proven',
        claim: `IRSA web identity ${wi.subject} from EKS OIDC provider ${wi.eks.oidcId}`,
        evidence,
        fields: [wi.subjectField, 'userIdentity.identityProvider'],
      });
    } else {
      r.notes.push(`web identity subject ${wi.subject ?? '(none)'} is not a Kubernetes service account`);
    }
    this.irsaCluster(r, wi.eks.oidcId, evidence);
    if (iss && this.facts.k8s) this.irsaPod(r, iss, getStr(record, 'sourceIPAddress') ?? null);
    else r.notes.push('IRSA names the service account, not the pod or node: EKS audit logs are needed to go further');
    return r;
  }

  /** Rule: IRSA → pod, from the audit timeline (see k8s/narrow.ts). */
  private irsaPod(r: Resolution, iss: Issuance, stsIp: string | null): void {
    const k8s = this.facts.k8s!;
    const cluster = r.cluster?.name;
    if (!r.namespace || !r.serviceAccount) return;
    if (!cluster) {
      r.notes.push('the OIDC id names no cluster in the bundle, so Kubernetes evidence cannot be matched to this session');
      return;
    }
    const nodes = nodesOfCluster(k8s, cluster);
    if (nodes.size === 0) {
      r.notes.push(`no Kubernetes evidence in the bundle is tied to cluster ${cluster}: the pod is not established`);
      return;
    }
    const ips = [...new Set([...(stsIp ? [stsIp] : []), ...k8s.ipsOfKey(iss.accessKeyId)])];
    const exchanges = this.exchangesOf(r.namespace, r.serviceAccount);
    const verdict = decide(irsaCandidates(k8s.timeline, { namespace: r.namespace, serviceAccount: r.serviceAccount, atMs: iss.issuedMs, sourceIps: ips, nodes, exchanges }));
    const clusterEvidence = [...new Set([...nodes].map((n) => k8s.clusterOfNode.get(n)!.evidence))].slice(0, 3);
    if (verdict.kind === 'none') {
      r.notes.push(`no pod of ${r.namespace}/${r.serviceAccount} was alive in ${cluster} at ${isoUtc(iss.issuedMs)} according to the audit logs`);
      return;
    }
    if (verdict.kind === 'one') {
      const p = verdict.pick.pod;
      r.pod = { name: p.name, uid: p.uid };
      r.confidence.pod = 'inferred';
      r.hops.push({
        rule: 'irsa-pod',
        confidence: 'inferred',
        claim: `pod ${p.namespace}/${p.name}: ${verdict.pick.why.join('; ')}`,
        evidence: [...verdict.pick.evidence, ...clusterEvidence],
        fields: ['sourceIPAddress', 'eventTime', 'objectRef', 'requestObject.spec.boundObjectRef', 'requestObject.status.podIP'],
      });
      this.nodeOfPod(r, p.nodeName, p.evidence.bound, 'inferred');
      return;
    }
    const minted = verdict.candidates.filter((c) => c.minted);
    if (minted.length > 0) {
      r.exchangeFlags = [
        { flag: 'token-minted-by-non-kubelet', detail: minted.map((c) => c.why[0]).join('; ') + ` (audit ${minted.flatMap((c) => c.evidence).join(', ')})` },
      ];
    }
    const total = verdict.candidates.reduce((s, c) => s + c.score, 0);
    r.confidence.pod = 'ambiguous';
    r.confidence.node = 'ambiguous';
    r.candidates = verdict.candidates.map((c) => ({
      pod: { name: c.pod.name, uid: c.pod.uid },
      node: c.pod.nodeName ? { instanceId: this.instanceOfNode(c.pod.nodeName), name: c.pod.nodeName } : null,
      score: Math.round((c.score / total) * 1000) / 1000,
      why: c.why.join('; '),
    }));
    r.hops.push({
      rule: 'irsa-pod',
      confidence: 'ambiguous',
      claim: `${verdict.candidates.length} pods of ${r.namespace}/${r.serviceAccount} fit the call at ${isoUtc(iss.issuedMs)}`,
      evidence: [...new Set(verdict.candidates.flatMap((c) => c.evidence))].slice(0, 20),
      fields: ['sourceIPAddress', 'eventTime', 'objectRef'],
    });
  }

  /**
   * Node-role credentials are shared by every pod on the node that can reach the instance metadata service: the
   * pods on that node while the credentials were valid are listed for the investigator — a list, not a guess.
   */
  private podsOnNode(r: Resolution, iss: Issuance): void {
    const nodeName = r.node?.name;
    if (!nodeName || !this.facts.k8s) return;
    const pods = this.facts.k8s.timeline.pods.filter(
      (p) => p.nodeName === nodeName && (p.createdMs === null || p.createdMs <= iss.expiresMs) && (p.deletedMs === null || p.deletedMs >= iss.issuedMs),
    );
    if (pods.length === 0) return;
    const names = pods.slice(0, 20).map((p) => `${p.namespace}/${p.name}`);
    r.notes.push(`pods on node ${nodeName} while these credentials were valid: ${names.join(', ')}${pods.length > 20 ? `, … ${pods.length - 20} more` : ''}`);
  }

  /** An EC2 instance as a node reference, with its Kubernetes node name when the evidence gives one. */
  private nodeRef(instanceId: string): { instanceId: string; name: string | null } {
    return { instanceId, name: this.facts.k8s?.nodeOfInstance.get(instanceId) ?? null };
  }

  /** Times of every AssumeRoleWithWebIdentity by one service account (any cluster: the stricter, the safer). */
  private exchangesOf(namespace: string, serviceAccount: string): number[] {
    if (!this.exchangeIndex) {
      this.exchangeIndex = new Map();
      for (const list of this.facts.issuances.values()) {
        for (const i of list) {
          if (i.eventName !== 'AssumeRoleWithWebIdentity') continue;
          const sa = webIdentityOf(i.record).serviceAccount;
          if (!sa) continue;
          const k = `${sa.namespace}/${sa.serviceAccount}`;
          const times = this.exchangeIndex.get(k);
          if (times) times.push(i.issuedMs);
          else this.exchangeIndex.set(k, [i.issuedMs]);
        }
      }
    }
    return this.exchangeIndex.get(`${namespace}/${serviceAccount}`) ?? [];
  }

  private instanceOfNode(nodeName: string): string | null {
    return this.facts.k8s?.timeline.nodes.get(nodeName)?.instanceId ?? null;
  }

  /** A pod's node, from its scheduler binding (or inventory), with the confidence the pod hop allows. */
  private nodeOfPod(r: Resolution, nodeName: string | null, bindingAuditId: string | undefined, confidence: 'proven' | 'inferred'): void {
    if (!nodeName) return;
    r.node = { instanceId: this.instanceOfNode(nodeName), name: nodeName };
    r.confidence.node = confidence;
    r.hops.push({
      rule: 'pod-identity-binding',
      confidence,
      claim: `the pod was bound to node ${nodeName}${r.node.instanceId ? ` (EC2 ${r.node.instanceId})` : ''}${bindingAuditId ? ' by the scheduler' : ''}`,
      evidence: bindingAuditId ? [bindingAuditId] : [],
      fields: ['objectRef.subresource', 'requestObject.target.name'],
    });
  }

  private irsaCluster(r: Resolution, oidcId: string, _evidence: string[]): void {
    const c = this.facts.clustersByOidc.get(oidcId);
    if (!c) {
      r.cluster = { name: null, arn: null, oidcId };
      r.notes.push(`no record in the bundle maps OIDC id ${oidcId} to a cluster (add aws eks describe-cluster output)`);
      return;
    }
    r.cluster = { name: c.name, arn: c.arn, oidcId };
    r.hops.push({
      rule: 'irsa-cluster',
      confidence: 'proven',
      claim: `OIDC id ${oidcId} is the issuer of cluster ${c.name}`,
      evidence: [c.evidence],
      fields: ['cluster.identity.oidc.issuer'],
    });
  }

  private samlRoot(iss: Issuance): Resolution {
    const ui = obj(iss.record.userIdentity);
    const user = getStr(ui, 'userName') ?? getStr(ui, 'principalId') ?? null;
    const sso = SSO_ROLE.test(iss.roleArn ?? '');
    const r = this.root(sso ? 'sso' : 'saml', user ? `${user} via ${getStr(ui, 'identityProvider') ?? 'SAML'}` : null, []);
    r.hops.push(principalHop(`SAML-federated user ${user ?? '?'}`, ['userIdentity.userName', 'userIdentity.identityProvider']));
    return r;
  }

  private clusterRef(name: string | null, arn: string | null): ClusterRef | null {
    if (!name) return arn ? { name: null, arn, oidcId: null } : null;
    const known = this.facts.clustersByName.get(name);
    return { name, arn: arn ?? known?.arn ?? null, oidcId: known?.oidcId ?? null };
  }
}

function principalHop(claim: string, fields: string[]): Hop {
  return { rule: 'principal', confidence: 'proven', claim, evidence: [], fields };
}
