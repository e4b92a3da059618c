/**
 * Scripted one-shot actors: the cluster fact record (DescribeCluster with its OIDC issuer), a stolen IRSA
 * token exchanged from outside, and node credentials used from an external address.
 */

import { ACTIONS, type ActionOut } from './catalog';
import { apiCall, type Json } from './records';
import type { Actor } from './scenario';
import { emitCall } from './scenario';
import { issueIrsa, type Ctx, type Session } from './sts';
import type { Cluster } from './world';
import type { HumanActor } from './actors';

/** `cluster` as the EKS API returns it; `cliTimes` gives `aws eks describe-cluster` ISO times, else epoch seconds. */
export function clusterBody(c: Cluster, cliTimes: boolean): Json {
  const createdAt = cliTimes ? new Date(c.createdAt).toISOString().replace('Z', '000+00:00') : Math.round(c.createdAt) / 1000;
  return {
    name: c.name,
    arn: c.arn,
    createdAt,
    version: c.version,
    endpoint: c.endpoint,
    roleArn: c.clusterRole.arn,
    resourcesVpcConfig: {
      subnetIds: c.subnetIds,
      securityGroupIds: [],
      clusterSecurityGroupId: c.securityGroupId,
      vpcId: c.vpcId,
      endpointPublicAccess: true,
      endpointPrivateAccess: true,
      publicAccessCidrs: ['0.0.0.0/0'],
    },
    kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' },
    logging: { clusterLogging: [{ types: ['api', 'audit', 'authenticator'], enabled: true }, { types: ['controllerManager', 'scheduler'], enabled: false }] },
    identity: { oidc: { issuer: c.issuer } },
    status: 'ACTIVE',
    certificateAuthority: { data: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURCVENDQWUyZ0F3SUJBZ0lJ' },
    platformVersion: c.platformVersion,
    tags: { 'alpha.eksctl.io/cluster-name': c.name, environment: 'production' },
    accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
    upgradePolicy: { supportType: 'STANDARD' },
  };
}

/** An SSO admin's `DescribeCluster` whose response carries the cluster's ARN and OIDC issuer. */
export class ClusterFactActor implements Actor {
  next: number;
  special = true;

  constructor(private readonly ctx: Ctx, private readonly admin: HumanActor, private readonly roleIndex: number) {
    this.next = ctx.world.t0 + 6 * 60_000 + ctx.rng.int(60_000);
  }

  act(t: number): void {
    const { ctx } = this;
    const c = ctx.world.factCluster;
    const human = ctx.world.humans[0]!;
    const s = this.admin.session(human.roles[this.roleIndex]!, t);
    const out: ActionOut = {
      eventSource: 'eks.amazonaws.com', eventName: 'DescribeCluster', readOnly: true,
      requestParameters: { name: c.name }, responseElements: { cluster: clusterBody(c, false) },
    };
    ctx.emit(apiCall(ctx.rng, {
      t, userIdentity: s.userIdentity, accountId: s.accountId, region: c.region, ip: human.ip,
      ua: 'aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/eks.describe-cluster', out,
    }), s.truth);
    this.next = Infinity;
  }
}

interface Step {
  dt: number;
  run(t: number): void;
}

/** A scripted sequence of records at fixed offsets from a start time. */
class Script implements Actor {
  next: number;
  special = true;
  private i = 0;

  constructor(private readonly start: number, private readonly steps: Step[]) {
    this.next = start + (steps[0]?.dt ?? 0);
  }

  act(t: number): void {
    this.steps[this.i++]!.run(t);
    const s = this.steps[this.i];
    this.next = s ? this.start + s.dt : Infinity;
  }
}

/** A projected service-account token stolen from `payments-api` and exchanged from an outside address. */
export function stolenTokenAttack(ctx: Ctx, cluster: Cluster): Actor {
  const { rng, world } = ctx;
  const w = world.workloads.find((x) => x.name === 'payments-api')!;
  const ip = `185.220.${rng.between(100, 103)}.${rng.between(2, 250)}`;
  const cli = (cmd: string): string => `aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off command/${cmd}`;
  let s: Session | null = null;
  const call = (name: string, cmd: string, forceError = false): Step['run'] => (t) => {
    const out = ACTIONS[name]!(rng, w.res);
    emitCall(ctx, t, s!, out, { ip, ua: cli(cmd), region: cluster.region, errorP: 0, forceError });
  };
  const start = world.t0 + Math.floor(world.spanMs * 0.4);
  return new Script(start, [
    { dt: 0, run: (t) => (s = issueIrsa(ctx, t, {
      cluster, namespace: w.namespace, serviceAccount: w.serviceAccount, role: w.role!, sessionName: 'x', ip, ua: cli('sts.assume-role-with-web-identity'), pod: null,
    })) },
    { dt: 21_000, run: call('sts:GetCallerIdentity', 'sts.get-caller-identity') },
    { dt: 38_000, run: call('secretsmanager:ListSecrets', 'secretsmanager.list-secrets') },
    { dt: 52_000, run: call('secretsmanager:GetSecretValue', 'secretsmanager.get-secret-value') },
    { dt: 61_000, run: call('secretsmanager:GetSecretValue', 'secretsmanager.get-secret-value') },
    { dt: 75_000, run: call('secretsmanager:GetSecretValue', 'secretsmanager.get-secret-value', true) },
  ]);
}

/** A node's instance-profile credentials replayed from an external host. */
export function stolenNodeCreds(ctx: Ctx, cluster: Cluster): Actor {
  const { rng, world } = ctx;
  const node = cluster.nodes[1]!;
  const ip = `45.${rng.between(130, 159)}.${rng.between(1, 254)}.${rng.between(2, 250)}`;
  const ua = 'Boto3/1.28.57 md/Botocore#1.31.57 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.57';
  const res = { accountId: cluster.account.id, region: cluster.region, bucket: 'x', table: 'x', queue: 'x', secret: 'x', kmsKeyId: 'x', param: '/x', cluster: cluster.name, instanceId: node.instanceId };
  const call = (name: string, forceError = false): Step['run'] => (t) => {
    emitCall(ctx, t, ctx.nodeSession(node, t), ACTIONS[name]!(rng, res), { ip, ua, region: cluster.region, errorP: 0, forceError });
  };
  return new Script(world.t0 + Math.floor(world.spanMs * 0.47), [
    { dt: 0, run: call('sts:GetCallerIdentity') },
    { dt: 30_000, run: call('s3:ListBuckets') },
    { dt: 50_000, run: call('iam:ListRoles') },
    { dt: 80_000, run: call('ec2:DescribeInstances') },
    { dt: 120_000, run: call('secretsmanager:ListSecrets', true) },
  ]);
}
