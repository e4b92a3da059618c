/** Kubernetes facts for correlation: the timeline, and which EKS cluster each Kubernetes node belongs to. */
import type { Facts, K8sFacts } from '../chain/model';
import type { JsonObject } from '../util/json';
import { arr, getStr } from '../util/json';
import type { Timeline } from './timeline';
import { isEc2InstanceProfileIssuance } from '../chain/node';
import { isIp, isPrivateIp } from '../util/ip';

/**
 * Audit logs do not name their cluster. A node is tied to a cluster by its EC2 instance: the instance's own
 * eks-auth calls name the cluster (CloudTrail), or its EC2 tags do (`eks:cluster-name`,
 * `kubernetes.io/cluster/<name>`, from describe-instances output).
 */
export function buildK8sFacts(
  facts: Facts,
  timeline: Timeline,
  reservations: { record: JsonObject; ref: string }[],
  ipsOfKey: (key: string) => string[],
  lastUseOfKey: (key: string) => number | null,
): K8sFacts {
  const tagCluster = new Map<string, { cluster: string; evidence: string }>();
  for (const { record, ref } of reservations) {
    for (const i of arr(record.Instances)) {
      const id = getStr(i, 'InstanceId');
      if (!id) continue;
      for (const t of arr((i as JsonObject).Tags)) {
        const key = getStr(t, 'Key') ?? '';
        const value = getStr(t, 'Value') ?? '';
        const fromKey = /^kubernetes\.io\/cluster\/(.+)$/.exec(key)?.[1];
        const cluster = key === 'eks:cluster-name' || key === 'aws:eks:cluster-name' ? value : fromKey;
        if (cluster) tagCluster.set(id, { cluster, evidence: ref });
      }
    }
  }
  const authCluster = new Map<string, { cluster: string; evidence: string }>();
  for (const [cluster, calls] of facts.eksAuthByCluster) {
    for (const c of calls) if (!authCluster.has(c.instanceId)) authCluster.set(c.instanceId, { cluster, evidence: c.eventID });
  }
  const clusterOfNode = new Map<string, { cluster: string; evidence: string }>();
  const nodeOfInstance = new Map<string, string>();
  for (const n of timeline.nodes.values()) {
    if (!n.instanceId) continue;
    nodeOfInstance.set(n.instanceId, n.name);
    const c = authCluster.get(n.instanceId) ?? tagCluster.get(n.instanceId);
    if (c) clusterOfNode.set(n.name, c);
  }
  return { timeline, clusterOfNode, nodeOfInstance, ipsOfKey, lastUseOfKey, egressOfInstance: nodeEgress(facts, ipsOfKey) };
}

/**
 * The public addresses each node's own traffic leaves from: its agent's eks-auth calls (host network) and the
 * calls made with its instance-profile credentials. Behind a NAT gateway these are the gateway's address, shared
 * by every node (and pod) of that subnet; private addresses are left out (pod traffic to VPC endpoints keeps the
 * pod's own IP, matched separately).
 */
function nodeEgress(facts: Facts, ipsOfKey: (key: string) => string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (instance: string, ip: string | null | undefined) => {
    if (!ip || !isIp(ip) || isPrivateIp(ip)) return;
    let set = out.get(instance);
    if (!set) out.set(instance, (set = new Set()));
    set.add(ip);
  };
  for (const calls of facts.eksAuthByCluster.values()) for (const c of calls) add(c.instanceId, c.sourceIp);
  for (const [key, list] of facts.issuances) {
    for (const iss of list) {
      if (!isEc2InstanceProfileIssuance(iss.record)) continue;
      const instance = getStr(iss.record, 'requestParameters', 'roleSessionName')!;
      for (const ip of ipsOfKey(key)) add(instance, ip);
    }
  }
  return out;
}

/** The Kubernetes nodes tied to one cluster. */
export function nodesOfCluster(k8s: K8sFacts, cluster: string): Set<string> {
  const out = new Set<string>();
  for (const [node, c] of k8s.clusterOfNode) if (c.cluster === cluster) out.add(node);
  return out;
}
