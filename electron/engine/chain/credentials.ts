/**
 * Rule: key issuance. An STS call that returned credentials links the new access key
 * (`responseElements.credentials.accessKeyId`) to the call that issued it. An event is linked to the key in
 * its `userIdentity.accessKeyId` only while that key was valid: from the issuing call's `eventTime` to
 * `responseElements.credentials.expiration`.
 */
import type { FactRecord, Issuance } from './model';
import { get, getStr, obj, type JsonObject } from '../util/json';
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

/**
 * Longest lifetime each call can grant (STS API reference): used when the expiration field is unreadable, and as
 * a bound: a record whose expiration lies beyond it contradicts STS, and the window is cut to the maximum.
 */
export const MAX_LIFETIME_S: Record<string, number> = {
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

/**
 * Why an STS record cannot be the issuer of the key it names, or null when it can. STS issues temporary keys
 * (`ASIA…`), never long-term ones (`AKIA…`), and a call cannot issue the key it was made with.
 */
export function impossibleIssuance(r: JsonObject, accessKeyId: string): string | null {
  if (/^AKIA/.test(accessKeyId)) return `${accessKeyId} is a long-term access key (AKIA…): STS never issues one`;
  if (getStr(r, 'userIdentity', 'accessKeyId') === accessKeyId) return `the call was made with ${accessKeyId} itself: a call cannot issue its own key`;
  return null;
}

/** The issuance an STS record proves, or null when it returned no credentials (failed call, redacted, impossible). */
export function issuanceOf(fact: FactRecord): Issuance | null {
  const r = fact.record;
  const eventName = getStr(r, 'eventName') ?? '';
  if (!isIssuingRecord(getStr(r, 'eventSource') ?? '', eventName)) return null;
  if (getStr(r, 'errorCode')) return null;
  // responseElements.credentials.accessKeyId: the key every later call of this session carries.
  const accessKeyId = getStr(r, 'responseElements', 'credentials', 'accessKeyId');
  if (!accessKeyId || impossibleIssuance(r, accessKeyId)) return null;
  const expiration = parseExpiration(get(r, 'responseElements', 'credentials', 'expiration'));
  const requested = Number(get(r, 'requestParameters', 'durationSeconds'));
  const maxS = MAX_LIFETIME_S[eventName] ?? 12 * 3600;
  const lifetimeS = Number.isFinite(requested) && requested > 0 ? Math.min(requested, maxS) : maxS;
  const roleArn = getStr(r, 'requestParameters', 'roleArn') ?? null;
  const latest = fact.eventMs + maxS * 1000;
  const overlong = !Number.isNaN(expiration) && expiration > latest + WINDOW_SLACK_MS;
  return {
    accessKeyId,
    eventID: fact.eventID,
    eventName,
    issuedMs: fact.eventMs,
    expiresMs: Number.isNaN(expiration) ? fact.eventMs + lifetimeS * 1000 : overlong ? latest : expiration,
    ...(overlong
      ? { anomaly: `the record's expiration ${Math.abs(expiration) <= 8.64e15 ? new Date(expiration).toISOString() : String(get(r, 'responseElements', 'credentials', 'expiration'))} is beyond the ${maxS / 3600} h ${eventName} can grant: the window is cut to that maximum` }
      : {}),
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
