/**
 * Root: EC2 instance-profile credentials (the node itself), the cluster a node serves, and the pods that were on
 * it while its credentials were valid. The record shapes are in node.ts.
 */
import type { Issuance, Resolution } from './model';
import type { ResolveContext } from './resolve-context';
import { runsUntil } from '../k8s/timeline';
import { clusterKeyParts } from './clusters';

export function ec2Root(ctx: ResolveContext, iss: Issuance): Resolution {
  const instanceId = iss.sessionName!;
  const r = ctx.root('node-role', iss.roleArn ? `${iss.roleArn} on EC2 instance ${instanceId}` : `EC2 instance ${instanceId}`, []);
  r.node = ctx.nodeRef(instanceId);
  r.confidence.node = 'proven';
  r.hops.push({
    rule: 'node-instance-session',
    confidence: 'proven',
    claim: `EC2 issued these instance-profile credentials to instance ${instanceId}`,
    evidence: [iss.eventID],
    fields: ['userIdentity.invokedBy', 'requestParameters.roleSessionName'],
  });
  clusterOfNode(ctx, r, instanceId, iss.roleArn);
  podsOnNode(ctx, r, iss);
  return r;
}

/**
 * A node's own eks-auth calls name the cluster it serves (proven). Failing that, other instances of the
 * same node role that called eks-auth for exactly one cluster suggest it (inferred: a role can be shared).
 */
export function clusterOfNode(ctx: ResolveContext, r: Resolution, instanceId: string, nodeRoleArn: string | null): void {
  if (clusterFromOwnCalls(ctx, r, instanceId)) return;
  if (clusterFromKubernetes(ctx, r, instanceId)) return;
  const clusters = nodeRoleArn ? ctx.facts.clustersByNodeRole.get(nodeRoleArn) : undefined;
  if (!clusters || clusters.size !== 1) return;
  const [[cluster, eventID]] = [...clusters.entries()] as [[string, string]];
  r.cluster = ctx.clusterRef(cluster, null);
  r.hops.push({
    rule: 'principal',
    confidence: 'inferred',
    claim: `instance ${instanceId} has node role ${nodeRoleArn}, whose other instances called eks-auth only for ${describeCluster(cluster)}`,
    evidence: [eventID],
    fields: ['userIdentity.sessionContext.sessionIssuer.arn', 'requestParameters.clusterName'],
  });
}

/**
 * The instance is a Kubernetes node (its `spec.providerID`, or its kubelet's session name) in audit logs or
 * inventories that are tied to one cluster (k8s/facts.ts): inferred, since that tie runs through other nodes.
 */
function clusterFromKubernetes(ctx: ResolveContext, r: Resolution, instanceId: string): boolean {
  const k8s = ctx.facts.k8s;
  const nodeName = k8s?.nodeOfInstance.get(instanceId);
  const tie = nodeName ? k8s!.clusterOfNode.get(nodeName) : undefined;
  if (!nodeName || !tie) return false;
  r.cluster = ctx.clusterRef(tie.cluster, null);
  const node = k8s!.timeline.nodes.get(nodeName);
  r.hops.push({
    rule: 'principal',
    confidence: 'inferred',
    claim: `instance ${instanceId} is Kubernetes node ${nodeName}, which appears in the Kubernetes evidence of ${describeCluster(tie.cluster)}`,
    evidence: [...new Set([...(node?.evidence ? [node.evidence] : []), tie.evidence])],
    fields: ['spec.providerID', 'requestParameters.clusterName'],
  });
  return true;
}

/**
 * The instance's role session called eks-auth for a cluster: that shows it held a Pod Identity token of that
 * cluster, not that it is a node (a stolen token used elsewhere looks the same), so at most inferred, and only
 * when the Pod Identity agent made the call. A call made by hand with the AWS CLI ties nothing (it is flagged).
 */
function clusterFromOwnCalls(ctx: ResolveContext, r: Resolution, instanceId: string): boolean {
  for (const [cluster, calls] of ctx.facts.eksAuthByCluster) {
    const call = calls.find((c) => c.instanceId === instanceId && c.caller !== 'cli');
    if (call) {
      r.cluster = ctx.clusterRef(cluster, null);
      r.hops.push({
        rule: 'principal',
        confidence: 'inferred',
        claim: `instance ${instanceId} is likely a node of ${describeCluster(cluster)}: its role session called eks-auth for that cluster${call.caller === 'agent' ? ' with the Pod Identity agent' : ` (user agent ${call.userAgent ?? 'not logged'})`}`,
        evidence: [call.eventID],
        fields: ['requestParameters.clusterName', 'userIdentity.arn', 'userAgent'],
      });
      return true;
    }
  }
  return false;
}

/** A cluster key in words: `<name> (account <account>, <region>)`. */
function describeCluster(key: string): string {
  const p = clusterKeyParts(key);
  return `${p.name} (account ${p.account ?? 'unknown'}, ${p.region ?? 'region unknown'})`;
}

/**
 * Node-role credentials are shared by every pod on the node that can reach the instance metadata service: the
 * pods on that node while the credentials were valid are listed for the investigator — a list, not a guess.
 */
function podsOnNode(ctx: ResolveContext, r: Resolution, iss: Issuance): void {
  const nodeName = r.node?.name;
  if (!nodeName || !ctx.facts.k8s) return;
  const pods = ctx.facts.k8s.timeline.pods.filter(
    (p) => p.nodeName === nodeName && (p.createdMs === null || p.createdMs <= iss.expiresMs) && (runsUntil(p) ?? Infinity) >= iss.issuedMs,
  );
  if (pods.length === 0) return;
  const names = pods.slice(0, 20).map((p) => `${p.namespace}/${p.name}`);
  r.notes.push(`pods on node ${nodeName} while these credentials were valid: ${names.join(', ')}${pods.length > 20 ? `, … ${pods.length - 20} more` : ''}`);
}
