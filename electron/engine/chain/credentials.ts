/**
 * Rule: key issuance. An STS call that returned credentials links the new access key
 * (`responseElements.credentials.accessKeyId`) to the call that issued it. An event is linked to the key in
 * its `userIdentity.accessKeyId` only while that key was valid: from the issuing call's `eventTime` to
 * `responseElements.credentials.expiration`.
 */
import type { FactRecord, Issuance } from './model';
import { get, getStr, obj } from '../util/json';
import { parseExpiration } from '../util/time';

/** STS calls that return credentials (AWS STS API reference, "Actions"). */
export const ISSUING_CALLS = new Set([
  'AssumeRole',
  'AssumeRoleWithWebIdentity',
  'AssumeRoleWithSAML',
  'GetSessionToken',
  'GetFederationToken',
  'AssumeRoot',
]);

/** Longest lifetime each call can grant, used only when the expiration field is unreadable. */
const MAX_LIFETIME_S: Record<string, number> = {
  AssumeRole: 12 * 3600,
  AssumeRoleWithWebIdentity: 12 * 3600,
  AssumeRoleWithSAML: 12 * 3600,
  GetSessionToken: 36 * 3600,
  GetFederationToken: 36 * 3600,
  AssumeRoot: 900,
};

/** Tolerance on both ends of the validity window: CloudTrail times are whole seconds. */
export const WINDOW_SLACK_MS = 5_000;

export function isIssuingRecord(eventSource: string, eventName: string): boolean {
  return eventSource === 'sts.amazonaws.com' && ISSUING_CALLS.has(eventName);
}

/** The issuance an STS record proves, or null when it returned no credentials (failed call, redacted). */
export function issuanceOf(fact: FactRecord): Issuance | null {
  const r = fact.record;
  const eventName = getStr(r, 'eventName') ?? '';
  if (!isIssuingRecord(getStr(r, 'eventSource') ?? '', eventName)) return null;
  if (getStr(r, 'errorCode')) return null;
  // responseElements.credentials.accessKeyId: the key every later call of this session carries.
  const accessKeyId = getStr(r, 'responseElements', 'credentials', 'accessKeyId');
  if (!accessKeyId) return null;
  const expiration = parseExpiration(get(r, 'responseElements', 'credentials', 'expiration'));
  const requested = Number(get(r, 'requestParameters', 'durationSeconds'));
  const lifetimeS = Number.isFinite(requested) && requested > 0 ? requested : (MAX_LIFETIME_S[eventName] ?? 12 * 3600);
  const roleArn = getStr(r, 'requestParameters', 'roleArn') ?? null;
  return {
    accessKeyId,
    eventID: fact.eventID,
    eventName,
    issuedMs: fact.eventMs,
    expiresMs: Number.isNaN(expiration) ? fact.eventMs + lifetimeS * 1000 : expiration,
    roleArn,
    sessionName:
      getStr(r, 'requestParameters', 'roleSessionName') ?? getStr(r, 'requestParameters', 'name') ?? null,
    region: getStr(r, 'awsRegion') ?? null,
    record: r,
  };
}

export function withinValidity(iss: Issuance, eventMs: number): boolean {
  return eventMs >= iss.issuedMs - WINDOW_SLACK_MS && eventMs <= iss.expiresMs + WINDOW_SLACK_MS;
}

/**
 * Several records can issue one key: a cross-account AssumeRole is logged in the caller's and in the role's
 * account (same `sharedEventID`, same key). Prefer the copy whose `userIdentity` names the caller fully
 * (the role's account only sees `type: AWSAccount` with an account id).
 */
export function preferredIssuance(list: Issuance[], eventMs: number | null): Issuance | null {
  const valid = eventMs === null ? list : list.filter((i) => withinValidity(i, eventMs));
  if (valid.length === 0) return null;
  const rank = (i: Issuance) => {
    const type = getStr(i.record, 'userIdentity', 'type');
    return type === 'AWSAccount' || !obj(get(i.record, 'userIdentity')) ? 1 : 0;
  };
  return [...valid].sort((a, b) => rank(a) - rank(b) || a.issuedMs - b.issuedMs || a.eventID.localeCompare(b.eventID))[0]!;
}
