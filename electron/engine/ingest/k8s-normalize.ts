/**
 * Kubernetes evidence → rows and documents. EKS control-plane audit events (`audit.k8s.io/v1` `Event`) as
 * investigators receive them: JSON Lines, `aws logs filter-log-events` output (`events[].message` is the event
 * as a JSON string), and CloudWatch Logs exports to S3 (each line `<timestamp> <event JSON>`). Inventories
 * (`kubectl get … -o json` lists, `aws ec2 describe-instances`, `aws eks list-pod-identity-associations`) are
 * kept as documents, one per object.
 */
import { hash } from 'node:crypto';
import { z } from 'zod';
import { get, getStr, obj, str } from '../util/json';
import { duplicateKeyProblem } from './duplicate-keys';
import { parseRecordTime } from '../util/time';

export interface AuditRow {
  auditId: string;
  stage: string;
  tsMs: number;
  verb: string | null;
  username: string | null;
  sourceIp: string | null;
  resource: string | null;
  subresource: string | null;
  namespace: string | null;
  name: string | null;
  code: number | null;
  rawSha256: string;
  raw: string;
  recordIndex: number;
  /** The time had no zone (`2022-11-29 00:09:04.38`, as Panther stores it) and was read as UTC. */
  zoneless?: boolean;
}

/**
 * An audit event: `apiVersion: audit.k8s.io/…` (some exports drop it; then `kind: Event` with a verb or a request
 * URI, which core `v1` Events never have). An event without its auditID is still one, and is refused as an audit
 * event (naming the auditID), not taken for a CloudTrail record.
 */
export function isAuditEvent(value: unknown): boolean {
  const o = obj(value);
  if (!o) return false;
  if (typeof o.apiVersion === 'string') return o.apiVersion.startsWith('audit.k8s.io/');
  return o.kind === 'Event' && (typeof o.verb === 'string' || typeof o.requestURI === 'string');
}

const AuditEvent = z.looseObject({
  auditID: z.string({ error: "missing or not a string (expected the audit event's ID)" }),
  verb: z.string().nullish(),
  stage: z.string().nullish(),
  stageTimestamp: z.string().nullish(),
  requestReceivedTimestamp: z.string().nullish(),
});

export class AuditRecordError extends Error {}

/** `value` is `JSON.parse(raw)`, unmodified (`RecordText.parsed`); `keys` as `RecordText.keys`. */
export function normalizeAudit(value: unknown, raw: string, recordIndex: number, keys?: number): AuditRow {
  // As for CloudTrail records: a repeated key (`user.username` twice) would read differently in another tool.
  const duplicate = duplicateKeyProblem(raw, value, keys);
  if (duplicate) throw new AuditRecordError(duplicate);
  const parsed = AuditEvent.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AuditRecordError(`Kubernetes audit event: ${issue?.path.join('.') || 'event'}: ${issue?.message}`);
  }
  const e = parsed.data;
  const when = e.stageTimestamp ?? e.requestReceivedTimestamp;
  // Never Date.parse: it reads a zone-less time (`2022-11-29 00:09:04.38`) in the examiner's time zone.
  const time = when ? parseRecordTime(when) : null;
  if (!time) {
    throw new AuditRecordError(
      `Kubernetes audit event: stageTimestamp/requestReceivedTimestamp: expected an RFC 3339 time such as "2021-09-27T08:36:44.021638Z"; found ${when ? JSON.stringify(when.slice(0, 64)) : 'neither'}`,
    );
  }
  const tsMs = time.ms;
  const ips = get(value, 'sourceIPs');
  const code = get(value, 'responseStatus', 'code');
  return {
    auditId: e.auditID,
    stage: e.stage ?? 'ResponseComplete',
    tsMs,
    verb: e.verb ?? null,
    username: getStr(value, 'user', 'username') ?? null,
    sourceIp: Array.isArray(ips) ? (str(ips[0]) ?? null) : null,
    resource: getStr(value, 'objectRef', 'resource') ?? null,
    subresource: getStr(value, 'objectRef', 'subresource') ?? null,
    namespace: getStr(value, 'objectRef', 'namespace') ?? null,
    name: getStr(value, 'objectRef', 'name') ?? null,
    code: typeof code === 'number' ? code : null,
    rawSha256: hash('sha256', raw, 'hex'),
    raw,
    recordIndex,
    ...(time.zoneless ? { zoneless: true } : {}),
  };
}

/** A CloudWatch Logs export line: `2026-03-02T00:00:01.123Z {"kind":"Event",…}` → the JSON part. */
export function stripTimestampPrefix(line: string): string | null {
  const brace = line.indexOf('{');
  if (brace <= 0) return brace === 0 ? line : null;
  const prefix = line.slice(0, brace).trim();
  return /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?$/.test(prefix) || /^\d{10,13}$/.test(prefix) ? line.slice(brace) : null;
}

/** Inventory objects worth keeping, by the shape of one list element. */
export type InventoryKind = 'k8s-object' | 'ec2-reservation' | 'eks-pod-identity-association';

export function inventoryKind(container: string, value: unknown): InventoryKind | null {
  const o = obj(value);
  if (!o) return null;
  if (container === 'items' && typeof o.kind === 'string' && obj(o.metadata)) return 'k8s-object';
  if (container === 'items' && obj(o.metadata) && (obj(o.spec) || obj(o.status))) return 'k8s-object';
  if (container === 'Reservations' && Array.isArray(o.Instances)) return 'ec2-reservation';
  if (container === 'associations' && typeof o.associationArn === 'string') return 'eks-pod-identity-association';
  return null;
}
