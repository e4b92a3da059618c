/**
 * Timesketch hand-off: one JSON object per line in the form Timesketch imports as it is (docs/guides/user/
 * import-from-json-csv.md in google/timesketch: `message`, `datetime` in ISO 8601, `timestamp_desc` mandatory;
 * `timestamp` in microseconds since the epoch, which Timesketch otherwise derives from `datetime`), followed by
 * every field of the attribution record, flattened to top-level keys so that Timesketch's search and its Sigma
 * analyzers see them (`pod_name:…`, `confidence_pod:inferred`, `flags:first-seen-api`).
 *
 * Values are the evidence's own, exactly (JSON escapes them). Only `message`, the line an investigator reads in
 * Timesketch's timeline, shows invisible and control characters as `\u{…}` (as the reports do), so a bidi override
 * or a line break planted in a session name cannot reorder or split it.
 */
import type { AttributionRecord } from '../../../shared/attribution';
import { revealInvisible } from '../../../shared/invisible';
import { parseEventTime } from '../util/time';

export const TIMESTAMP_DESC = 'Event Time';
export const DATA_TYPE = 'podtrail:attribution';

/** One Timesketch event: the three mandatory fields, the timestamp, then the attribution, flattened. */
export interface TimesketchEvent {
  message: string;
  datetime: string;
  timestamp: number;
  timestamp_desc: string;
  data_type: string;
  [field: string]: string | number | boolean | null | string[];
}

/** `2026-03-02T10:15:00+00:00`, with milliseconds when there are any (the zone is always written). */
export function isoWithZone(ms: number): string {
  const iso = new Date(ms).toISOString();
  return (iso.endsWith('.000Z') ? iso.slice(0, -5) : iso.slice(0, -1)) + '+00:00';
}

/** Text on one line: invisible characters, tab, line feed and carriage return written as `\u{…}`. */
function oneLine(text: string): string {
  return revealInvisible(text).replace(/[\t\n\r]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16).padStart(4, '0')}}`);
}

/** Who did what, from where, attributed to which pod and node, how sure, and what was flagged. */
export function timesketchMessage(a: AttributionRecord): string {
  const who = a.principal ?? a.accessKeyId ?? 'unknown caller';
  const parts = [`${who} called ${a.eventSource} ${a.eventName} from ${a.sourceIPAddress ?? 'an unknown address'}`];
  const where: string[] = [];
  if (a.pod) {
    where.push(`pod ${a.namespace ? `${a.namespace}/` : ''}${a.pod.name}${a.pod.nameTruncated ? '…' : ''} (${a.confidence.pod})`);
  } else if (a.candidates.length > 0) {
    where.push(`${a.candidates.length} candidate pods (${a.confidence.pod})`);
  } else if (a.serviceAccount) {
    where.push(`service account ${a.namespace ? `${a.namespace}/` : ''}${a.serviceAccount}`);
  }
  if (a.node && (a.node.name ?? a.node.instanceId)) where.push(`node ${a.node.name ?? a.node.instanceId} (${a.confidence.node})`);
  const cluster = a.cluster?.name ?? a.cluster?.oidcId ?? a.cluster?.arn;
  if (cluster) where.push(`cluster ${cluster}`);
  if (where.length) parts.push(`→ ${where.join(', ')}`);
  parts.push(`[${a.mechanism}${a.chained ? ', chained' : ''}; identity ${a.confidence.identity}]`);
  if (a.flags?.length) parts.push(`⚑ ${a.flags.join(', ')}`);
  if (a.actor) parts.push(`actor ${a.actor.principal} (${a.actor.confidence}, exec session ${a.actor.auditID})`);
  return oneLine(parts.join(' '));
}

type Flat = string | number | boolean | null | string[];

/** A value under `prefix`, flattened: objects to `prefix_key`, arrays of objects to their JSON, one per element. */
function flattenInto(out: Record<string, Flat>, prefix: string, value: unknown): void {
  if (value === null || value === undefined) out[prefix] = null;
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[prefix] = value;
  else if (Array.isArray(value)) out[prefix] = value.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  else for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenInto(out, `${prefix}_${k}`, v);
}

/**
 * An object field (`cluster`, `pod`, `node`, `confidence`) as `prefix_key` fields: the known keys on every event
 * (null when the object is), so the index mapping is the same for every line, and any other key it has.
 */
function flatObject(prefix: string, obj: object | null | undefined, known: readonly string[]): Record<string, Flat> {
  const out: Record<string, Flat> = {};
  for (const k of known) out[`${prefix}_${k}`] = null;
  if (obj) flattenInto(out, prefix, obj);
  return out;
}

/** The record's fields mapped explicitly below; any other field is flattened as it comes. */
const MAPPED = new Set([
  'eventID', 'eventTime', 'eventSource', 'eventName', 'recipientAccountId', 'awsRegion', 'sourceIPAddress', 'accessKeyId',
  'mechanism', 'chained', 'principal', 'cluster', 'namespace', 'serviceAccount', 'pod', 'node', 'confidence', 'chain',
  'candidates', 'ruledOut', 'evidence', 'notes', 'flags', 'flagReasons', 'podActors', 'actor',
]);

/** The attribution record as a Timesketch event (every field of the record, flattened). */
export function timesketchEvent(a: AttributionRecord): TimesketchEvent {
  const ms = parseEventTime(a.eventTime);
  if (Number.isNaN(ms)) throw new Error(`eventTime is not an ISO 8601 time: ${JSON.stringify(a.eventTime)}`);
  const event: TimesketchEvent = {
    message: timesketchMessage(a),
    datetime: isoWithZone(ms),
    timestamp: ms * 1000,
    timestamp_desc: TIMESTAMP_DESC,
    data_type: DATA_TYPE,
    eventID: a.eventID,
    eventTime: a.eventTime,
    eventSource: a.eventSource,
    eventName: a.eventName,
    recipientAccountId: a.recipientAccountId,
    awsRegion: a.awsRegion,
    sourceIPAddress: a.sourceIPAddress,
    accessKeyId: a.accessKeyId,
    mechanism: a.mechanism,
    chained: a.chained,
    principal: a.principal,
    ...flatObject('cluster', a.cluster, ['name', 'arn', 'oidcId']),
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    ...flatObject('pod', a.pod, ['name', 'uid']),
    pod_nameTruncated: a.pod?.nameTruncated ?? false,
    ...flatObject('node', a.node, ['instanceId', 'name']),
    ...flatObject('confidence', a.confidence, ['identity', 'pod', 'node']),
    // The chain from the event's key to the root credential, one entry per key: `key<issuing call`.
    chain: a.chain.map((l) => `${l.accessKeyId}<${l.issuedBy?.eventName ?? 'not in bundle'}`),
    chain_accessKeyIds: a.chain.map((l) => l.accessKeyId),
    chain_issuedBy_eventIDs: a.chain.flatMap((l) => (l.issuedBy ? [l.issuedBy.eventID] : [])),
    chain_roleArns: a.chain.flatMap((l) => (l.issuedBy?.roleArn ? [l.issuedBy.roleArn] : [])),
    // Scored candidates when several pods or nodes remain: `pod@node:score`, and why, in the same order.
    candidates: a.candidates.map((c) => `${c.pod?.name ?? ''}@${c.node?.instanceId ?? c.node?.name ?? ''}:${c.score}`),
    candidates_pod_uids: a.candidates.map((c) => c.pod?.uid ?? ''),
    candidates_why: a.candidates.map((c) => c.why),
    // Pods of the service account that a rule ruled out: `pod@node:rule`, why, and the records each rests on.
    ruledOut: (a.ruledOut ?? []).map((r) => `${r.pod.name}@${r.node?.instanceId ?? r.node?.name ?? ''}:${r.rule}`),
    ruledOut_pod_uids: (a.ruledOut ?? []).map((r) => r.pod.uid ?? ''),
    ruledOut_why: (a.ruledOut ?? []).map((r) => r.why),
    ruledOut_evidence: [...new Set((a.ruledOut ?? []).flatMap((r) => r.evidence))],
    evidence: a.evidence,
    notes: a.notes,
    flags: a.flags ?? [],
    // Each detection with its reason, `flag: reason`, in the order of `flags`.
    flags_reasons: (a.flagReasons ?? []).map((f) => `${f.flag}: ${f.detail}`),
    // The person whose exec session most plausibly made the call (null fields when nothing points to one), and
    // who acted on the pod: `action:principal@time`, with the audit events, in the same order.
    ...flatObject('actor', a.actor ?? null, ['principal', 'auditID', 'confidence', 'why']),
    podActors: (a.podActors ?? []).map((p) => `${p.action}:${p.principal ?? p.kubernetesUser}@${p.time}`),
    podActors_auditIDs: (a.podActors ?? []).map((p) => p.auditID),
    podActors_principals: [...new Set((a.podActors ?? []).flatMap((p) => (p.principal ? [p.principal] : [])))],
  };
  // Fields added to the record later are carried too (flattened the same way), never dropped.
  for (const [k, v] of Object.entries(a)) if (!MAPPED.has(k) && !(k in event)) flattenInto(event, k, v);
  return event;
}

/**
 * One line of JSON Lines. JSON.stringify escapes the C0 controls; the characters some line readers also take for
 * line breaks (NEL U+0085, LINE SEPARATOR U+2028, PARAGRAPH SEPARATOR U+2029) are escaped too, so that a hostile
 * value can never split an event in two.
 */
export function timesketchLine(a: AttributionRecord): string {
  return JSON.stringify(timesketchEvent(a)).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}
