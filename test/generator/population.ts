/** Who acts in the world: Kubernetes workloads, SSO humans, the CI user and sessions issued off-trail. */

import type { ActionMix, ResourceCtx } from './catalog';
import { ids } from './ids';
import type { Rng } from './rng';
import { makeRole, resources, type Account, type AccountAlias, type Role } from './roles';
import type { Cluster } from './world';

export type SdkId = 'boto3' | 'java' | 'js' | 'go';

const KERNEL = '5.10.223-212.873.amzn2.x86_64';

/**
 * Per SDK: its user agent, and its default web-identity role session name. botocore and the Java SDK name the
 * session once, when the credential provider is created (`perProcess`), and reuse the name for every refresh;
 * the JavaScript v3 and Go SDKs name each exchange after its own time (Go: the bare Unix time in nanoseconds).
 */
export const SDKS: Record<SdkId, { ua: (svc: string) => string; irsaSession: (tMs: number, rng: Rng) => string; perProcess: boolean }> = {
  boto3: {
    perProcess: true,
    ua: () => `Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#${KERNEL} md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69`,
    irsaSession: (t) => `botocore-session-${Math.floor(t / 1000)}`,
  },
  java: {
    perProcess: true,
    ua: () => `aws-sdk-java/2.25.16 Linux/${KERNEL} OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy`,
    irsaSession: (t) => `aws-sdk-java-${t}`,
  },
  js: {
    perProcess: false,
    ua: (svc) => `aws-sdk-js/3.540.0 ua/2.0 os/linux#${KERNEL} lang/js md/nodejs#20.12.0 api/${svc}#3.540.0`,
    irsaSession: (t) => `aws-sdk-js-session-${t}`,
  },
  go: {
    perProcess: false,
    ua: (svc) => `aws-sdk-go-v2/1.26.1 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64 api/${svc}#1.30.4`,
    // aws-sdk-go(-v2) stscreds: strconv.FormatInt(time.Now().UTC().UnixNano(), 10), a bare nanosecond time.
    irsaSession: (t, rng) => `${Math.floor(t)}${rng.chars('0123456789', 6)}`,
  },
};

/** How a workload gets AWS credentials. */
export type Variant = 'irsa' | 'pi' | 'pi-notags' | 'pi-target' | 'node';

/** A role the workload's session assumes in turn (IRSA role chaining); `from` is -1 for the root session. */
export interface ChainHop {
  role: Role;
  from: number;
  share: number;
  sessionName: string;
  mix: ActionMix;
  res: ResourceCtx;
}

export interface Workload {
  cluster: Cluster;
  namespace: string;
  serviceAccount: string;
  name: string;
  daemonSet: boolean;
  variant: Variant;
  role: Role | null;
  /** Pod Identity `targetRoleArn` (role in the data account). */
  targetRole: Role | null;
  targetRes: ResourceCtx | null;
  chain: ChainHop[];
  sdk: SdkId;
  mix: ActionMix;
  res: ResourceCtx;
  replicas: number;
  weight: number;
  rsHash: string;
  /** A rollout (new ReplicaSet hash) at this time, or Infinity. */
  rolloutAt: number;
  nextRsHash: string;
  restartMeanMs: number;
}

export interface Human {
  email: string;
  permissionSet: string;
  roles: Role[];
  ip: string;
  console: boolean;
  mix: ActionMix;
  weight: number;
}

export interface CiUser {
  userName: string;
  arn: string;
  userId: string;
  accessKeyId: string;
  account: Account;
  deployRole: Role;
  ips: string[];
  userMix: ActionMix;
  deployMix: ActionMix;
  userRes: ResourceCtx;
  deployRes: ResourceCtx;
}

/** A session whose issuing event is not in the bundle (issued before it, or by a party outside it). */
export interface DroppedSession {
  role: Role;
  sessionName: string;
  accessKeyId: string;
  issuedAt: number;
  region: string;
  ip: string;
  ua: string;
  mix: ActionMix;
  res: ResourceCtx;
  until: number;
  weight: number;
}

type Accounts = Record<AccountAlias, Account>;

interface Spec {
  c: Cluster;
  ns: string;
  sa: string;
  name: string;
  variant: Variant;
  sdk: SdkId;
  replicas: number;
  weight: number;
  mix: ActionMix;
  ds?: boolean;
  target?: string;
  chain?: { account: AccountAlias; role: string; from: number; share: number; session: string; mix: ActionMix }[];
}

export function buildWorkloads(rng: Rng, a: Accounts, clusters: Cluster[], t0: number, spanMs: number): Workload[] {
  const [pe, pw] = clusters as [Cluster, Cluster];
  const s3rw: ActionMix = [['s3:GetObject', 3], ['s3:PutObject', 1], ['s3:ListObjects', 1]];
  const specs: Spec[] = [
    { c: pe, ns: 'checkout', sa: 'checkout-api', name: 'checkout-api', variant: 'irsa', sdk: 'boto3', replicas: 3, weight: 3,
      mix: [['dynamodb:GetItem', 4], ['dynamodb:PutItem', 2], ['dynamodb:Query', 2], ['sqs:SendMessage', 2], ['secretsmanager:GetSecretValue', 1], ['kms:Decrypt', 1]] },
    { c: pe, ns: 'orders', sa: 'orders-worker', name: 'orders-worker', variant: 'irsa', sdk: 'java', replicas: 2, weight: 2.5,
      mix: [['sqs:ReceiveMessage', 4], ['sqs:DeleteMessage', 3], ['s3:PutObject', 1]],
      chain: [{ account: 'data', role: 'orders-data-reader', from: -1, share: 0.4, session: 'orders-worker', mix: [['s3:GetObject', 4], ['s3:ListObjects', 1], ['s3:HeadObject', 1]] }] },
    { c: pe, ns: 'analytics', sa: 'report-builder', name: 'report-builder', variant: 'irsa', sdk: 'boto3', replicas: 1, weight: 1.5,
      mix: [['s3:ListObjects', 1], ['s3:GetObject', 2]],
      chain: [
        { account: 'data', role: 'analytics-reader', from: -1, share: 0.35, session: 'report-builder', mix: [['s3:GetObject', 3], ['dynamodb:Query', 1], ['s3:ListObjects', 1]] },
        { account: 'security', role: 'audit-archive-writer', from: 0, share: 0.25, session: 'report-builder-archive', mix: [['s3:PutObject', 3], ['kms:GenerateDataKey', 1]] },
      ] },
    { c: pe, ns: 'kube-system', sa: 'aws-load-balancer-controller', name: 'aws-load-balancer-controller', variant: 'irsa', sdk: 'go', replicas: 1, weight: 1,
      mix: [['elasticloadbalancing:DescribeTargetGroups', 2], ['elasticloadbalancing:DescribeTargetHealth', 3], ['ec2:DescribeSecurityGroups', 1]] },
    { c: pe, ns: 'kube-system', sa: 'cluster-autoscaler', name: 'cluster-autoscaler', variant: 'irsa', sdk: 'go', replicas: 1, weight: 0.8,
      mix: [['autoscaling:DescribeAutoScalingGroups', 3], ['autoscaling:DescribeScalingActivities', 1], ['ec2:DescribeInstanceStatus', 1]] },
    { c: pe, ns: 'kube-system', sa: 'ebs-csi-controller-sa', name: 'ebs-csi-controller', variant: 'pi', sdk: 'go', replicas: 2, weight: 1.5,
      mix: [['ec2:DescribeVolumes', 4], ['ec2:AttachVolume', 1]] },
    { c: pe, ns: 'catalog', sa: 'catalog-api', name: 'catalog-api', variant: 'pi', sdk: 'js', replicas: 3, weight: 4,
      mix: [['dynamodb:GetItem', 4], ['dynamodb:Query', 2], ['s3:GetObject', 2], ['ssm:GetParameter', 1]] },
    { c: pe, ns: 'search', sa: 'search-indexer', name: 'search-indexer', variant: 'pi-notags', sdk: 'java', replicas: 2, weight: 1,
      mix: [['sqs:ReceiveMessage', 3], ['s3:GetObject', 2], ['s3:PutObject', 1]] },
    { c: pe, ns: 'ml', sa: 'feature-store', name: 'feature-store', variant: 'pi-target', sdk: 'boto3', replicas: 2, weight: 1, target: 'feature-store-reader',
      mix: [['s3:GetObject', 4], ['s3:ListObjects', 1], ['dynamodb:Query', 1]] },
    { c: pe, ns: 'kube-system', sa: 'aws-node', name: 'aws-node', variant: 'node', sdk: 'go', replicas: 0, weight: 1, ds: true,
      mix: [['ec2:DescribeNetworkInterfaces', 3], ['ec2:AssignPrivateIpAddresses', 1], ['ec2:DescribeInstances', 1]] },
    { c: pe, ns: 'default', sa: 'default', name: 'legacy-poller', variant: 'node', sdk: 'boto3', replicas: 1, weight: 1.2,
      mix: [['s3:ListObjects', 2], ['s3:GetObject', 2], ['sqs:ReceiveMessage', 2]] },
    { c: pw, ns: 'payments', sa: 'payments-api', name: 'payments-api', variant: 'irsa', sdk: 'js', replicas: 3, weight: 3,
      mix: [['secretsmanager:GetSecretValue', 2], ['kms:Decrypt', 2], ['dynamodb:GetItem', 3], ['dynamodb:PutItem', 2]] },
    { c: pw, ns: 'payments', sa: 'ledger-writer', name: 'ledger-writer', variant: 'pi', sdk: 'java', replicas: 2, weight: 3,
      mix: [['dynamodb:PutItem', 3], ['dynamodb:Query', 2], ['kms:GenerateDataKey', 1]] },
    { c: pw, ns: 'payments', sa: 'fraud-scorer', name: 'fraud-scorer', variant: 'pi-target', sdk: 'boto3', replicas: 2, weight: 0.9, target: 'fraud-model-reader',
      mix: [['s3:GetObject', 4], ['s3:HeadObject', 1]] },
    { c: pw, ns: 'payments', sa: 'settlement', name: 'settlement', variant: 'irsa', sdk: 'java', replicas: 1, weight: 1.2,
      mix: [['s3:PutObject', 2], ['dynamodb:Query', 2]],
      chain: [{ account: 'data', role: 'settlement-exports', from: -1, share: 0.5, session: 'settlement-export', mix: [['s3:PutObject', 3], ['s3:ListObjects', 1]] }] },
    { c: pw, ns: 'kube-system', sa: 'external-dns', name: 'external-dns', variant: 'irsa', sdk: 'go', replicas: 1, weight: 0.5,
      mix: [['route53:ListResourceRecordSets', 4], ['route53:ChangeResourceRecordSets', 1]] },
    { c: pw, ns: 'risk', sa: 'risk-engine', name: 'risk-engine', variant: 'pi-notags', sdk: 'boto3', replicas: 2, weight: 0.9,
      mix: [['sqs:ReceiveMessage', 2], ['sqs:SendMessage', 1], ['s3:GetObject', 1]] },
    { c: pw, ns: 'kube-system', sa: 'aws-node', name: 'aws-node', variant: 'node', sdk: 'go', replicas: 0, weight: 1, ds: true,
      mix: [['ec2:DescribeNetworkInterfaces', 3], ['ec2:AssignPrivateIpAddresses', 1], ['ec2:DescribeInstances', 1]] },
    { c: pw, ns: 'payments', sa: 'default', name: 'batch-reconciler', variant: 'node', sdk: 'java', replicas: 1, weight: 1,
      mix: [s3rw[0]!, ['s3:ListObjects', 1], ['dynamodb:Query', 2]] },
  ];
  return specs.map((s) => {
    const acct = s.c.account;
    const role = s.variant === 'node' ? null : makeRole(rng, acct, s.variant === 'irsa' ? `${s.c.name}-${s.name}` : `${s.name}-pod-role`);
    const chain: ChainHop[] = (s.chain ?? []).map((h) => ({
      role: makeRole(rng, a[h.account], h.role),
      from: h.from,
      share: h.share,
      sessionName: h.session,
      mix: h.mix,
      res: resources(rng, a[h.account], s.c.region, `${h.role}`),
    }));
    const targetRole = s.target ? makeRole(rng, a.data, s.target) : null;
    return {
      cluster: s.c,
      namespace: s.ns,
      serviceAccount: s.sa,
      name: s.name,
      daemonSet: s.ds === true,
      variant: s.variant,
      role,
      targetRole,
      targetRes: s.target ? resources(rng, a.data, s.c.region, s.target) : null,
      chain,
      sdk: s.sdk,
      mix: s.mix,
      res: { ...resources(rng, acct, s.c.region, `${s.c.name}-${s.name}`), cluster: s.c.name },
      replicas: s.replicas,
      weight: s.weight,
      rsHash: ids.podHash(rng),
      rolloutAt: rng.chance(0.4) ? t0 + Math.floor(spanMs * (0.3 + 0.4 * rng.next())) : Infinity,
      nextRsHash: ids.podHash(rng),
      restartMeanMs: (2 + 3 * rng.next()) * 3_600_000,
    };
  });
}

const CONSOLE_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36';

export function humanUa(h: Human, eventSource: string, eventName: string): string {
  if (h.console) return CONSOLE_UA;
  const svc = eventSource.split('.')[0]!;
  const cmd = eventName.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  return `aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/${svc}.${cmd}`;
}

export function buildHumans(rng: Rng, a: Accounts, t0: number, spanMs: number): { humans: Human[]; ci: CiUser; dropped: DroppedSession[] } {
  const sso = (acct: Account, ps: string): Role => makeRole(rng, acct, `AWSReservedSSO_${ps}_${rng.hex(16)}`, '/aws-reserved/sso.amazonaws.com/');
  const office = `${rng.between(80, 95)}.${rng.between(1, 254)}.${rng.between(1, 254)}.${rng.between(1, 254)}`;
  const humans: Human[] = [
    { email: 'alice.nguyen@example.com', permissionSet: 'AdministratorAccess', roles: [sso(a.workloads, 'AdministratorAccess')], ip: office, console: false, weight: 3,
      mix: [['eks:DescribeCluster', 2], ['eks:ListClusters', 1], ['eks:ListNodegroups', 1], ['ec2:DescribeInstances', 2], ['iam:GetRole', 1], ['logs:DescribeLogGroups', 1], ['cloudformation:DescribeStacks', 1]] },
    { email: 'bob.martin@example.com', permissionSet: 'ReadOnlyAccess', roles: [sso(a.workloads, 'ReadOnlyAccess'), sso(a.data, 'ReadOnlyAccess')], ip: office, console: true, weight: 2,
      mix: [['ec2:DescribeInstances', 2], ['s3:ListBuckets', 1], ['cloudformation:DescribeStacks', 1], ['eks:ListClusters', 1], ['dynamodb:DescribeTable', 1]] },
    { email: 'carol.diaz@example.com', permissionSet: 'DataEngineer', roles: [sso(a.data, 'DataEngineer')], ip: `${rng.between(60, 79)}.${rng.between(1, 254)}.${rng.between(1, 254)}.${rng.between(1, 254)}`, console: false, weight: 2,
      mix: [['s3:GetObject', 3], ['s3:ListObjects', 2], ['dynamodb:DescribeTable', 1], ['dynamodb:Query', 1]] },
    { email: 'dave.kim@example.com', permissionSet: 'SecurityAudit', roles: [sso(a.security, 'SecurityAudit'), sso(a.workloads, 'SecurityAudit')], ip: office, console: true, weight: 1,
      mix: [['cloudtrail:LookupEvents', 3], ['cloudtrail:DescribeTrails', 1], ['guardduty:ListFindings', 2], ['iam:ListRoles', 1], ['iam:ListAttachedRolePolicies', 1]] },
  ];
  const ciAcct = a.security;
  const ci: CiUser = {
    userName: 'github-actions-deployer',
    arn: `arn:aws:iam::${ciAcct.id}:user/ci/github-actions-deployer`,
    userId: ids.userId(rng, ciAcct.keyPrefix),
    accessKeyId: ids.userKey(rng, ciAcct.keyPrefix),
    account: ciAcct,
    deployRole: makeRole(rng, a.workloads, 'ci-deploy'),
    ips: Array.from({ length: 6 }, () => `${rng.pick([4, 20, 40, 52])}.${rng.between(1, 254)}.${rng.between(1, 254)}.${rng.between(1, 254)}`),
    userMix: [['ecr:GetAuthorizationToken', 2], ['ecr:PutImage', 1], ['s3:PutObject', 2], ['sts:GetCallerIdentity', 1]],
    deployMix: [['eks:DescribeCluster', 3], ['eks:ListNodegroups', 1], ['cloudformation:DescribeStacks', 2], ['ecr:BatchGetImage', 2], ['iam:GetRole', 1]],
    userRes: resources(rng, ciAcct, 'us-east-1', 'ci-artifacts'),
    deployRes: { ...resources(rng, a.workloads, 'us-east-1', 'ci-deploy'), cluster: 'prod-east' },
  };
  const partnerIp = `${rng.between(100, 130)}.${rng.between(1, 254)}.${rng.between(1, 254)}.${rng.between(1, 254)}`;
  const dropped: DroppedSession[] = [
    { role: makeRole(rng, a.data, 'partner-analytics-access'), sessionName: `partner-sync-${rng.between(1000, 9999)}`, issuedAt: t0 - 95 * 60_000,
      region: 'us-east-1', ip: partnerIp, ua: SDKS.boto3.ua('s3'), mix: [['s3:GetObject', 4], ['s3:ListObjects', 2]],
      res: resources(rng, a.data, 'us-east-1', 'partner-share'), until: t0 + spanMs * 2, weight: 3, accessKeyId: ids.tempKey(rng, a.data.keyPrefix) },
    { role: makeRole(rng, a.workloads, 'ops-breakglass'), sessionName: 'jdoe-incident-2291', issuedAt: t0 - 30 * 60_000,
      region: 'us-east-1', ip: office, ua: 'aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off', mix: [['ec2:DescribeInstances', 2], ['eks:ListClusters', 1], ['iam:ListRoles', 1]],
      res: { ...resources(rng, a.workloads, 'us-east-1', 'ops'), cluster: 'prod-east' }, until: t0 + 3 * 3_600_000, weight: 1, accessKeyId: ids.tempKey(rng, a.workloads.keyPrefix) },
    { role: ci.deployRole, sessionName: 'GitHubActions', issuedAt: t0 - 20 * 60_000,
      region: 'us-east-1', ip: ci.ips[0]!, ua: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-azure exe/x86_64.ubuntu.22 prompt/off', mix: ci.deployMix,
      res: ci.deployRes, until: t0 + 35 * 60_000, weight: 1.5, accessKeyId: ids.tempKey(rng, a.workloads.keyPrefix) },
  ];
  return { humans, ci, dropped };
}
