/**
 * The API calls workloads make: for each, the record fields that depend on the call (event source and name,
 * request parameters, resources, data-event extras). Identity, time and envelope fields are added by
 * `records.ts`.
 */

import { ids } from './ids';
import type { Rng } from './rng';

/** The resources a caller touches, in one account and region. */
export interface ResourceCtx {
  accountId: string;
  region: string;
  bucket: string;
  table: string;
  queue: string;
  secret: string;
  kmsKeyId: string;
  param: string;
  cluster?: string;
  instanceId?: string;
}

export interface ActionOut {
  eventSource: string;
  eventName: string;
  readOnly: boolean;
  /** A data event (eventCategory "Data", managementEvent false). */
  data?: boolean;
  requestParameters: unknown;
  responseElements?: unknown;
  additionalEventData?: unknown;
  resources?: unknown[];
  /** Region override for global services (IAM, Route 53 log in us-east-1). */
  region?: string;
  /** TLS host header; defaults to `<service>.<region>.amazonaws.com`. */
  host?: string;
  /** S3 request ids are 16 upper-case alphanumerics, not UUIDs. */
  s3?: boolean;
  /** ARN named in an AccessDenied message. */
  resourceArn?: string;
}

export type ActionFn = (rng: Rng, r: ResourceCtx) => ActionOut;

const OBJECT_PREFIXES = ['incoming', 'exports', 'reports', 'cache', 'models', 'batches'];

function objectKey(rng: Rng): string {
  return `${rng.pick(OBJECT_PREFIXES)}/2026/03/${rng.hex(8)}/${rng.hex(12)}.${rng.pick(['json', 'parquet', 'csv', 'gz'])}`;
}

function s3Object(rng: Rng, r: ResourceCtx, eventName: string, readOnly: boolean): ActionOut {
  const key = objectKey(rng);
  const bytesOut = readOnly ? rng.between(200, 4_000_000) : 0;
  return {
    eventSource: 's3.amazonaws.com',
    eventName,
    readOnly,
    data: true,
    s3: true,
    requestParameters: { bucketName: r.bucket, Host: `${r.bucket}.s3.${r.region}.amazonaws.com`, key },
    responseElements: readOnly ? null : { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': kmsArn(r) },
    additionalEventData: s3Extra(rng, readOnly ? 0 : rng.between(200, 2_000_000), bytesOut),
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${r.bucket}/${key}` },
      { accountId: r.accountId, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${r.bucket}` },
    ],
    host: `${r.bucket}.s3.${r.region}.amazonaws.com`,
    resourceArn: `arn:aws:s3:::${r.bucket}/${key}`,
  };
}

export function s3Extra(rng: Rng, bytesIn: number, bytesOut: number): Record<string, unknown> {
  return {
    SignatureVersion: 'SigV4',
    CipherSuite: 'TLS_AES_128_GCM_SHA256',
    bytesTransferredIn: bytesIn,
    AuthenticationMethod: 'AuthHeader',
    'x-amz-id-2': ids.xAmzId2(rng),
    bytesTransferredOut: bytesOut,
  };
}

function kmsArn(r: ResourceCtx): string {
  return `arn:aws:kms:${r.region}:${r.accountId}:key/${r.kmsKeyId}`;
}
function secretArn(r: ResourceCtx): string {
  return `arn:aws:secretsmanager:${r.region}:${r.accountId}:secret:${r.secret}`;
}
function tableArn(r: ResourceCtx): string {
  return `arn:aws:dynamodb:${r.region}:${r.accountId}:table/${r.table}`;
}
function queueUrl(r: ResourceCtx): string {
  return `https://sqs.${r.region}.amazonaws.com/${r.accountId}/${r.queue}`;
}

function simple(eventSource: string, eventName: string, readOnly: boolean, requestParameters: unknown, extra: Partial<ActionOut> = {}): ActionOut {
  return { eventSource, eventName, readOnly, requestParameters, ...extra };
}

function ddb(eventName: string, readOnly: boolean): ActionFn {
  return (rng, r) =>
    simple('dynamodb.amazonaws.com', eventName, readOnly, eventName === 'Query'
      ? { tableName: r.table, keyConditionExpression: 'pk = :pk', limit: 50 }
      : { tableName: r.table, key: { pk: `id#${rng.hex(12)}` } }, {
      data: true,
      resources: [{ accountId: r.accountId, type: 'AWS::DynamoDB::Table', ARN: tableArn(r) }],
      resourceArn: tableArn(r),
    });
}

function sqs(eventName: string, readOnly: boolean): ActionFn {
  return (rng, r) =>
    simple('sqs.amazonaws.com', eventName, readOnly,
      eventName === 'ReceiveMessage' ? { queueUrl: queueUrl(r), maxNumberOfMessages: 10, waitTimeSeconds: 20 }
        : eventName === 'DeleteMessage' ? { queueUrl: queueUrl(r), receiptHandle: 'HIDDEN_DUE_TO_SECURITY_REASONS' }
          : { queueUrl: queueUrl(r), messageBody: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
      {
        data: true,
        responseElements: eventName === 'SendMessage' ? { mD5OfMessageBody: rng.hex(32), messageId: rng.uuid() } : null,
        resources: [{ accountId: r.accountId, type: 'AWS::SQS::Queue', ARN: `arn:aws:sqs:${r.region}:${r.accountId}:${r.queue}` }],
        resourceArn: `arn:aws:sqs:${r.region}:${r.accountId}:${r.queue}`,
      });
}

const ENI = (rng: Rng): string => `eni-0${rng.hex(16)}`;

export const ACTIONS: Record<string, ActionFn> = {
  's3:GetObject': (rng, r) => s3Object(rng, r, 'GetObject', true),
  's3:PutObject': (rng, r) => s3Object(rng, r, 'PutObject', false),
  's3:HeadObject': (rng, r) => s3Object(rng, r, 'HeadObject', true),
  's3:ListObjects': (rng, r) => ({
    ...s3Object(rng, r, 'ListObjects', true),
    requestParameters: { bucketName: r.bucket, Host: `${r.bucket}.s3.${r.region}.amazonaws.com`, 'list-type': '2', prefix: `${rng.pick(OBJECT_PREFIXES)}/`, 'max-keys': 1000 },
    resources: [{ accountId: r.accountId, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${r.bucket}` }],
  }),
  's3:ListBuckets': (rng) => simple('s3.amazonaws.com', 'ListBuckets', true, { Host: 's3.amazonaws.com' }, {
    s3: true, additionalEventData: s3Extra(rng, 0, rng.between(800, 9000)), host: 's3.amazonaws.com',
  }),
  'dynamodb:GetItem': ddb('GetItem', true),
  'dynamodb:PutItem': ddb('PutItem', false),
  'dynamodb:Query': ddb('Query', true),
  'dynamodb:DescribeTable': (_rng, r) => simple('dynamodb.amazonaws.com', 'DescribeTable', true, { tableName: r.table }, { resourceArn: tableArn(r) }),
  'sqs:SendMessage': sqs('SendMessage', false),
  'sqs:ReceiveMessage': sqs('ReceiveMessage', true),
  'sqs:DeleteMessage': sqs('DeleteMessage', false),
  'secretsmanager:GetSecretValue': (_rng, r) => simple('secretsmanager.amazonaws.com', 'GetSecretValue', true, { secretId: secretArn(r) }, { resourceArn: secretArn(r) }),
  'secretsmanager:DescribeSecret': (_rng, r) => simple('secretsmanager.amazonaws.com', 'DescribeSecret', true, { secretId: secretArn(r) }, { resourceArn: secretArn(r) }),
  'secretsmanager:ListSecrets': () => simple('secretsmanager.amazonaws.com', 'ListSecrets', true, null),
  'kms:Decrypt': (_rng, r) => simple('kms.amazonaws.com', 'Decrypt', true, { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }, {
    resources: [{ accountId: r.accountId, type: 'AWS::KMS::Key', ARN: kmsArn(r) }], resourceArn: kmsArn(r),
  }),
  'kms:GenerateDataKey': (_rng, r) => simple('kms.amazonaws.com', 'GenerateDataKey', true, { keyId: kmsArn(r), keySpec: 'AES_256' }, {
    resources: [{ accountId: r.accountId, type: 'AWS::KMS::Key', ARN: kmsArn(r) }], resourceArn: kmsArn(r),
  }),
  'ssm:GetParameter': (_rng, r) => simple('ssm.amazonaws.com', 'GetParameter', true, { name: r.param, withDecryption: true }, {
    resources: [{ accountId: r.accountId, ARN: `arn:aws:ssm:${r.region}:${r.accountId}:parameter${r.param}` }],
  }),
  'ssm:UpdateInstanceInformation': (rng, r) => simple('ssm.amazonaws.com', 'UpdateInstanceInformation', false, {
    instanceId: r.instanceId, agentVersion: '3.3.1142.0', iPAddress: `10.0.${rng.between(0, 63)}.${rng.between(4, 250)}`,
    platformType: 'Linux', platformName: 'Amazon Linux', platformVersion: '2023', agentName: 'amazon-ssm-agent', availabilityZone: `${r.region}a`,
  }),
  'sts:GetCallerIdentity': () => simple('sts.amazonaws.com', 'GetCallerIdentity', true, null, { responseElements: null }),
  'ec2:DescribeInstances': (_rng, r) => simple('ec2.amazonaws.com', 'DescribeInstances', true,
    r.instanceId ? { instancesSet: { items: [{ instanceId: r.instanceId }] }, filterSet: {} } : { instancesSet: {}, filterSet: { items: [{ name: 'tag:eks:cluster-name', valueSet: { items: [{ value: r.cluster ?? 'unknown' }] } }] } }),
  'ec2:DescribeNetworkInterfaces': (_rng, r) => simple('ec2.amazonaws.com', 'DescribeNetworkInterfaces', true, {
    networkInterfaceIdSet: {}, filterSet: { items: [{ name: 'attachment.instance-id', valueSet: { items: [{ value: r.instanceId ?? 'i-0' }] } }] },
  }),
  'ec2:AssignPrivateIpAddresses': (rng) => simple('ec2.amazonaws.com', 'AssignPrivateIpAddresses', false, {
    networkInterfaceId: ENI(rng), secondaryPrivateIpAddressCount: rng.between(1, 5),
  }, { responseElements: { requestId: rng.uuid(), _return: true } }),
  'ec2:DescribeVolumes': (rng) => simple('ec2.amazonaws.com', 'DescribeVolumes', true, { volumeSet: { items: [{ volumeId: `vol-0${rng.hex(16)}` }] }, filterSet: {} }),
  'ec2:AttachVolume': (rng, r) => simple('ec2.amazonaws.com', 'AttachVolume', false, { volumeId: `vol-0${rng.hex(16)}`, instanceId: r.instanceId ?? 'i-0', device: '/dev/xvdba' }),
  'ec2:DescribeTags': (_rng, r) => simple('ec2.amazonaws.com', 'DescribeTags', true, { filterSet: { items: [{ name: 'resource-id', valueSet: { items: [{ value: r.instanceId ?? 'i-0' }] } }] } }),
  'ec2:DescribeSecurityGroups': () => simple('ec2.amazonaws.com', 'DescribeSecurityGroups', true, { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} }),
  'ec2:DescribeInstanceStatus': () => simple('ec2.amazonaws.com', 'DescribeInstanceStatus', true, { instancesSet: {}, filterSet: {}, includeAllInstances: false }),
  'ecr:GetAuthorizationToken': (_rng, r) => simple('ecr.amazonaws.com', 'GetAuthorizationToken', true, { registryIds: [r.accountId] }, { host: `api.ecr.${r.region}.amazonaws.com` }),
  'ecr:BatchGetImage': (rng, r) => simple('ecr.amazonaws.com', 'BatchGetImage', true, {
    imageIds: [{ imageTag: `v1.${rng.between(0, 40)}.${rng.between(0, 9)}` }], acceptedMediaTypes: ['application/vnd.oci.image.manifest.v1+json'],
    repositoryName: rng.pick(['checkout', 'orders', 'platform/base', 'payments', 'ledger']), registryId: r.accountId,
  }, { host: `api.ecr.${r.region}.amazonaws.com` }),
  'ecr:PutImage': (rng, r) => simple('ecr.amazonaws.com', 'PutImage', false, {
    repositoryName: rng.pick(['checkout', 'orders', 'payments']), imageTag: `sha-${rng.hex(7)}`, registryId: r.accountId,
    imageManifest: 'HIDDEN_DUE_TO_SECURITY_REASONS',
  }, { host: `api.ecr.${r.region}.amazonaws.com` }),
  'elasticloadbalancing:DescribeTargetGroups': () => simple('elasticloadbalancing.amazonaws.com', 'DescribeTargetGroups', true, { names: [] }),
  'elasticloadbalancing:DescribeTargetHealth': (rng, r) => simple('elasticloadbalancing.amazonaws.com', 'DescribeTargetHealth', true, {
    targetGroupArn: `arn:aws:elasticloadbalancing:${r.region}:${r.accountId}:targetgroup/k8s-${rng.hex(8)}/${rng.hex(16)}`,
  }),
  'autoscaling:DescribeAutoScalingGroups': () => simple('autoscaling.amazonaws.com', 'DescribeAutoScalingGroups', true, { maxRecords: 100 }),
  'autoscaling:DescribeScalingActivities': () => simple('autoscaling.amazonaws.com', 'DescribeScalingActivities', true, { maxRecords: 100 }),
  'route53:ListResourceRecordSets': (rng) => simple('route53.amazonaws.com', 'ListResourceRecordSets', true, { hostedZoneId: `Z0${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 18)}` }, { region: 'us-east-1', host: 'route53.amazonaws.com' }),
  'route53:ChangeResourceRecordSets': (rng) => simple('route53.amazonaws.com', 'ChangeResourceRecordSets', false, {
    hostedZoneId: `Z0${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 18)}`,
    changeBatch: { changes: [{ action: 'UPSERT', resourceRecordSet: { name: `api-${rng.hex(4)}.payments.internal.`, type: 'A' } }] },
  }, { region: 'us-east-1', host: 'route53.amazonaws.com' }),
  'eks:DescribeCluster': (_rng, r) => simple('eks.amazonaws.com', 'DescribeCluster', true, { name: r.cluster ?? 'prod-east' }, { responseElements: null }),
  'eks:ListClusters': () => simple('eks.amazonaws.com', 'ListClusters', true, null),
  'eks:ListNodegroups': (_rng, r) => simple('eks.amazonaws.com', 'ListNodegroups', true, { name: r.cluster ?? 'prod-east' }),
  'iam:GetRole': (rng) => simple('iam.amazonaws.com', 'GetRole', true, { roleName: rng.pick(['ci-deploy', 'prod-east-checkout-api', 'orders-data-reader', 'payments-api']) }, { region: 'us-east-1', host: 'iam.amazonaws.com' }),
  'iam:ListRoles': () => simple('iam.amazonaws.com', 'ListRoles', true, null, { region: 'us-east-1', host: 'iam.amazonaws.com' }),
  'iam:ListAttachedRolePolicies': (rng) => simple('iam.amazonaws.com', 'ListAttachedRolePolicies', true, { roleName: rng.pick(['ci-deploy', 'payments-api']) }, { region: 'us-east-1', host: 'iam.amazonaws.com' }),
  'cloudformation:DescribeStacks': (rng, r) => simple('cloudformation.amazonaws.com', 'DescribeStacks', true, {
    stackName: `arn:aws:cloudformation:${r.region}:${r.accountId}:stack/${rng.pick(['platform-network', 'payments-infra', 'orders-queues'])}/${rng.uuid()}`,
  }),
  'logs:DescribeLogGroups': () => simple('logs.amazonaws.com', 'DescribeLogGroups', true, { logGroupNamePrefix: '/aws/eks/' }),
  'cloudtrail:LookupEvents': () => simple('cloudtrail.amazonaws.com', 'LookupEvents', true, { maxResults: 50 }),
  'cloudtrail:DescribeTrails': () => simple('cloudtrail.amazonaws.com', 'DescribeTrails', true, { includeShadowTrails: true }),
  'guardduty:ListFindings': (rng) => simple('guardduty.amazonaws.com', 'ListFindings', true, { detectorId: rng.hex(32), maxResults: 50 }),
};

export type ActionId = keyof typeof ACTIONS;

/** A weighted list of action ids. */
export type ActionMix = readonly (readonly [string, number])[];
