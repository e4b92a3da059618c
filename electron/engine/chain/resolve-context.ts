/**
 * What the per-mechanism rules share while resolving (resolve.ts walks the chain; resolve-irsa.ts,
 * resolve-pod-identity.ts and resolve-node.ts resolve the roots): the facts, and small lookups over them.
 */
import type { ChainLink, ClusterRef } from '../../../shared/attribution';
import { emptyResolution, type Facts, type Hop, type Issuance, type Resolution } from './model';
import { webIdentityOf } from './irsa';
import { clusterKeyParts } from './clusters';

export class ResolveContext {
  private exchangeIndex: Map<string, Issuance[]> | null = null;
  private readonly exchangeTimes = new Map<string, number[]>();
  private readonly sessionUse = new Map<string, { atMs: number; expiresMs: number; lastUseMs: number | null }[]>();
  /** Per service account (OIDC id, namespace, name): the refresh-lineage result (k8s/lineage.ts), once computed. */
  readonly lineage = new Map<string, Map<string, Set<string>> | null>();

  constructor(readonly facts: Facts) {}

  /** A root resolution whose identity the record itself states. */
  root(mechanism: Resolution['mechanism'], principal: string | null, chain: ChainLink[]): Resolution {
    const r = emptyResolution(mechanism);
    r.principal = principal;
    r.chain = chain;
    r.confidence.identity = 'proven';
    return r;
  }

  /** The cluster of a key (clusters.ts `clusterKey`: account, region and name), as the record shows it. */
  clusterRef(key: string | null, arn: string | null): ClusterRef | null {
    if (!key) return arn ? { name: null, arn, oidcId: null } : null;
    const known = this.facts.clustersByKey.get(key);
    const parts = clusterKeyParts(key);
    return { name: parts.name, arn: arn ?? known?.arn ?? null, oidcId: known?.oidcId ?? null, account: parts.account, region: parts.region };
  }

  /** An EC2 instance as a node reference, with its Kubernetes node name when the evidence gives one. */
  nodeRef(instanceId: string): { instanceId: string; name: string | null } {
    return { instanceId, name: this.facts.k8s?.nodeOfInstance.get(instanceId) ?? null };
  }

  instanceOfNode(nodeName: string): string | null {
    return this.facts.k8s?.timeline.nodes.get(nodeName)?.instanceId ?? null;
  }

  /** A pod's node, from its scheduler binding (or inventory), with the confidence the pod hop allows. */
  nodeOfPod(r: Resolution, nodeName: string | null, bindingAuditId: string | undefined, confidence: 'proven' | 'inferred'): void {
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

  /** Times of every AssumeRoleWithWebIdentity by one service account (any cluster: the stricter, the safer). */
  exchangesOf(namespace: string, serviceAccount: string): number[] {
    const k = `${namespace}/${serviceAccount}`;
    let times = this.exchangeTimes.get(k);
    if (!times) this.exchangeTimes.set(k, (times = this.webIdentityExchanges(namespace, serviceAccount).map((i) => i.issuedMs)));
    return times;
  }

  /** `exchangesOf` with when the session each issued expires, and when its key was last used (null: never). */
  sessionsOf(namespace: string, serviceAccount: string): { atMs: number; expiresMs: number; lastUseMs: number | null }[] {
    const k = `${namespace}/${serviceAccount}`;
    let list = this.sessionUse.get(k);
    if (!list) {
      const lastUse = (key: string) => this.facts.k8s?.lastUseOfKey(key) ?? null;
      this.sessionUse.set(k, (list = this.webIdentityExchanges(namespace, serviceAccount).map((i) => ({ atMs: i.issuedMs, expiresMs: i.expiresMs, lastUseMs: lastUse(i.accessKeyId) }))));
    }
    return list;
  }

  /** Every AssumeRoleWithWebIdentity by one service account, in any cluster. */
  webIdentityExchanges(namespace: string, serviceAccount: string): Issuance[] {
    if (!this.exchangeIndex) {
      this.exchangeIndex = new Map();
      for (const list of this.facts.issuances.values()) {
        for (const i of list) {
          if (i.eventName !== 'AssumeRoleWithWebIdentity') continue;
          const sa = webIdentityOf(i.record).serviceAccount;
          if (!sa) continue;
          const k = `${sa.namespace}/${sa.serviceAccount}`;
          const all = this.exchangeIndex.get(k);
          if (all) all.push(i);
          else this.exchangeIndex.set(k, [i]);
        }
      }
    }
    return this.exchangeIndex.get(`${namespace}/${serviceAccount}`) ?? [];
  }
}

export function principalHop(claim: string, fields: string[]): Hop {
  return { rule: 'principal', confidence: 'proven', claim, evidence: [], fields };
}
