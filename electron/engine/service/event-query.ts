/**
 * Table state → SQL. Filtering, sorting and paging of the event table happen in SQLite (the UI never holds
 * more than a page). Pure: builds text and parameters, never splices a value into SQL — but for the search's
 * raw-record matches, which the caller's `hits` resolver (raw-search.ts `searchHits`) puts in a temporary table.
 */
import type { EventFilters, EventQuery, SortColumn } from '../../../shared/api';
import { parseSearch, searchesRaw, type SearchTerm } from './search-terms';
import { EVENT_ID_HASH_SQL } from '../db/event-id';

/**
 * A temporary table (column `id`) of the events matching a search term, and whether they are few (a small part of
 * the case: the query starts from them; otherwise it walks its usual index and looks each event up in the table).
 * Without a resolver, free text reaches the table's columns only, and a field-qualified term cannot be answered.
 */
export type SearchHits = (term: SearchTerm) => { table: string; few: boolean };

export interface SqlPart {
  sql: string;
  params: unknown[];
}

/** The rows the table shows: an event joined to the attribution of its credential. */
export const EVENT_FROM = `events e JOIN event_subjects es ON es.event_rowid = e.id JOIN subjects s ON s.id = es.subject_id`;

export const EVENT_COLUMNS = `e.id, e.event_id, e.event_time, e.event_source, e.event_name, e.recipient_account_id, e.aws_region,
  e.source_ip, e.error_code, e.access_key_id, s.mechanism, s.cluster_name, s.namespace, s.service_account, s.pod_name,
  s.node_instance, s.conf_identity, s.conf_pod, s.conf_node,
  (SELECT group_concat(f.flag) FROM event_flags f WHERE f.event_rowid = e.id) AS flags`;

const SORT_SQL: Record<SortColumn, string> = {
  eventTime: 'e.event_ms',
  eventName: 'e.event_name',
  eventSource: 'e.event_source',
  account: 'e.recipient_account_id',
  region: 'e.aws_region',
  sourceIp: 'e.source_ip',
  mechanism: 's.mechanism',
  pod: 's.pod_name',
  node: 's.node_instance',
};

/** `%term%` for LIKE, with the wildcards of the term itself escaped. */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The columns free text is a substring of (LIKE, ASCII case ignored). The principal ARN and the user agent are kept
 * once each in `strings` (db/strings.ts): the few distinct values are matched, then the events that hold them.
 */
export const SEARCH_COLUMNS = ['e.event_name', 'e.event_source', 'e.principal_arn', 'e.source_ip', 'e.user_agent', 'e.access_key_id', 'e.event_id'];
const STRING_ID_COLUMNS = new Set(['e.principal_arn', 'e.user_agent']);

/** Free text as a substring of one of the searched columns. */
export function searchColumnsLike(text: string): SqlPart {
  const p = likePattern(text);
  const test = (c: string) =>
    STRING_ID_COLUMNS.has(c) ? `${c}_sid IN (SELECT id FROM strings WHERE text LIKE ? ESCAPE '\\')` : `${c} LIKE ? ESCAPE '\\'`;
  return { sql: `(${SEARCH_COLUMNS.map(test).join(' OR ')})`, params: SEARCH_COLUMNS.map(() => p) };
}

/** The examiner's active annotations of one kind on one kind of target (`an.target`), `text` bound when given. */
function annotated(target: 'event' | 'session' | 'pod' | 'principal', kind: 'star' | 'tag'): string {
  return `SELECT an.target FROM annotations an WHERE an.target_kind = '${target}' AND an.kind = '${kind}'${kind === 'tag' ? ' AND an.text = ?' : ''} AND an.removed_at IS NULL`;
}

/**
 * The row ids of the events starred or tagged themselves (notes/store.ts): `<eventID>` names every record under
 * the eventID, `<eventID>#<n>` its variant n. Looked up through the eventID hash index (db/event-id.ts), from the
 * annotations: a few rows, whatever the size of the case. Binds the tag twice when `kind` is 'tag'.
 */
function annotatedEvents(kind: 'star' | 'tag'): string {
  const marked = `(${annotated('event', kind)})`;
  // `<eventID>#<n>`: the id is what precedes the trailing digits and their '#'.
  const digits = `rtrim(av.target, '0123456789')`;
  const id = `substr(${digits}, 1, length(${digits}) - 1)`;
  return (
    `SELECT ae.id FROM ${marked} av JOIN events ae ON ae.id_hash = ${EVENT_ID_HASH_SQL}(av.target) AND ae.event_id = av.target ` +
    `UNION SELECT ae.id FROM ${marked} av JOIN events ae ON ae.id_hash = ${EVENT_ID_HASH_SQL}(${id}) AND ae.event_id = ${id} ` +
    `AND ae.variant = CAST(substr(av.target, length(${digits}) + 1) AS INTEGER) WHERE av.target GLOB '?*#[0-9]*' AND ${digits} GLOB '?*#'`
  );
}

/**
 * The events carrying a tag: on themselves, or on their session (its access key, as the key filter reads it), their
 * pod or their person (the attribution's principal or the person acting through the pod, as the principal filter
 * reads them). One membership test: SQLite reads the few matching row ids first. Binds the tag six times.
 */
function taggedEvents(): string {
  return (
    `${annotatedEvents('tag')} ` +
    `UNION SELECT ak.id FROM events ak WHERE ak.access_key_id IN (${annotated('session', 'tag')}) ` +
    `UNION SELECT es2.event_rowid FROM event_subjects es2 WHERE es2.subject_id IN (SELECT s2.id FROM subjects s2 WHERE s2.pod_name IN (${annotated('pod', 'tag')}) ` +
    `OR s2.resolution ->> '$.principal' IN (${annotated('principal', 'tag')}) OR s2.resolution ->> '$.actor.principal' IN (${annotated('principal', 'tag')}))`
  );
}

/** The filters on the attribution subject (`s.` columns): whereClause over these alone reads only `subjects s`. */
export const SUBJECT_FILTERS = ['mechanism', 'cluster', 'namespace', 'serviceAccount', 'pod', 'node', 'principal'] as const satisfies readonly (keyof EventFilters)[];

/**
 * The row-id sets the flag, star and tag filters keep, each a query of one `id` column (whereClause tests each row
 * against the same sets): what a reader counting in memory (event-columns.ts) intersects.
 */
export function markedSetQueries(f: EventFilters): SqlPart[] {
  const out: SqlPart[] = [];
  if (f.flag === 'any') out.push({ sql: 'SELECT DISTINCT event_rowid AS id FROM event_flags', params: [] });
  else if (f.flag !== undefined) out.push({ sql: 'SELECT event_rowid AS id FROM event_flags WHERE flag = ?', params: [f.flag] });
  if (f.starred === true) out.push({ sql: `SELECT id FROM (${annotatedEvents('star')})`, params: [] });
  if (f.tag !== undefined && f.tag !== '') out.push({ sql: `SELECT id FROM (${taggedEvents()})`, params: Array<string>(6).fill(f.tag) });
  return out;
}

export function whereClause(f: EventFilters, hits?: SearchHits): SqlPart {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined || value === '') return;
    clauses.push(`${column} = ?`);
    params.push(value);
  };
  if (f.fromMs !== undefined) {
    clauses.push('e.event_ms >= ?');
    params.push(f.fromMs);
  }
  if (f.toMs !== undefined) {
    clauses.push('e.event_ms < ?');
    params.push(f.toMs);
  }
  eq('e.recipient_account_id', f.account);
  eq('e.aws_region', f.region);
  eq('e.event_source', f.eventSource);
  eq('e.event_name', f.eventName);
  if (f.errorCode === 'any') clauses.push('e.error_code IS NOT NULL');
  else if (f.errorCode === 'none') clauses.push('e.error_code IS NULL');
  else eq('e.error_code', f.errorCode);
  eq('s.mechanism', f.mechanism);
  eq('s.cluster_name', f.cluster);
  eq('s.namespace', f.namespace);
  eq('s.service_account', f.serviceAccount);
  eq('s.pod_name', f.pod);
  eq('s.node_instance', f.node);
  eq('e.access_key_id', f.accessKeyId);
  if (f.principal !== undefined && f.principal !== '') {
    // Subject-level (the rollup answers it too): the resolution's principal, or the person acting through the pod.
    clauses.push("(s.resolution ->> '$.principal' = ? OR s.resolution ->> '$.actor.principal' = ?)");
    params.push(f.principal, f.principal);
  }
  if (f.flag === 'any') clauses.push('EXISTS (SELECT 1 FROM event_flags f WHERE f.event_rowid = e.id)');
  else if (f.flag !== undefined) {
    clauses.push('EXISTS (SELECT 1 FROM event_flags f WHERE f.event_rowid = e.id AND f.flag = ?)');
    params.push(f.flag);
  }
  // The examiner's stars and tags (annotations, migration 0100), read when the query runs: a change shows at once.
  if (f.starred === true) clauses.push(`e.id IN (${annotatedEvents('star')})`);
  if (f.tag !== undefined && f.tag !== '') {
    clauses.push(`e.id IN (${taggedEvents()})`);
    params.push(...Array<string>(6).fill(f.tag));
  }
  // Search (search-terms.ts): the free-text phrase as a substring of the columns or on whole tokens of the raw
  // record; each `path:glob` term on the raw record. Terms AND. With a resolver, each term's events are in its
  // temporary table (the column matches included: one scan per term, then every page, total and histogram of it
  // reads the table); without one, the phrase reaches the columns only.
  for (const term of f.search !== undefined && f.search.trim() !== '' ? parseSearch(f.search) : []) {
    if (hits && (term.kind === 'field' || searchesRaw(term))) {
      const h = hits(term);
      // `+e.id`: a membership test only, so that SQLite keeps the time index (page order, histogram slices).
      clauses.push(`${h.few ? 'e.id' : '+e.id'} IN (SELECT id FROM temp."${h.table}")`);
      continue;
    }
    if (term.kind === 'field') throw new Error(`${term.path.join('.')}: a field-qualified search needs the case's raw search (raw-search.ts)`);
    const like = searchColumnsLike(term.text);
    clauses.push(like.sql);
    params.push(...like.params);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/**
 * Source IPs sort as addresses, not text: IPv4 first in numeric order (10.0.0.9 before 10.0.0.10), then IPv6,
 * then anything else (an AWS service name such as `eks.amazonaws.com`), each group by its text. SQLite's
 * CAST(text AS INTEGER) reads the longest integer prefix, so each octet is the cast of the text after n dots.
 */
function ipOrder(col: string, dir: string): string {
  const after = (n: number): string => (n === 0 ? col : `substr(${after(n - 1)}, instr(${after(n - 1)}, '.') + 1)`);
  const octet = (n: number) => `CAST(${after(n)} AS INTEGER)`;
  const v4 = `(${col} GLOB '[0-9]*.[0-9]*.[0-9]*.[0-9]*' AND ${col} NOT GLOB '*[^0-9.]*')`;
  const family = `CASE WHEN ${col} IS NULL THEN 3 WHEN ${v4} THEN 0 WHEN instr(${col}, ':') > 0 THEN 1 ELSE 2 END`;
  const number = `CASE WHEN ${v4} THEN ((${octet(0)} * 256 + ${octet(1)}) * 256 + ${octet(2)}) * 256 + ${octet(3)} END`;
  return `${family} ${dir}, ${number} ${dir}, ${col} ${dir}`;
}

export function orderBy(q: Pick<EventQuery, 'sort'>): string {
  const dir = q.sort.dir === 'desc' ? 'DESC' : 'ASC';
  if (q.sort.column === 'sourceIp') return `ORDER BY ${ipOrder('e.source_ip', dir)}, e.event_ms ${dir}, e.event_id ${dir}`;
  const col = SORT_SQL[q.sort.column];
  // Ties break by time then eventID, so paging is stable.
  return col === 'e.event_ms' ? `ORDER BY e.event_ms ${dir}, e.event_id ${dir}` : `ORDER BY ${col} ${dir}, e.event_ms ${dir}, e.event_id ${dir}`;
}

/**
 * One page of the table. `viaSubjects`: for a sparse filter, read the events of the attribution subjects that can
 * match (found in the rollup) through their index and sort those, instead of walking the whole time index to find
 * a few rows (the caller decides, from the rollup's counts; only for rollup filters and the time sort).
 */
export function pageQuery(q: EventQuery, viaSubjects = false, hits?: SearchHits, among?: ArrayLike<number>): SqlPart {
  if (among !== undefined) {
    // The page is among these rows, which the in-memory columns found matching every filter (event-columns.ts
    // `firstRows`): read by row id and ordered here. The search terms are not tested again (their hit tables would
    // have to be written for that); the other filters are, on these few rows.
    const w = whereClause({ ...q.filters, search: undefined });
    const rows = `e.id IN (SELECT value FROM json_each(?))`;
    return {
      sql: `SELECT ${EVENT_COLUMNS} FROM ${EVENT_FROM} ${w.sql ? `${w.sql} AND ${rows}` : `WHERE ${rows}`} ${orderBy(q)} LIMIT ? OFFSET ?`,
      params: [...w.params, JSON.stringify(Array.from(among)), q.limit, q.offset],
    };
  }
  const w = whereClause(q.filters, hits);
  if (!viaSubjects) {
    return { sql: `SELECT ${EVENT_COLUMNS} FROM ${EVENT_FROM} ${w.sql} ${orderBy(q)} LIMIT ? OFFSET ?`, params: [...w.params, q.limit, q.offset] };
  }
  const subjects = `es.subject_id IN (SELECT e.subject_id FROM event_rollup e JOIN subjects s ON s.id = e.subject_id ${w.sql})`;
  const where = w.sql ? `${w.sql} AND ${subjects}` : `WHERE ${subjects}`;
  // `+e.event_ms`: not through the time index, so that SQLite starts from the subjects.
  return {
    sql: `SELECT ${EVENT_COLUMNS} FROM ${EVENT_FROM} ${where} ${orderBy(q).replace('ORDER BY e.event_ms', 'ORDER BY +e.event_ms')} LIMIT ? OFFSET ?`,
    params: [...w.params, ...w.params, q.limit, q.offset],
  };
}

/** How many events the subjects that can match the filters hold in all (what a `viaSubjects` page reads). */
export function subjectEventsQuery(f: EventFilters): SqlPart {
  const w = whereClause(f);
  return {
    sql: `SELECT COALESCE(SUM(r.n), 0) FROM event_rollup r WHERE r.subject_id IN (SELECT e.subject_id FROM event_rollup e JOIN subjects s ON s.id = e.subject_id ${w.sql})`,
    params: w.params,
  };
}

/** Filters the rollup can answer: the facet columns it keeps and the attribution's (case/rollup.ts). */
const ROLLUP_FILTERS = new Set<keyof EventFilters>(['account', 'region', 'eventSource', 'eventName', 'errorCode', 'mechanism', 'cluster', 'namespace', 'serviceAccount', 'pod', 'node', 'principal']);

/**
 * Whether the rollup answers these filters (no time range, free text, key, detection, star or tag filter: the
 * rollup counts per subject and facet value, and a star or tag marks single events).
 */
export function rollupFilters(f: EventFilters): boolean {
  return (Object.keys(f) as (keyof EventFilters)[]).every((k) => f[k] === undefined || f[k] === '' || f[k] === false || ROLLUP_FILTERS.has(k));
}

/**
 * The total of the filtered set. Without a time range, free text, key or detection filter it is summed from the
 * rollup (same WHERE clause: the rollup's columns carry the names of `events`); otherwise counted row by row.
 */
export function countQuery(f: EventFilters, hits?: SearchHits): SqlPart {
  const w = whereClause(f, hits);
  if (rollupFilters(f)) return { sql: `SELECT COALESCE(SUM(e.n), 0) FROM event_rollup e JOIN subjects s ON s.id = e.subject_id ${w.sql}`, params: w.params };
  return { sql: `SELECT COUNT(*) FROM ${fromFor(w)} ${w.sql}`, params: w.params };
}

/** The attributed events, without the subjects table when no filter needs its columns (a third less work). */
function fromFor(w: SqlPart): string {
  return /\bs\./.test(w.sql) ? EVENT_FROM : 'events e JOIN event_subjects es ON es.event_rowid = e.id';
}

/** `rows`: only the events whose row id is in (after, upTo] (a slice of the table read in storage order). */
export function histogramQuery(f: EventFilters, fromMs: number, bucketMs: number, hits?: SearchHits, rows?: { after: number; upTo: number }): SqlPart {
  const w = whereClause(f, hits);
  const range = rows ? `${w.sql ? `${w.sql} AND` : 'WHERE'} e.id > ? AND e.id <= ?` : w.sql;
  return {
    sql: `SELECT CAST((e.event_ms - ?) / ? AS INTEGER) AS bucket, COUNT(*) AS n FROM ${fromFor(w)} ${range} GROUP BY bucket ORDER BY bucket`,
    params: [fromMs, bucketMs, ...w.params, ...(rows ? [rows.after, rows.upTo] : [])],
  };
}
