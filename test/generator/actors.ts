/** Non-pod actors: node agents, SSO humans, the CI user, AWS services and sessions issued off-trail. */

import { ACTIONS, s3Extra, type ActionMix, type ResourceCtx } from './catalog';
import { ids } from './ids';
import { humanUa, type DroppedSession, type Human } from './population';
import { record } from './records';
import { resources, type Role } from './roles';
import { emitCall, nextAfter, pickAction, type Actor } from './scenario';
import { assumeRole, iamUserSession, issueService, offTrailSession, type Ctx, type Session } from './sts';
import { truths } from './truth';
import type { Node } from './world';

const NODE_MIX: ActionMix = [
  ['ssm:UpdateInstanceInformation', 5], ['ecr:GetAuthorizationToken', 1], ['ecr:BatchGetImage', 2], ['ec2:DescribeTags', 1], ['ec2:DescribeInstances', 1],
];
const NODE_UA: Record<string, string> = {
  ssm: 'aws-sdk-go/1.44.260 (go1.20.12; linux; amd64) amazon-ssm-agent/',
  ecr: 'aws-sdk-go-v2/1.24.1 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64 api/ecr#1.24.7 ecr-credential-provider',
  ec2: 'aws-sdk-go-v2/1.24.1 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.146.0 nodeadm',
};

/** The node's own agents (SSM agent, kubelet's ECR credential provider, nodeadm) using the instance profile. */
export class NodeActor implements Actor {
  next: number;
  private booted = false;
  private readonly res: ResourceCtx;

  constructor(private readonly ctx: Ctx, private readonly node: Node, private readonly ratePerMs: number) {
    this.next = node.start;
    this.res = { ...resources(ctx.rng, node.cluster.account, node.cluster.region, 'node'), instanceId: node.instanceId, cluster: node.cluster.name };
  }

  act(t: number): void {
    const { ctx, node } = this;
    if (t >= node.end) {
      this.next = Infinity;
      return;
    }
    const s = ctx.nodeSession(node, t);
    const out = this.booted ? pickAction(ctx.rng, NODE_MIX, this.res) : ACTIONS['ec2:DescribeInstances']!(ctx.rng, this.res);
    this.booted = true;
    const svc = out.eventSource.split('.')[0]!;
    // k8s option: a service the VPC reaches through an endpoint shows the node's own address.
    const ip = ctx.k8s?.viaEndpoint(node.cluster, svc) ? node.privateIp : node.natIp;
    emitCall(ctx, t, s, out, { ip, ua: NODE_UA[svc] ?? NODE_UA.ec2!, region: node.cluster.region, tls12: svc === 'ssm', errorP: 0.01 });
    this.next = nextAfter(ctx.rng, t, this.ratePerMs);
  }
}

/** An SSO user: sessions of `AWSReservedSSO_*` roles, re-minted every few hours with no STS record. */
export class HumanActor implements Actor {
  next: number;
  private readonly sessions = new Map<Role, Session>();
  private readonly res = new Map<string, ResourceCtx>();

  constructor(private readonly ctx: Ctx, private readonly h: Human, private readonly ratePerMs: number) {
    this.next = ctx.world.t0 + ctx.rng.int(600_000);
  }

  session(role: Role, t: number): Session {
    let s = this.sessions.get(role);
    if (!s || t >= s.refreshAt) {
      const { rng } = this.ctx;
      const minted = s ? t - rng.int(120_000) : t - rng.between(5, 50) * 60_000;
      s = offTrailSession(rng, role, this.h.email, minted, truths.sso(), t + rng.between(60, 240) * 60_000);
      this.sessions.set(role, s);
    }
    return s;
  }

  act(t: number): void {
    const { ctx, h } = this;
    const { rng, world } = ctx;
    const role = rng.pick(h.roles);
    const region = role.account.alias === 'workloads' ? rng.pick(world.regions) : 'us-east-1';
    const key = `${role.account.id}/${region}`;
    let res = this.res.get(key);
    if (!res) {
      const cluster = world.clusters.find((c) => c.region === region);
      res = { ...resources(rng, role.account, region, `${role.account.alias}-shared`), cluster: cluster?.name };
      this.res.set(key, res);
    }
    const out = pickAction(rng, h.mix, res);
    emitCall(ctx, t, this.session(role, t), out, { ip: h.ip, ua: humanUa(h, out.eventSource, out.eventName), region, errorP: 0.04 });
    this.next = nextAfter(rng, t, this.ratePerMs);
  }
}

/** The CI IAM user: its own calls with an `AKIA` key, and calls through the cross-account deploy role. */
export class CiActor implements Actor {
  next: number;
  private readonly user: Session;
  private deploy: Session | null = null;
  private ip = '';

  constructor(private readonly ctx: Ctx, private readonly ratePerMs: number) {
    const ci = ctx.world.ci;
    this.user = iamUserSession(ci.userName, ci.arn, ci.userId, ci.accessKeyId, ci.account.id);
    this.next = ctx.world.t0 + 40 * 60_000 + ctx.rng.int(300_000);
  }

  act(t: number): void {
    const { ctx } = this;
    const { rng } = ctx;
    const ci = ctx.world.ci;
    const ua = (cmd: string): string => `aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-azure exe/x86_64.ubuntu.22 prompt/off command/${cmd}`;
    if (!this.deploy || t >= this.deploy.refreshAt) this.ip = rng.pick(ci.ips);
    if (rng.chance(0.5)) {
      const out = pickAction(rng, ci.userMix, ci.userRes);
      emitCall(ctx, t, this.user, out, { ip: this.ip, ua: ua(`${out.eventSource.split('.')[0]}.${out.eventName}`), region: 'us-east-1' });
    } else {
      if (!this.deploy || t >= this.deploy.refreshAt) {
        const args = { caller: this.user, role: ci.deployRole, sessionName: 'GitHubActions', ip: this.ip, ua: ua('sts.assume-role'), truthForNew: truths.iamUser() };
        if (rng.chance(0.05)) {
          assumeRole(ctx, t, { ...args, error: { code: 'AccessDenied', message: `User: ${ci.arn} is not authorized to perform: sts:AssumeRole on resource: ${ci.deployRole.arn}` } });
          t += 1000;
        }
        this.deploy = assumeRole(ctx, t, args);
      }
      const out = pickAction(rng, ci.deployMix, ci.deployRes);
      emitCall(ctx, t, this.deploy!, out, { ip: this.ip, ua: ua(`${out.eventSource.split('.')[0]}.${out.eventName}`), region: 'us-east-1' });
    }
    this.next = nextAfter(rng, t, this.ratePerMs);
  }
}

/** A session whose issuance is outside the bundle. */
export class DroppedActor implements Actor {
  next: number;
  private readonly s: Session;

  constructor(private readonly ctx: Ctx, private readonly d: DroppedSession, private readonly ratePerMs: number) {
    this.s = offTrailSession(ctx.rng, d.role, d.sessionName, d.issuedAt, truths.dropped(), Infinity, {}, d.accessKeyId);
    this.next = ctx.world.t0 + ctx.rng.int(120_000);
  }

  act(t: number): void {
    const { ctx, d } = this;
    if (t >= d.until) {
      this.next = Infinity;
      return;
    }
    emitCall(ctx, t, this.s, pickAction(ctx.rng, d.mix, d.res), { ip: d.ip, ua: d.ua, region: d.region });
    this.next = nextAfter(ctx.rng, t, this.ratePerMs);
  }
}

type ServiceKind = 'cloudtrail' | 'autoscaling' | 'eks-nodegroup' | 'config' | 'service-event';

/** AWS services acting on their own: `AWSService` callers and service-linked role sessions. */
export class ServiceActor implements Actor {
  next: number;
  private readonly slr = new Map<string, Session>();

  constructor(private readonly ctx: Ctx, private readonly ratePerMs: number) {
    this.next = ctx.world.t0 + ctx.rng.int(60_000);
  }

  private slrSession(key: string, t: number, make: () => Session): Session {
    let s = this.slr.get(key);
    if (!s || t >= s.refreshAt) this.slr.set(key, (s = make()));
    return s;
  }

  act(t: number): void {
    const { ctx } = this;
    const { rng, world } = ctx;
    const kind = rng.weighted<ServiceKind>([['cloudtrail', 25], ['autoscaling', 25], ['eks-nodegroup', 10], ['config', 35], ['service-event', 5]]);
    const cluster = rng.pick(world.clusters);
    const res = { ...resources(rng, cluster.account, cluster.region, 'svc'), cluster: cluster.name };
    if (kind === 'cloudtrail') {
      const sec = world.accounts.security;
      const bucket = rng.pick([world.orgBucket, world.accounts.workloads.trailBucket, world.accounts.data.trailBucket, sec.trailBucket]);
      ctx.emit(record({
        version: '1.10', userIdentity: { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' }, t, eventSource: 's3.amazonaws.com', eventName: 'GetBucketAcl',
        region: 'us-east-1', ip: 'cloudtrail.amazonaws.com', ua: 'cloudtrail.amazonaws.com',
        requestParameters: { bucketName: bucket, Host: `${bucket}.s3.us-east-1.amazonaws.com`, acl: '' }, responseElements: null,
        additionalEventData: s3Extra(rng, 0, 552), requestID: ids.s3RequestId(rng), eventID: rng.uuid(), readOnly: true,
        resources: [{ accountId: sec.id, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }], recipientAccountId: sec.id, sharedEventID: rng.uuid(),
      }), truths.awsService());
    } else if (kind === 'autoscaling' || kind === 'eks-nodegroup') {
      const svc = kind === 'autoscaling' ? 'autoscaling.amazonaws.com' : 'eks-nodegroup.amazonaws.com';
      const role = kind === 'autoscaling' ? world.serviceRoles.autoscaling : world.serviceRoles.eksNodegroup;
      const sessionName = kind === 'autoscaling' ? 'AutoScaling' : 'EKS';
      const s = this.slrSession(kind, t, () => issueService(ctx, t, role, svc, sessionName, cluster.region));
      const mix: ActionMix = kind === 'autoscaling'
        ? [['ec2:DescribeInstanceStatus', 3], ['ec2:DescribeInstances', 1]]
        : [['autoscaling:DescribeAutoScalingGroups', 2], ['ec2:DescribeInstances', 1]];
      emitCall(ctx, t, s, pickAction(rng, mix, res), { ip: svc, ua: svc, region: cluster.region, noTls: true, errorP: 0.005 });
    } else if (kind === 'config') {
      const acct = rng.pick([world.accounts.workloads, world.accounts.data, world.accounts.security]);
      const role = world.serviceRoles.config[acct.alias];
      const s = this.slrSession(`config/${acct.id}`, t, () => issueService(ctx, t, role, 'config.amazonaws.com', 'AWSConfig-Describe', 'us-east-1'));
      const out = pickAction(rng, [['ec2:DescribeSecurityGroups', 2], ['ec2:DescribeInstances', 2], ['iam:ListRoles', 1]], { ...res, accountId: acct.id, region: 'us-east-1' });
      emitCall(ctx, t, s, out, { ip: 'config.amazonaws.com', ua: 'config.amazonaws.com', region: 'us-east-1', noTls: true, errorP: 0.005 });
    } else {
      const secret = `arn:aws:secretsmanager:${cluster.region}:${cluster.account.id}:secret:payments/db-rotation-${rng.chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJ', 6)}`;
      ctx.emit(record({
        version: '1.08', userIdentity: { accountId: cluster.account.id, invokedBy: 'secretsmanager.amazonaws.com' }, t,
        eventSource: 'secretsmanager.amazonaws.com', eventName: 'RotationSucceeded', region: cluster.region,
        ip: 'secretsmanager.amazonaws.com', ua: 'secretsmanager.amazonaws.com', requestParameters: null, responseElements: null,
        additionalEventData: { SecretId: secret }, requestID: rng.uuid(), eventID: rng.uuid(), readOnly: false,
        eventType: 'AwsServiceEvent', recipientAccountId: cluster.account.id,
      }), truths.awsService());
    }
    this.next = nextAfter(rng, t, this.ratePerMs);
  }
}
