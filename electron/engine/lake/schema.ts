/**
 * The standard CloudTrail table: the column layout of the Athena table AWS documents for CloudTrail logs
 * ("Create the table for CloudTrail logs in Athena using partition projection", Athena user guide). Names are the
 * record's JSON keys; Athena (Hive) lowercases them, and every engine here resolves names case-insensitively, so
 * the rules can write `useridentity.sessioncontext.sessionissuer.arn` whatever engine reads the files.
 * Columns of type `json` are STRING columns that hold a JSON object as text (requestParameters, …).
 */
import type { Dialect, DialectName } from './dialect';

export type Column =
  | { name: string; type: 'string' | 'json' | 'map' }
  | { name: string; type: 'struct'; fields: Column[] }
  | { name: string; type: 'array'; fields: Column[] };

const s = (name: string): Column => ({ name, type: 'string' });
const j = (name: string): Column => ({ name, type: 'json' });
const st = (name: string, fields: Column[]): Column => ({ name, type: 'struct', fields });

export const CLOUDTRAIL_COLUMNS: Column[] = [
  s('eventVersion'),
  st('userIdentity', [
    s('type'),
    s('principalId'),
    s('arn'),
    s('accountId'),
    s('invokedBy'),
    s('accessKeyId'),
    s('userName'),
    st('onBehalfOf', [s('userId'), s('identityStoreArn')]),
    st('sessionContext', [
      st('attributes', [s('mfaAuthenticated'), s('creationDate')]),
      st('sessionIssuer', [s('type'), s('principalId'), s('arn'), s('accountId'), s('userName')]),
      s('ec2RoleDelivery'),
      st('webIdFederationData', [s('federatedProvider'), { name: 'attributes', type: 'map' }]),
    ]),
  ]),
  s('eventTime'),
  s('eventSource'),
  s('eventName'),
  s('awsRegion'),
  s('sourceIPAddress'),
  s('userAgent'),
  s('errorCode'),
  s('errorMessage'),
  j('requestParameters'),
  j('responseElements'),
  j('additionalEventData'),
  s('requestID'),
  s('eventID'),
  s('readOnly'),
  { name: 'resources', type: 'array', fields: [s('ARN'), s('accountId'), s('type')] },
  s('eventType'),
  s('apiVersion'),
  s('recipientAccountId'),
  j('serviceEventDetails'),
  s('sharedEventID'),
  s('vpcEndpointId'),
  s('vpcEndpointAccountId'),
  s('eventCategory'),
  st('addendum', [s('reason'), s('updatedFields'), s('originalRequestID'), s('originalEventID')]),
  s('sessionCredentialFromConsole'),
  j('edgeDeviceDetails'),
  st('tlsDetails', [s('tlsVersion'), s('cipherSuite'), s('clientProvidedHostHeader')]),
];

/** Hive / Spark type text of a column (`STRUCT<a: STRING, …>`), with the names as given. */
function hiveType(c: Column, name: (n: string) => string): string {
  switch (c.type) {
    case 'string':
    case 'json':
      return 'STRING';
    case 'map':
      return 'MAP<STRING, STRING>';
    case 'struct':
      return `STRUCT<${c.fields.map((f) => `${name(f.name)}: ${hiveType(f, name)}`).join(', ')}>`;
    case 'array':
      return `ARRAY<STRUCT<${c.fields.map((f) => `${name(f.name)}: ${hiveType(f, name)}`).join(', ')}>>`;
  }
}

/** DuckDB type text: the JSON keys as written (read_json matches them exactly). */
function duckType(c: Column): string {
  const q = (n: string) => `"${n}"`;
  switch (c.type) {
    case 'string':
    case 'json':
      return 'VARCHAR';
    case 'map':
      return 'MAP(VARCHAR, VARCHAR)';
    case 'struct':
      return `STRUCT(${c.fields.map((f) => `${q(f.name)} ${duckType(f)}`).join(', ')})`;
    case 'array':
      return `STRUCT(${c.fields.map((f) => `${q(f.name)} ${duckType(f)}`).join(', ')})[]`;
  }
}

export interface DdlOptions {
  table: string;
  /** Where the trail is: `s3://<bucket>/AWSLogs/<account>/CloudTrail/<region>` (Athena), a folder or glob (Spark). */
  location: string;
  /** Athena partition projection: the first day (yyyy/MM/dd) of the range. */
  rangeStart: string;
}

/**
 * Athena: the documented table, with partition projection on the day (`timestamp`) partition, for one account and
 * region's trail prefix. Trino reads the same table through the Glue catalog or a Hive metastore that holds it.
 */
function athenaDdl(o: DdlOptions): string {
  const cols = CLOUDTRAIL_COLUMNS.map((c) => `  ${c.name.toLowerCase()} ${hiveType(c, (n) => n.toLowerCase())}`).join(',\n');
  const base = o.location.replace(/\/+$/, '');
  return `CREATE EXTERNAL TABLE ${o.table} (
${cols}
)
PARTITIONED BY (\`timestamp\` STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '${base}'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.timestamp.format' = 'yyyy/MM/dd',
  'projection.timestamp.interval' = '1',
  'projection.timestamp.interval.unit' = 'DAYS',
  'projection.timestamp.range' = '${o.rangeStart},NOW',
  'projection.timestamp.type' = 'date',
  'storage.location.template' = '${base}/\${timestamp}'
)`;
}

/**
 * Spark: the trail files read with the table's layout as an explicit schema (a STRING column keeps a nested
 * object as its JSON text), and a view with one row per record under the documented column names.
 */
function sparkDdl(o: DdlOptions): string {
  const records = `ARRAY<STRUCT<${CLOUDTRAIL_COLUMNS.map((c) => `${c.name}: ${hiveType(c, (n) => n)}`).join(', ')}>>`;
  return `CREATE TABLE ${o.table}_files (Records ${records})
USING json
OPTIONS (path '${o.location.replace(/'/g, "\\'")}', multiLine 'true', recursiveFileLookup 'true', pathGlobFilter '*_CloudTrail_*.json.gz');

CREATE OR REPLACE TEMPORARY VIEW ${o.table} AS
SELECT ${CLOUDTRAIL_COLUMNS.map((c) => `r.${c.name} AS ${c.name.toLowerCase()}`).join(', ')}
FROM ${o.table}_files LATERAL VIEW explode(Records) t AS r`;
}

/** DuckDB: the trail files (a list of paths or globs, local or `s3://` with the httpfs extension) as a view. */
export function duckdbSource(files: string[], maxObjectBytes = 16 << 20): string {
  const list = `[${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}]`;
  const records = `STRUCT(${CLOUDTRAIL_COLUMNS.map((c) => `"${c.name}" ${duckType(c)}`).join(', ')})[]`;
  return `SELECT ${CLOUDTRAIL_COLUMNS.map((c) => `r."${c.name}" AS ${c.name.toLowerCase()}`).join(', ')}
FROM (SELECT unnest("Records") AS r FROM read_json(${list}, format = 'auto', maximum_object_size = ${maxObjectBytes}, ignore_errors = false, columns = {"Records": '${records}'}))`;
}

function duckdbDdl(o: DdlOptions): string {
  return `CREATE OR REPLACE VIEW ${o.table} AS\n${duckdbSource([o.location])}`;
}

export function tableDdl(d: DialectName, o: DdlOptions): string {
  switch (d) {
    case 'athena':
    case 'trino':
      return athenaDdl(o);
    case 'spark':
      return sparkDdl(o);
    case 'duckdb':
      return duckdbDdl(o);
  }
}

/**
 * A record of the table back to CloudTrail JSON text (the camel-case keys `podtrail ingest` reads): the columns of
 * the documented layout, nothing more (fields the table does not carry are not in the lake either).
 */
export function recordJson(d: Dialect, prefix = ''): string {
  const value = (c: Column, expr: string): string => {
    switch (c.type) {
      case 'string':
        return d.jsonQuote(expr);
      case 'json':
        return expr;
      case 'map':
        return d.jsonOfMap(expr);
      case 'struct':
        return object(c.fields, (f) => `${expr}.${f.name.toLowerCase()}`);
      case 'array':
        return d.jsonArray(expr, (e) => object(c.fields, (f) => `${e}.${f.name.toLowerCase()}`));
    }
  };
  // Absent fields are left out (as CloudTrail leaves them out); a present object keeps its braces.
  const object = (fields: Column[], at: (f: Column) => string): string =>
    `'{' || coalesce(concat_ws(',', ${fields.map((f) => `CASE WHEN ${at(f)} IS NOT NULL THEN ${d.str(`"${f.name}":`)} || ${value(f, at(f))} END`).join(', ')}), '') || '}'`;
  return object(CLOUDTRAIL_COLUMNS, (c) => `${prefix}${c.name.toLowerCase()}`);
}
