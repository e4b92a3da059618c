/**
 * The few places where Athena/Trino, Spark SQL and DuckDB spell the same thing differently. The attribution rules
 * (rules.ts) and the extract (extract.ts) are written once against this table; every dialect's text comes from it.
 * Everything else the rules use — CASE, COALESCE, `||`, LIKE, window functions, joins, struct field access with
 * dots — is spelled alike in the three engines.
 */

export const DIALECTS = ['athena', 'trino', 'spark', 'duckdb'] as const;
export type DialectName = (typeof DIALECTS)[number];

export interface Dialect {
  name: DialectName;
  /** A string literal. */
  str(s: string): string;
  /** The string at a JSON path (`$.a.b`) inside a column holding JSON text; NULL when absent. */
  jsonStr(col: string, path: string): string;
  /**
   * The value of a `[{key, value}]` tag list (as CloudTrail logs `requestParameters.tags`) at `$.<listPath>`, or of
   * the `{key: value}` map form some exports write.
   */
  tagValue(col: string, listPath: string, key: string): string;
  /** Epoch milliseconds (BIGINT) of an ISO 8601 time; NULL when unreadable. */
  isoMs(expr: string): string;
  /** Epoch milliseconds of an STS `credentials.expiration` (`Mar 2, 2026, 6:15:49 AM`, or ISO 8601); NULL when unreadable. */
  expirationMs(expr: string): string;
  /** Capture group `group` of the first match of `pattern` (no backslashes: classes like [0-9], [.]), NULL when none. */
  regexpGroup(expr: string, pattern: string, group: number): string;
  /** Does `pattern` match somewhere in `expr`. */
  regexpLike(expr: string, pattern: string): string;
  /** The text of a newline (the separator of the notes and evidence lists). */
  newline: string;
  /** Distinct values of a group joined by `sep`, in order. */
  stringAgg(expr: string, sep: string): string;
  /** A number as text. */
  text(expr: string): string;
  /** `expr` as a JSON string literal (quoted, escaped). */
  jsonQuote(expr: string): string;
  /** A MAP<string,string> as a JSON object text. */
  jsonOfMap(expr: string): string;
  /** A JSON array text built from each element `e` of an array through `f(e)` (which yields JSON text). */
  jsonArray(expr: string, f: (e: string) => string): string;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Spark SQL string literals take backslash escapes; the rules never use a backslash, this keeps user text safe. */
const sparkQuote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function checkPattern(p: string): string {
  if (p.includes('\\')) throw new Error(`regular expression with a backslash (spelled differently per dialect): ${p}`);
  return p;
}

const trino = (name: 'athena' | 'trino'): Dialect => ({
  name,
  str: quote,
  jsonStr: (c, p) => `json_extract_scalar(${c}, ${quote(p)})`,
  tagValue: (c, list, key) =>
    `coalesce(json_extract_scalar(element_at(filter(try(CAST(json_extract(${c}, ${quote(`$.${list}`)}) AS ARRAY(JSON))), t -> json_extract_scalar(t, '$.key') = ${quote(key)}), 1), '$.value'), ` +
    `json_extract_scalar(${c}, ${quote(`$.${list}["${key}"]`)}))`,
  isoMs: (e) => `CAST(try(to_unixtime(from_iso8601_timestamp(${e}))) * 1000 AS BIGINT)`,
  expirationMs: (e) =>
    `CAST(coalesce(try(to_unixtime(parse_datetime(${e}, 'MMM d, yyyy, h:mm:ss a'))), try(to_unixtime(from_iso8601_timestamp(${e})))) * 1000 AS BIGINT)`,
  regexpGroup: (e, p, g) => `nullif(regexp_extract(${e}, ${quote(checkPattern(p))}, ${g}), '')`,
  regexpLike: (e, p) => `coalesce(regexp_like(${e}, ${quote(checkPattern(p))}), FALSE)`,
  newline: 'chr(10)',
  stringAgg: (e, sep) => `array_join(array_sort(array_distinct(array_agg(${e}))), ${quote(sep)})`,
  text: (e) => `CAST(${e} AS VARCHAR)`,
  jsonQuote: (e) => `json_format(CAST(${e} AS JSON))`,
  jsonOfMap: (e) => `json_format(CAST(${e} AS JSON))`,
  jsonArray: (e, f) => `'[' || array_join(transform(${e}, x -> ${f('x')}), ',') || ']'`,
});

const spark: Dialect = {
  name: 'spark',
  str: sparkQuote,
  jsonStr: (c, p) => `get_json_object(${c}, ${sparkQuote(p)})`,
  tagValue: (c, list, key) =>
    `coalesce(try_element_at(filter(from_json(get_json_object(${c}, ${sparkQuote(`$.${list}`)}), 'array<struct<key:string,value:string>>'), t -> t.key = ${sparkQuote(key)}), 1).value, ` +
    `get_json_object(${c}, ${sparkQuote(`$.${list}['${key}']`)}))`,
  isoMs: (e) => `unix_millis(try_to_timestamp(${e}))`,
  expirationMs: (e) => `unix_millis(coalesce(try_to_timestamp(${e}, 'MMM d, yyyy, h:mm:ss a'), try_to_timestamp(${e})))`,
  regexpGroup: (e, p, g) => `nullif(regexp_extract(${e}, ${sparkQuote(checkPattern(p))}, ${g}), '')`,
  regexpLike: (e, p) => `coalesce(${e} RLIKE ${sparkQuote(checkPattern(p))}, FALSE)`,
  newline: 'char(10)',
  stringAgg: (e, sep) => `array_join(array_sort(collect_set(${e})), ${sparkQuote(sep)})`,
  text: (e) => `CAST(${e} AS STRING)`,
  jsonQuote: (e) => `regexp_extract(to_json(named_struct('v', ${e})), '^[{]"v":(.*)[}]$', 1)`,
  jsonOfMap: (e) => `to_json(${e})`,
  jsonArray: (e, f) => `'[' || array_join(transform(${e}, x -> ${f('x')}), ',') || ']'`,
};

const duckdb: Dialect = {
  name: 'duckdb',
  str: quote,
  jsonStr: (c, p) => `json_extract_string(${c}, ${quote(p)})`,
  tagValue: (c, list, key) =>
    `coalesce(CASE WHEN json_type(${c}, ${quote(`$.${list}`)}) = 'ARRAY' THEN list_filter(from_json(json_extract(${c}, ${quote(`$.${list}`)}), '[{"key":"VARCHAR","value":"VARCHAR"}]'), t -> t.key = ${quote(key)})[1].value END, ` +
    `json_extract_string(${c}, ${quote(`$.${list}."${key}"`)}))`,
  isoMs: (e) => `epoch_ms(TRY_CAST(${e} AS TIMESTAMPTZ))`,
  expirationMs: (e) => `coalesce(epoch_ms(try_strptime(${e}, '%b %-d, %Y, %-I:%M:%S %p')), epoch_ms(TRY_CAST(${e} AS TIMESTAMPTZ)))`,
  regexpGroup: (e, p, g) => `nullif(regexp_extract(${e}, ${quote(checkPattern(p))}, ${g}), '')`,
  regexpLike: (e, p) => `coalesce(regexp_matches(${e}, ${quote(checkPattern(p))}), FALSE)`,
  newline: 'chr(10)',
  stringAgg: (e, sep) => `string_agg(DISTINCT ${e}, ${quote(sep)} ORDER BY ${e})`,
  text: (e) => `CAST(${e} AS VARCHAR)`,
  jsonQuote: (e) => `CAST(to_json(${e}) AS VARCHAR)`,
  jsonOfMap: (e) => `CAST(to_json(${e}) AS VARCHAR)`,
  jsonArray: (e, f) => `'[' || array_to_string(list_transform(${e}, x -> ${f('x')}), ',') || ']'`,
};

export function dialect(name: DialectName): Dialect {
  switch (name) {
    case 'athena':
    case 'trino':
      return trino(name);
    case 'spark':
      return spark;
    case 'duckdb':
      return duckdb;
  }
}
