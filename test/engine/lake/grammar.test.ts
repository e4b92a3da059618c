/**
 * The lake SQL parses under the engines' grammars (dt-sql-parser's ANTLR grammars of Trino, Spark SQL and Hive), and
 * is one definition: every dialect's text has the same rules, differing only where the dialect table says.
 */
import { describe, expect, it } from 'vitest';
import { HiveSQL, SparkSQL, TrinoSQL } from 'dt-sql-parser';
import { sqlText } from '../../../electron/engine/lake';

const trino = new TrinoSQL();
const spark = new SparkSQL();
const hive = new HiveSQL();

function errors(parser: TrinoSQL | SparkSQL | HiveSQL, sql: string) {
  return parser.validate(sql.trim().replace(/;\s*$/, '')).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`);
}

describe('lake sql parses under the engines\' grammars', () => {
  it('the attribution query: Athena and Trino (Trino grammar), Spark (Spark SQL grammar)', () => {
    expect(errors(trino, sqlText({ dialect: 'athena' }))).toEqual([]);
    expect(errors(trino, sqlText({ dialect: 'trino', table: 'hive.security.cloudtrail_logs' }))).toEqual([]);
    expect(errors(spark, sqlText({ dialect: 'spark' }))).toEqual([]);
  });

  it('the extract query with a --where predicate', () => {
    const where = "eventName = 'GetSecretValue' AND userIdentity.arn LIKE '%payments%' AND eventTime >= '2026-03-02T00:00:00Z'";
    expect(errors(trino, sqlText({ dialect: 'athena', extract: true, where }))).toEqual([]);
    expect(errors(trino, sqlText({ dialect: 'trino', extract: true, where, scan: "\"timestamp\" >= '2026/03/01'" }))).toEqual([]);
    expect(errors(spark, sqlText({ dialect: 'spark', extract: true, where }))).toEqual([]);
  });

  it('the Athena DDL (Hive grammar: Athena DDL is Hive DDL) and the Spark DDL', () => {
    const athena = sqlText({ dialect: 'athena', ddl: true, location: 's3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1', rangeStart: '2026/01/01' });
    expect(athena).toMatch(/'projection.timestamp.range' = '2026\/01\/01,NOW'/);
    expect(athena).toMatch(/'storage.location.template' = 's3:\/\/trail-bucket\/AWSLogs\/111122223333\/CloudTrail\/us-east-1\/\$\{timestamp\}'/);
    expect(errors(hive, athena)).toEqual([]);
    for (const stmt of sqlText({ dialect: 'spark', ddl: true, location: 's3://trail-bucket/AWSLogs/' }).split(/;\s*\n/).filter((s) => s.trim())) {
      expect(errors(spark, stmt)).toEqual([]);
    }
  });

  it('the grammars do reject a broken text (the check can fail)', () => {
    const broken = sqlText({ dialect: 'athena' }).replace('FROM attribution', 'FROM FROM attribution');
    expect(errors(trino, broken).length).toBeGreaterThan(0);
    expect(errors(spark, sqlText({ dialect: 'spark' }).replace(/\)\s*SELECT/, ') SELEC')).length).toBeGreaterThan(0);
  });

  it('one definition: the dialects differ only in the spelled-differently functions', () => {
    const norm = (s: string) =>
      s
        .replace(/'(?:[^'\\]|''|\\.)*'/g, "'…'")
        .replace(/\b(json_extract_scalar|json_extract_string|get_json_object|json_format|json_extract|regexp_like|regexp_matches|chr|char|try_to_timestamp|from_iso8601_timestamp|to_unixtime|unix_millis|epoch_ms|try_strptime|parse_datetime|try|TRY_CAST|CAST|array_join|array_sort|array_distinct|array_agg|collect_set|string_agg|element_at|try_element_at|filter|list_filter|from_json|json_type|transform|list_transform)\b/g, 'f');
    const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
    const texts = (['athena', 'spark', 'duckdb'] as const).map((d) => sqlText({ dialect: d }));
    // The same CTEs, in the same order, and the same number of CASE branches and joins in each.
    const ctes = texts.map((t) => [...t.matchAll(/^(\w+) AS \($/gm)].map((m) => m[1]));
    expect(ctes[1]).toEqual(ctes[0]);
    expect(ctes[2]).toEqual(ctes[0]);
    for (const re of [/\bJOIN\b/g, /\bUNION\b/g, /\bOVER\b/g, /\bCASE\b/g]) {
      // DuckDB's tag lookup checks the JSON type first: one CASE and WHEN more per lookup, and nothing else differs.
      const extra = re.source.includes('CASE') ? count(texts[2]!, /json_type\(/g) : 0;
      expect(count(norm(texts[1]!), re)).toBe(count(norm(texts[0]!), re));
      expect(count(norm(texts[2]!), re)).toBe(count(norm(texts[0]!), re) + extra);
    }
    expect(count(texts[0]!, /\bWHEN\b/g)).toBe(count(texts[1]!, /\bWHEN\b/g));
    expect(count(texts[2]!, /\bWHEN\b/g)).toBe(count(texts[0]!, /\bWHEN\b/g) + count(texts[2]!, /json_type\(/g));
  });
});
