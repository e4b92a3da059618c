/**
 * Past one machine (issue 14): the attribution as SQL on the engines that already hold organisation trails
 * (Athena/Trino, Spark, DuckDB), run embedded on DuckDB, and the extract that brings a cut of the lake into a case.
 * See docs/lake.md.
 */
import { dialect, DIALECTS, type DialectName } from './dialect';
import { tableDdl } from './schema';
import { attributionQuery } from './rules';
import { extractQuery, WhereError } from './extract';
import { LakeError } from './duckdb';

export { DIALECTS, type DialectName, LakeError, WhereError };
export { lakeAttribute, lakeExtract, trailFiles } from './duckdb';

export interface SqlOptions {
  dialect: DialectName;
  table?: string;
  ddl?: boolean;
  /** --ddl: the trail's location (Athena: `s3://<bucket>/AWSLogs/<account>/CloudTrail/<region>`). */
  location?: string;
  /** --ddl (Athena): the first day of the partition projection range, yyyy/MM/dd. */
  rangeStart?: string;
  extract?: boolean;
  where?: string;
  /** A predicate over the table that bounds what is read (partitions): `"timestamp" >= '2026/03/01'`. */
  scan?: string;
}

export const DEFAULT_TABLE = 'cloudtrail_logs';
/** The bucket name AWS's own documentation uses in its examples. */
export const DEFAULT_LOCATION = 's3://amzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail/us-east-1';

/** The text `podtrail lake sql` prints. */
export function sqlText(o: SqlOptions): string {
  if (!DIALECTS.includes(o.dialect)) throw new LakeError(`unknown dialect ${String(o.dialect)} (one of ${DIALECTS.join(', ')})`);
  const table = o.table ?? DEFAULT_TABLE;
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$/.test(table)) throw new LakeError(`--table: ${table} is not a table name ([catalog.][schema.]name)`);
  const d = dialect(o.dialect);
  if (o.ddl) {
    if (o.extract) throw new LakeError('--ddl and --extract are two different texts: ask for one');
    const rangeStart = o.rangeStart ?? '2020/01/01';
    if (!/^\d{4}\/\d{2}\/\d{2}$/.test(rangeStart)) throw new LakeError('--range-start: yyyy/MM/dd');
    const location = o.location ?? (o.dialect === 'duckdb' ? 'AWSLogs/**/*_CloudTrail_*.json.gz' : DEFAULT_LOCATION);
    if (/['\\]/.test(location)) throw new LakeError('--location: no quotes or backslashes');
    return `${tableDdl(o.dialect, { table, location, rangeStart })};\n`;
  }
  if (o.extract) {
    if (!o.where) throw new LakeError('--extract needs --where "<predicate>"');
    return `${extractQuery(d, { table, where: o.where, scan: o.scan })};\n`;
  }
  if (o.where) throw new LakeError('--where is for --extract (the attribution covers every event; filter its result instead)');
  return `${attributionQuery(d, { table, scan: o.scan })};\n`;
}
