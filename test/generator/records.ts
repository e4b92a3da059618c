/**
 * CloudTrail record builders. Field names, nesting and key order copy real records (see
 * /work/shared/data: invictus-ir S3 trail files, EKS workshop Pod Identity events, IAM user guide samples).
 */

import type { ActionOut } from './catalog';
import { ids, isoSec } from './ids';
import type { Rng } from './rng';
import type { Role } from './roles';

export type Json = Record<string, unknown>;

export interface ErrorInfo {
  code: string;
  message: string;
}

export interface RecordParts {
  version: string;
  userIdentity: Json | undefined;
  t: number;
  eventSource: string;
  eventName: string;
  region: string;
  ip: string;
  ua: string;
  error?: ErrorInfo;
  requestParameters: unknown;
  responseElements: unknown;
  additionalEventData?: unknown;
  requestID: string | undefined;
  eventID: string;
  readOnly: boolean;
  resources?: unknown[];
  eventType?: string;
  data?: boolean;
  recipientAccountId: string;
  sharedEventID?: string;
  vpcEndpointId?: string;
  vpcEndpointAccountId?: string;
  serviceEventDetails?: unknown;
  tlsHost?: string;
  tls12?: boolean;
}

/** Assemble a record with the key order CloudTrail uses; optional keys appear only when set. */
export function record(p: RecordParts): Json {
  const r: Json = { eventVersion: p.version };
  if (p.userIdentity !== undefined) r.userIdentity = p.userIdentity;
  r.eventTime = isoSec(p.t);
  r.eventSource = p.eventSource;
  r.eventName = p.eventName;
  r.awsRegion = p.region;
  r.sourceIPAddress = p.ip;
  r.userAgent = p.ua;
  if (p.error) {
    r.errorCode = p.error.code;
    r.errorMessage = p.error.message;
  }
  r.requestParameters = p.requestParameters;
  r.responseElements = p.error ? null : p.responseElements;
  if (p.additionalEventData !== undefined) r.additionalEventData = p.additionalEventData;
  if (p.requestID !== undefined) r.requestID = p.requestID;
  r.eventID = p.eventID;
  r.readOnly = p.readOnly;
  if (p.resources) r.resources = p.resources;
  r.eventType = p.eventType ?? 'AwsApiCall';
  r.managementEvent = !p.data;
  r.recipientAccountId = p.recipientAccountId;
  if (p.sharedEventID) r.sharedEventID = p.sharedEventID;
  if (p.vpcEndpointId) {
    r.vpcEndpointId = p.vpcEndpointId;
    if (p.vpcEndpointAccountId) r.vpcEndpointAccountId = p.vpcEndpointAccountId;
  }
  if (p.serviceEventDetails !== undefined) r.serviceEventDetails = p.serviceEventDetails;
  r.eventCategory = p.data ? 'Data' : 'Management';
  if (p.tlsHost) {
    r.tlsDetails = p.tls12
      ? { tlsVersion: 'TLSv1.2', cipherSuite: 'ECDHE-RSA-AES128-GCM-SHA256', clientProvidedHostHeader: p.tlsHost }
      : { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: p.tlsHost };
  }
  return r;
}

// ---- userIdentity ---------------------------------------------------------------------------------

export interface AssumedRoleOpts {
  /** IRSA: `webIdFederationData.federatedProvider`. */
  federatedProvider?: string;
  /** Instance-profile sessions carry `ec2RoleDelivery`. */
  ec2?: boolean;
  invokedBy?: string;
  mfa?: boolean;
}

export function assumedRoleIdentity(role: Role, sessionName: string, accessKeyId: string, creationMs: number, o: AssumedRoleOpts = {}): Json {
  const sessionContext: Json = {
    sessionIssuer: { type: 'Role', principalId: role.id, arn: role.arn, accountId: role.account.id, userName: role.name },
    webIdFederationData: o.federatedProvider ? { federatedProvider: o.federatedProvider, attributes: {} } : {},
    attributes: { creationDate: isoSec(creationMs), mfaAuthenticated: o.mfa ? 'true' : 'false' },
  };
  if (o.ec2) sessionContext.ec2RoleDelivery = '2.0';
  const u: Json = {
    type: 'AssumedRole',
    principalId: `${role.id}:${sessionName}`,
    arn: assumedRoleArn(role, sessionName),
    accountId: role.account.id,
    accessKeyId,
    sessionContext,
  };
  if (o.invokedBy) u.invokedBy = o.invokedBy;
  return u;
}

export function assumedRoleArn(role: Role, sessionName: string): string {
  return `arn:aws:sts::${role.account.id}:assumed-role/${role.name}/${sessionName}`;
}

export function awsServiceIdentity(service: string): Json {
  return { type: 'AWSService', invokedBy: service };
}

/** The identity the role owner's copy of a cross-account call shows. */
export function awsAccountIdentity(principalId: string, accountId: string): Json {
  return { type: 'AWSAccount', principalId, accountId };
}

export function webIdentity(providerArn: string, namespace: string, serviceAccount: string): Json {
  const subject = `system:serviceaccount:${namespace}:${serviceAccount}`;
  return { type: 'WebIdentityUser', principalId: `${providerArn}:sts.amazonaws.com:${subject}`, userName: subject, identityProvider: providerArn };
}

// ---- calls ----------------------------------------------------------------------------------------

export interface CallArgs {
  t: number;
  userIdentity: Json;
  accountId: string;
  region: string;
  ip: string;
  ua: string;
  out: ActionOut;
  error?: ErrorInfo;
  vpce?: string;
  /** Owner of the VPC endpoint (default: the recipient account). */
  vpceAccount?: string;
  tls12?: boolean;
  /** Calls a service makes on the caller's behalf (invokedBy) carry no tlsDetails. */
  noTls?: boolean;
}

/** An ordinary API call made with a session's credentials. */
export function apiCall(rng: Rng, a: CallArgs): Json {
  const region = a.out.region ?? a.region;
  const service = a.out.eventSource.split('.')[0]!;
  return record({
    version: a.out.data ? '1.10' : '1.11',
    userIdentity: a.userIdentity,
    t: a.t,
    eventSource: a.out.eventSource,
    eventName: a.out.eventName,
    region,
    ip: a.ip,
    ua: a.ua,
    error: a.error,
    requestParameters: a.out.requestParameters,
    responseElements: a.out.responseElements ?? null,
    additionalEventData: a.out.additionalEventData,
    requestID: a.out.s3 ? ids.s3RequestId(rng) : rng.uuid(),
    eventID: rng.uuid(),
    readOnly: a.out.readOnly,
    resources: a.out.resources,
    data: a.out.data,
    recipientAccountId: a.accountId,
    vpcEndpointId: a.vpce,
    vpcEndpointAccountId: a.vpce ? (a.vpceAccount ?? a.accountId) : undefined,
    tlsHost: a.noTls ? undefined : (a.out.host ?? `${service}.${region}.amazonaws.com`),
    tls12: a.tls12,
  });
}

const EXCEPTION_STYLE = new Set(['dynamodb', 'kms', 'secretsmanager', 'ssm', 'eks', 'ecr', 'logs', 'cloudtrail', 'guardduty']);

/** Pick an error for a failed call, shaped like the service's own. */
export function errorFor(rng: Rng, out: ActionOut, callerArn: string): ErrorInfo {
  const action = `${out.eventSource.split('.')[0]}:${out.eventName}`;
  if (out.s3) return rng.chance(0.7) ? { code: 'AccessDenied', message: 'Access Denied' } : { code: 'NoSuchKey', message: 'The specified key does not exist.' };
  if (out.eventSource === 'secretsmanager.amazonaws.com' && rng.chance(0.3)) {
    return { code: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." };
  }
  if (rng.chance(0.15)) return { code: 'ThrottlingException', message: 'Rate exceeded' };
  const on = out.resourceArn ? ` on resource: ${out.resourceArn}` : '';
  const message = `User: ${callerArn} is not authorized to perform: ${action}${on} because no identity-based policy allows the ${action} action`;
  const service = out.eventSource.split('.')[0]!;
  if (service === 'ec2') return { code: 'Client.UnauthorizedOperation', message: `You are not authorized to perform this operation. ${message}` };
  if (EXCEPTION_STYLE.has(service)) return { code: 'AccessDeniedException', message };
  return { code: 'AccessDenied', message };
}
