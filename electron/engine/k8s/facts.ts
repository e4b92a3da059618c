/** Kubernetes facts for correlation: the timeline, and which EKS cluster each Kubernetes node belongs to. */
import type { Facts, K8sFacts } from '../chain/model';
import type { JsonObject } from '../util/json';
import { arr, getStr } from '../util/json';
import type { PodLife, Timeline } from './timeline';
import { isEc2InstanceProfileIssuance } from '../chain/node';
import { clusterKey } from '../chain/clusters';
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
    // The reservation's owner is the instances' account; the availability zone less its letter is the region.
    const owner = getStr(record, 'OwnerId') ?? null;
    for (const i of arr(record.Instances)) {
      const id = getStr(i, 'InstanceId');
      if (!id) continue;
      const az = getStr(i, 'Placement', 'AvailabilityZone');
      const region = az ? az.replace(/[a-z]$/, '') : null;
      for (const t of arr((i as JsonObject).Tags)) {
        const key = getStr(t, 'Key') ?? '';
        const value = getStr(t, 'Value') ?? '';
        const fromKey = /^kubernetes\.io\/cluster\/(.+)$/.exec(key)?.[1];
        const cluster = key === 'eks:cluster-name' || key === 'aws:eks:cluster-name' ? value : fromKey;
        if (cluster) tagCluster.set(id, { cluster: clusterKey(owner, region, cluster), evidence: ref });
      }
    }
  }
  const authCluster = new Map<string, { cluster: string; evidence: string }>();
  for (const [cluster, calls] of facts.eksAuthByCluster) {
    for (const c of calls) if (c.caller !== 'cli' && !authCluster.has(c.instanceId)) authCluster.set(c.instanceId, { cluster, evidence: c.eventID });
  }
  const clusterOfNode = new Map<string, { cluster: string; evidence: string }>();
  const nodeOfInstance = new Map<string, string>();
  // Each group of files (one cluster's audit log and inventories, see TimelineBuilder.build) takes the cluster
  // its directly tied nodes name, when they all name the same one.
  const votes = new Map<string, Map<string, string>>();
  for (const n of timeline.nodes.values()) {
    if (!n.instanceId) continue;
    nodeOfInstance.set(n.instanceId, n.name);
    const c = authCluster.get(n.instanceId) ?? tagCluster.get(n.instanceId);
    if (!c) continue;
    clusterOfNode.set(n.name, c);
    for (const g of n.groups) {
      let v = votes.get(g);
      if (!v) votes.set(g, (v = new Map()));
      if (!v.has(c.cluster)) v.set(c.cluster, c.evidence);
    }
  }
  const clusterOfGroup = new Map<string, { cluster: string; evidence: string }>();
  for (const [g, v] of votes) {
    if (v.size !== 1) continue; // files that name nodes of two clusters: tie nothing through them
    const [[cluster, evidence]] = [...v.entries()] as [[string, string]];
    clusterOfGroup.set(g, { cluster, evidence });
  }
  // Nodes with no tie of their own belong to the cluster of the files that speak of them.
  for (const n of timeline.nodes.values()) {
    if (clusterOfNode.has(n.name)) continue;
    const cs = new Set(n.groups.map((g) => clusterOfGroup.get(g)?.cluster));
    if (cs.size !== 1 || cs.has(undefined)) continue;
    clusterOfNode.set(n.name, clusterOfGroup.get(n.groups[0]!)!);
  }
  const clusterOfPod = (p: PodLife): string | null => {
    if (p.group !== null) {
      const g = clusterOfGroup.get(p.group);
      if (g) return g.cluster;
    }
    return p.nodeName ? (clusterOfNode.get(p.nodeName)?.cluster ?? null) : null;
  };
  return {
    timeline,
    clusterOfNode,
    clusterOfPod,
    nodeOfInstance,
    ipsOfKey,
    lastUseOfKey,
    egressOfInstance: nodeEgress(facts, ipsOfKey),
  };
}

/**
 * The NAT addresses each node's own calls left from: the public source addresses of its agent's eks-auth calls
 * (host network) and of the calls made with its instance-profile credentials. A public source address means the
 * call took the subnet's default route (a NAT gateway, shared by every node and pod of that subnet), whatever the
 * service; private addresses are calls through VPC endpoints, which say nothing of that route, and are left out
 * (pod IPs are matched separately). A NAT gateway can have several addresses: two addresses one node was seen
 * leaving from are one gateway's, and each node's set is closed over those pools.
 */
function nodeEgress(facts: Facts, ipsOfKey: (key: string) => string[]): Map<string, Set<string>> {
  const own = new Map<string, Set<string>>();
  const add = (instance: string, ip: string | null | undefined) => {
    if (!ip || !isIp(ip) || isPrivateIp(ip)) return;
    let set = own.get(instance);
    if (!set) own.set(instance, (set = new Set()));
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
  return closeOverPools(own);
}

/**
 * A NAT gateway can have several public addresses: addresses one node was seen leaving from are one gateway's
 * (pools join through shared addresses). Each node's set becomes every address of the pools it touches.
 */
export function closeOverPools(own: ReadonlyMap<string, ReadonlySet<string>>): Map<string, Set<string>> {
  const poolOf = new Map<string, Set<string>>();
  for (const set of own.values()) {
    const merged = new Set<string>(set);
    for (const ip of set) for (const x of poolOf.get(ip) ?? []) merged.add(x);
    for (const ip of merged) poolOf.set(ip, merged);
  }
  const out = new Map<string, Set<string>>();
  for (const [node, set] of own) out.set(node, new Set([...set].flatMap((ip) => [...poolOf.get(ip)!])));
  return out;
}

/** The Kubernetes nodes tied to one cluster. */
export function nodesOfCluster(k8s: K8sFacts, cluster: string): Set<string> {
  const out = new Set<string>();
  for (const [node, c] of k8s.clusterOfNode) if (c.cluster === cluster) out.add(node);
  return out;
}

/** Whether any pod of the timeline is tied to the cluster. */
export function hasPodsOf(k8s: K8sFacts, cluster: string): boolean {
  return k8s.timeline.pods.some((p) => k8s.clusterOfPod(p) === cluster);
}
