/** The simulated estate: accounts, roles, clusters, node groups, nodes and the identities that act. */

import { accountId, accountKeyPrefix, ids } from './ids';
import type { Rng } from './rng';
import { makeRole, type Account, type AccountAlias, type Role } from './roles';
import { buildHumans, buildWorkloads, type CiUser, type DroppedSession, type Human, type Workload } from './population';
export type { Account, AccountAlias, Role } from './roles';

export interface NodeGroup {
  name: string;
  role: Role;
}

export interface Node {
  instanceId: string;
  cluster: Cluster;
  group: NodeGroup;
  az: string;
  privateIp: string;
  privateDns: string;
  /** Public address its traffic leaves by (the NAT gateway of its AZ). */
  natIp: string;
  /** Lifetime in epoch ms (a node can be launched or terminated mid-scenario). */
  start: number;
  end: number;
}

export interface Cluster {
  name: string;
  region: string;
  account: Account;
  arn: string;
  oidcId: string;
  issuer: string;
  providerArn: string;
  endpoint: string;
  version: string;
  platformVersion: string;
  createdAt: number;
  clusterRole: Role;
  vpcId: string;
  subnetIds: string[];
  securityGroupId: string;
  /** Second octet of the VPC CIDR (10.x.0.0/16). */
  cidr: number;
  nodeGroups: NodeGroup[];
  nodes: Node[];
}

export interface ServiceRoles {
  autoscaling: Role;
  eksNodegroup: Role;
  config: Record<AccountAlias, Role>;
}

export interface World {
  t0: number;
  spanMs: number;
  regions: string[];
  accounts: Record<AccountAlias, Account>;
  orgId: string;
  orgBucket: string;
  trailName: string;
  clusters: Cluster[];
  workloads: Workload[];
  humans: Human[];
  ci: CiUser;
  dropped: DroppedSession[];
  serviceRoles: ServiceRoles;
  /** The cluster whose facts come from a DescribeCluster record in the trail; the other has a JSON file. */
  factCluster: Cluster;
  fileCluster: Cluster;
}

function publicIp(rng: Rng, firsts: readonly number[]): string {
  return `${rng.pick(firsts)}.${rng.between(1, 254)}.${rng.between(1, 254)}.${rng.between(1, 254)}`;
}

interface ClusterSpec {
  name: string;
  region: string;
  cidr: number;
  azs: string[];
  version: string;
  platformVersion: string;
  ipFirsts: number[];
  groups: { name: string; role: string; nodes: number }[];
}

function buildCluster(rng: Rng, acct: Account, spec: ClusterSpec, t0: number, spanMs: number): Cluster {
  const oidcId = ids.oidcId(rng);
  const host = `oidc.eks.${spec.region}.amazonaws.com/id/${oidcId}`;
  const natIps = spec.azs.map(() => publicIp(rng, spec.ipFirsts));
  const cluster: Cluster = {
    name: spec.name,
    region: spec.region,
    account: acct,
    arn: `arn:aws:eks:${spec.region}:${acct.id}:cluster/${spec.name}`,
    oidcId,
    issuer: `https://${host}`,
    providerArn: `arn:aws:iam::${acct.id}:oidc-provider/${host}`,
    endpoint: `https://${oidcId}.gr7.${spec.region}.eks.amazonaws.com`,
    version: spec.version,
    platformVersion: spec.platformVersion,
    createdAt: t0 - rng.between(120, 400) * 86_400_000 - rng.int(86_400_000),
    clusterRole: makeRole(rng, acct, `${spec.name}-cluster-role`),
    vpcId: `vpc-0${rng.hex(16)}`,
    subnetIds: spec.azs.map(() => `subnet-0${rng.hex(16)}`),
    securityGroupId: `sg-0${rng.hex(16)}`,
    cidr: spec.cidr,
    nodeGroups: spec.groups.map((g) => ({ name: g.name, role: makeRole(rng, acct, g.role) })),
    nodes: [],
  };
  const dns = (ip: string): string =>
    spec.region === 'us-east-1' ? `ip-${ip.replace(/\./g, '-')}.ec2.internal` : `ip-${ip.replace(/\./g, '-')}.${spec.region}.compute.internal`;
  const end = t0 + spanMs * 4;
  spec.groups.forEach((g, gi) => {
    for (let i = 0; i < g.nodes; i++) {
      const azIndex = (i + gi) % spec.azs.length;
      const ip = `10.${spec.cidr}.${azIndex * 32 + rng.between(0, 31)}.${rng.between(4, 250)}`;
      cluster.nodes.push({
        instanceId: ids.instanceId(rng),
        cluster,
        group: cluster.nodeGroups[gi]!,
        az: spec.azs[azIndex]!,
        privateIp: ip,
        privateDns: dns(ip),
        natIp: natIps[azIndex]!,
        start: t0 + rng.between(2, 50) * 1000,
        end,
      });
    }
  });
  // One node of the first group is replaced mid-scenario: the old one terminates, a new one launches.
  const old = cluster.nodes[0]!;
  old.end = t0 + Math.floor(spanMs * 0.55);
  const ip = `10.${spec.cidr}.${rng.between(0, 31)}.${rng.between(4, 250)}`;
  cluster.nodes.push({ ...old, instanceId: ids.instanceId(rng), privateIp: ip, privateDns: dns(ip), start: t0 + Math.floor(spanMs * 0.45), end });
  return cluster;
}

export function buildWorld(rng: Rng, t0: number, spanMs: number): World {
  const mk = (alias: AccountAlias): Account => {
    const id = accountId(rng);
    return { alias, id, keyPrefix: accountKeyPrefix(rng), trailBucket: `aws-cloudtrail-logs-${id}-${rng.hex(8)}` };
  };
  const accounts = { workloads: mk('workloads'), data: mk('data'), security: mk('security') };
  const w = accounts.workloads;
  const stamp = (): string => `2025${String(rng.between(1, 12)).padStart(2, '0')}${String(rng.between(10, 28))}${rng.chars('0123456789', 11)}0000000${rng.between(10, 19)}`;
  const prodEast = buildCluster(rng, w, {
    name: 'prod-east', region: 'us-east-1', cidr: 0, azs: ['us-east-1a', 'us-east-1b', 'us-east-1c'], version: '1.31', platformVersion: 'eks.19',
    ipFirsts: [3, 44, 54],
    groups: [
      { name: 'general', role: `eksctl-prod-east-nodegroup-general-NodeInstanceRole-${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 12)}`, nodes: 4 },
      { name: 'spot', role: `prod-east-spot-eks-node-group-${stamp()}`, nodes: 2 },
    ],
  }, t0, spanMs);
  const paymentsWest = buildCluster(rng, w, {
    name: 'payments-west', region: 'us-west-2', cidr: 20, azs: ['us-west-2a', 'us-west-2b'], version: '1.30', platformVersion: 'eks.27',
    ipFirsts: [35, 44, 52],
    groups: [
      { name: 'default', role: `payments-west-default-eks-node-group-${stamp()}`, nodes: 3 },
      { name: 'batch', role: `payments-west-batch-eks-node-group-${stamp()}`, nodes: 2 },
    ],
  }, t0, spanMs);
  const clusters = [prodEast, paymentsWest];
  const serviceRoles: ServiceRoles = {
    autoscaling: makeRole(rng, w, 'AWSServiceRoleForAutoScaling', '/aws-service-role/autoscaling.amazonaws.com/'),
    eksNodegroup: makeRole(rng, w, 'AWSServiceRoleForAmazonEKSNodegroup', '/aws-service-role/eks-nodegroup.amazonaws.com/'),
    config: {
      workloads: makeRole(rng, w, 'AWSServiceRoleForConfig', '/aws-service-role/config.amazonaws.com/'),
      data: makeRole(rng, accounts.data, 'AWSServiceRoleForConfig', '/aws-service-role/config.amazonaws.com/'),
      security: makeRole(rng, accounts.security, 'AWSServiceRoleForConfig', '/aws-service-role/config.amazonaws.com/'),
    },
  };
  const workloads = buildWorkloads(rng, accounts, clusters, t0, spanMs);
  const { humans, ci, dropped } = buildHumans(rng, accounts, t0, spanMs);
  return {
    t0,
    spanMs,
    regions: ['us-east-1', 'us-west-2'],
    accounts,
    orgId: ids.orgId(rng),
    orgBucket: `aws-controltower-logs-${accounts.security.id}-us-east-1`,
    trailName: 'management-events',
    clusters,
    workloads,
    humans,
    ci,
    dropped,
    serviceRoles,
    factCluster: prodEast,
    fileCluster: paymentsWest,
  };
}
