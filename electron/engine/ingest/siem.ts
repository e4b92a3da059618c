/**
 * CloudTrail as investigators receive it from a SIEM, recognised from content. The record kept is the CloudTrail
 * record itself — the `_source` of an Elasticsearch/OpenSearch hit, the `_raw` text of a Splunk result — exactly as
 * the export holds it, with the file and record index of the wrapper as its provenance.
 *
 * - Elasticsearch / OpenSearch search or scroll output, `{"hits":{"hits":[{"_index","_id","_source":{…}}]}}` (the
 *   scanner hands out each hit: container `hits.hits`), hits one per line (elasticdump, `jq -c '.hits.hits[]'`) or in
 *   a bare array; a hit without `_source` (an index that does not store it) is refused, saying so.
 * - Elasticsearch bulk NDJSON: action lines (`{"index":{…}}`, `create`, `update`, `delete`) are skipped; the line
 *   after `index`/`create` is the record, after `update` its `doc`.
 * - Logstash events (`@timestamp`, `@version`, the CloudTrail fields at the top level): records as they are; their
 *   time is `@timestamp` when Logstash's cloudtrail codec removed `eventTime` (normalize.ts).
 * - Elastic Agent / Filebeat documents that kept the original (`event.original`) or the raw line (`message`).
 * - Splunk JSON exports: `{"preview":false,"result":{"_raw":"<record>",…}}` per line (`/services/search/jobs/export`,
 *   the UI's JSON export) or `{"results":[…]}` (`…/results?output_mode=json`), and a bare `{"_raw":…}` object. Without
 *   `_raw`, the fields Splunk extracted (`userIdentity.arn`, `resources{}.ARN`, multi-values as arrays, every value a
 *   string) are rebuilt into a record — and the file's notes say it is a rebuilt record, not the one CloudTrail wrote.
 */
import { obj, str } from '../util/json';

export type SiemFormat = 'elasticsearch-search' | 'elasticsearch-hits' | 'elasticsearch-bulk' | 'logstash' | 'splunk-export';

export type SiemShape =
  /** The CloudTrail record inside the wrapper: `raw` is its exact text (or the rebuilt record's, when `rebuilt`). */
  | { kind: 'record'; format: SiemFormat; record: unknown; raw: string; via: string; rebuilt?: boolean }
  /** A bulk action line, or a Splunk export line without a result: no record of its own. */
  | { kind: 'action'; format: SiemFormat; action: string }
  | { kind: 'error'; format: SiemFormat; message: string };

const BULK_ACTIONS = new Set(['index', 'create', 'update', 'delete']);
/** The keys of a Splunk export line around its `result`. */
const SPLUNK_ENVELOPE = new Set(['preview', 'offset', 'lastrow', 'messages', 'init_offset', 'fields', 'highlighted']);

/** Fields a CloudTrail record may have at its top level (AWS CloudTrail User Guide, "CloudTrail record contents"). */
const CLOUDTRAIL_FIELDS = new Set([
  'eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent',
  'errorCode', 'errorMessage', 'requestParameters', 'responseElements', 'additionalEventData', 'requestID', 'eventID',
  'eventType', 'apiVersion', 'managementEvent', 'readOnly', 'resources', 'recipientAccountId', 'serviceEventDetails',
  'sharedEventID', 'vpcEndpointId', 'vpcEndpointAccountId', 'eventCategory', 'addendum', 'sessionCredentialFromConsole',
  'edgeDeviceDetails', 'tlsDetails', 'insightDetails',
]);

/** Whether an object carries CloudTrail's own fields (what a record, not a wrapper, looks like). */
export function looksLikeCloudTrail(o: Record<string, unknown> | undefined): boolean {
  return !!o && (typeof o.eventName === 'string' || typeof o.eventSource === 'string' || typeof o.eventVersion === 'string' || typeof o.eventID === 'string');
}

/** A Logstash event: its `@timestamp` and `@version` beside the CloudTrail fields. */
export function isLogstashRecord(o: Record<string, unknown> | undefined): boolean {
  return !!o && typeof o['@timestamp'] === 'string' && '@version' in o && looksLikeCloudTrail(o);
}

/**
 * Recognise a SIEM wrapper around a CloudTrail record. `text` is the JSON text `value` was parsed from (the record's
 * exact text is cut from it). `inHits`: an element of `hits.hits`; `inResults`: an element of Splunk's `results`;
 * `afterUpdate`: the previous line was a bulk `update` action. Null: not a SIEM shape.
 */
export function unwrapSiem(
  value: unknown,
  text: string,
  context: { inHits?: boolean; inResults?: boolean; afterUpdate?: boolean } = {},
): SiemShape | null {
  const o = obj(value);
  if (!o) return null;
  if (context.inResults) return splunkResult(o, text, '');
  // Elasticsearch / OpenSearch hit.
  if ('_source' in o || (context.inHits && ('_index' in o || '_id' in o)) || ('_index' in o && '_id' in o)) {
    const format: SiemFormat = context.inHits ? 'elasticsearch-search' : 'elasticsearch-hits';
    const source = obj(o._source);
    if (!source) {
      const found = '_source' in o ? `_source is ${o._source === null ? 'null' : typeof o._source}` : `no _source${'fields' in o ? ' (only "fields")' : ''}`;
      return { kind: 'error', format, message: `Elasticsearch hit without a _source object (${found}): export the documents with their _source` };
    }
    const raw = memberText(text, '_source');
    if (raw === DUPLICATE) return { kind: 'error', format, message: 'Elasticsearch hit with two "_source" keys: JSON parsers disagree on which is the record' };
    return embedded(source, raw ?? JSON.stringify(source), format, '_source');
  }
  // Elasticsearch bulk: an action line, or the partial document of an update.
  const keys = Object.keys(o);
  if (keys.length === 1 && BULK_ACTIONS.has(keys[0]!) && obj(o[keys[0]!]) && !looksLikeCloudTrail(o)) {
    return { kind: 'action', format: 'elasticsearch-bulk', action: keys[0]! };
  }
  if (context.afterUpdate && obj(o.doc)) {
    const raw = memberText(text, 'doc');
    if (raw === DUPLICATE) return { kind: 'error', format: 'elasticsearch-bulk', message: 'bulk update with two "doc" keys' };
    return embedded(obj(o.doc)!, raw ?? JSON.stringify(o.doc), 'elasticsearch-bulk', 'doc');
  }
  // Splunk: a result line of an export, an element of `results`, or a bare event with `_raw`.
  const result = obj(o.result);
  if (result && ('preview' in o || 'offset' in o || 'lastrow' in o || '_raw' in result || '_time' in result)) {
    return splunkResult(result, memberText(text, 'result'), 'result.');
  }
  if (typeof o._raw === 'string' || ('_time' in o && 'sourcetype' in o)) return splunkResult(o, text, '');
  // The export's last line (`{"preview":false,"lastrow":true}`) and message lines carry no result.
  if ('preview' in o && !('result' in o) && keys.every((k) => SPLUNK_ENVELOPE.has(k))) return { kind: 'action', format: 'splunk-export', action: 'envelope' };
  if (!looksLikeCloudTrail(o)) {
    const original = embeddedText(o);
    if (original) return original;
  }
  return null;
}

const DUPLICATE = Symbol('duplicate key');

/** The record inside a wrapper's document: itself, or the original text a shipper kept in it. */
function embedded(doc: Record<string, unknown>, raw: string, format: SiemFormat, via: string): SiemShape {
  if (!looksLikeCloudTrail(doc)) {
    const inner = embeddedText(doc, format, via);
    if (inner) return inner;
  }
  return { kind: 'record', format, record: doc, raw, via };
}

/** `event.original` (Elastic Agent with preserve_original_event) or `message` (the raw line) holding the record. */
function embeddedText(doc: Record<string, unknown>, format?: SiemFormat, via = ''): SiemShape | null {
  for (const [path, text] of [
    ['event.original', str(obj(doc.event)?.original)],
    ['message', str(doc.message)],
  ] as const) {
    if (!text || !text.trimStart().startsWith('{')) continue;
    let inner: unknown;
    try {
      inner = JSON.parse(text);
    } catch {
      continue;
    }
    if (looksLikeCloudTrail(obj(inner))) {
      return { kind: 'record', format: format ?? 'elasticsearch-hits', record: inner, raw: text, via: via ? `${via}.${path}` : path };
    }
  }
  return null;
}

function splunkResult(result: Record<string, unknown>, text: string | typeof DUPLICATE | null, prefix: string): SiemShape {
  const format: SiemFormat = 'splunk-export';
  if (text === DUPLICATE) return { kind: 'error', format, message: 'Splunk result with two "result" keys' };
  const raw = result._raw;
  if (typeof raw === 'string') {
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (err) {
      return { kind: 'error', format, message: `Splunk ${prefix}_raw: expected the CloudTrail record as JSON text; found text that is not JSON (${(err as Error).message}): ${JSON.stringify(raw.slice(0, 64))}` };
    }
    return { kind: 'record', format, record, raw, via: `${prefix}_raw` };
  }
  if (raw !== undefined) return { kind: 'error', format, message: `Splunk ${prefix}_raw: expected the CloudTrail record as JSON text; found ${raw === null ? 'null' : typeof raw}` };
  // Fields as nested objects are the record; Splunk's own extraction (`userIdentity.arn`) is flattened and rebuilt.
  const flattened = Object.keys(result).some((k) => /[.{]/.test(k) && CLOUDTRAIL_FIELDS.has(k.split(/[.{]/)[0]!));
  if (!flattened && looksLikeCloudTrail(result)) {
    return { kind: 'record', format, record: result, raw: typeof text === 'string' ? text : JSON.stringify(result), via: prefix.replace(/\.$/, '') || 'result' };
  }
  const rebuilt = rebuildFromFields(result);
  if (!rebuilt) {
    return {
      kind: 'error',
      format,
      message: `Splunk result without _raw and without CloudTrail fields (expected "_raw", or fields such as "eventName", "userIdentity.arn"); found ${Object.keys(result).slice(0, 8).map((k) => JSON.stringify(k)).join(', ') || 'no fields'}`,
    };
  }
  return { kind: 'record', format, record: rebuilt, raw: JSON.stringify(rebuilt), via: `${prefix || ''}fields`.replace(/^\./, ''), rebuilt: true };
}

/**
 * A record rebuilt from Splunk's extracted fields: `a.b.c` → nested objects, `list{}.x` → an array of objects by
 * position (Splunk lists a multi-value field's values in order), `list{}` → an array. Only CloudTrail's own top-level
 * fields (and a Logstash `@timestamp`) are kept — not Splunk's `_time`, `host`, `source`…, nor an add-on's aliases. Fields under two levels of
 * arrays (`a{}.b{}.c`), whose values Splunk flattens into one list, cannot be put back and are left out. Null when
 * nothing of a CloudTrail record is there.
 */
export function rebuildFromFields(fields: Record<string, unknown>): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [key, value] of Object.entries(fields)) {
    const parts = key.split('.');
    const top = parts[0]!.replace(/\{\}$/, '');
    if (!CLOUDTRAIL_FIELDS.has(top) && top !== '@timestamp') continue;
    const arrays = parts.filter((p) => p.endsWith('{}')).length;
    if (arrays > 1 || parts.some((p) => p === '' || p === '{}' || p === '__proto__')) continue;
    const at = parts.findIndex((p) => p.endsWith('{}'));
    if (at === -1) {
      setPath(out, parts, value);
    } else {
      const arrayPath = [...parts.slice(0, at), parts[at]!.slice(0, -2)];
      const values = Array.isArray(value) ? value : [value];
      const rest = parts.slice(at + 1);
      let list = getPath(out, arrayPath);
      if (!Array.isArray(list)) {
        list = [];
        setPath(out, arrayPath, list);
      }
      const items = list as unknown[];
      values.forEach((v, i) => {
        if (rest.length === 0) items[i] = v;
        else {
          const item = obj(items[i]) ?? {};
          items[i] = item;
          setPath(item, rest, v);
        }
      });
    }
    any = true;
  }
  return any && looksLikeCloudTrail(out) ? out : null;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = target;
  for (const p of path.slice(0, -1)) {
    let next = obj(cur[p]);
    if (!next) {
      next = {};
      cur[p] = next;
    }
    cur = next;
  }
  cur[path[path.length - 1]!] = value;
}

function getPath(target: Record<string, unknown>, path: string[]): unknown {
  let cur: unknown = target;
  for (const p of path) cur = obj(cur)?.[p];
  return cur;
}

/**
 * The exact text of a top-level member's value in a JSON object's text (valid JSON: it has been parsed), so the record
 * kept is byte for byte what the export holds. Null when the key is absent; DUPLICATE when it appears twice.
 */
function memberText(text: string, key: string): string | null | typeof DUPLICATE {
  let depth = 0;
  let found: string | null = null;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = stringEnd(text, i);
      if (depth === 1 && expectKey) {
        const raw = text.slice(i, end + 1);
        const name = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        expectKey = false;
        if (name === key) {
          if (found !== null) return DUPLICATE;
          let v = text.indexOf(':', end + 1) + 1;
          while (/\s/.test(text[v]!)) v++;
          const valueEnd = valueEndAt(text, v);
          found = text.slice(v, valueEnd);
          i = valueEnd - 1;
          continue;
        }
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1 && c === 0x7b) expectKey = true;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && depth === 1) expectKey = true;
  }
  return found;
}

function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return text.length - 1;
}

/** Where the JSON value starting at `start` ends (exclusive). */
function valueEndAt(text: string, start: number): number {
  const c = text.charCodeAt(start);
  if (c === 0x22) return stringEnd(text, start) + 1;
  if (c !== 0x7b && c !== 0x5b) {
    let i = start;
    while (i < text.length && !/[,}\]\s]/.test(text[i]!)) i++;
    return i;
  }
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) i = stringEnd(text, i);
    else if (ch === 0x7b || ch === 0x5b) depth++;
    else if (ch === 0x7d || ch === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}
