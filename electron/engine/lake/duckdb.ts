/**
 * The DuckDB dialect run embedded (`@duckdb/node-api`): the trail's files (the S3 layout on local disk, or `s3://`
 * prefixes where the user's DuckDB has the httpfs extension and credentials) are read as the standard CloudTrail
 * table, the attribution query (rules.ts) or the extract (extract.ts) runs over it with a memory limit, spilling to
 * a temporary directory, and the result is written by DuckDB itself.
 */
import { closeSync, createWriteStream, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { dialect } from './dialect';
import { duckdbSource } from './schema';
import { attributionBody, CHAIN_LINKS } from './rules';
import { extractQuery } from './extract';

export class LakeError extends Error {}

/** CloudTrail log files as CloudTrail names them: `<account>_CloudTrail_<region>_<time>_<id>.json[.gz]`. */
const TRAIL_FILE = /_CloudTrail_[^/\\]*\.json(\.gz)?$/;

/** The trail files under the given folders (or files): digests and Insights files are not API events. */
export function trailFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(join(p, name));
    } else if (TRAIL_FILE.test(p)) out.push(p);
  };
  for (const p of paths) {
    if (/^s3:\/\//.test(p)) {
      out.push(`${p.replace(/\/+$/, '')}/**/*_CloudTrail_*.json.gz`);
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new LakeError(`no such file or folder: ${p}`);
    }
    if (st.isFile() && !TRAIL_FILE.test(p)) throw new LakeError(`${p} is not named as a CloudTrail log file (<account>_CloudTrail_<region>_….json.gz)`);
    walk(resolve(p));
  }
  if (out.length === 0) throw new LakeError(`no CloudTrail log files (…_CloudTrail_….json.gz) under ${paths.join(', ')}`);
  return out;
}

/**
 * The largest record DuckDB's JSON reader must hold: a trail file is one JSON object, so its uncompressed size
 * (gzip's ISIZE trailer; the file's size when plain). DuckDB keeps buffers of this size per thread, inside its
 * memory limit, so it is set from the files rather than to a generous constant.
 */
export function largestObject(files: string[]): number {
  let max = 0;
  const tail = Buffer.alloc(4);
  for (const f of files) {
    if (f.startsWith('s3://')) return 256 << 20;
    const size = statSync(f).size;
    let bytes = size;
    if (f.endsWith('.gz') && size >= 18) {
      const fd = openSync(f, 'r');
      try {
        readSync(fd, tail, 0, 4, size - 4);
      } finally {
        closeSync(fd);
      }
      bytes = Math.max(tail.readUInt32LE(0), size);
    }
    max = Math.max(max, bytes);
  }
  let limit = 16 << 20;
  while (limit < max + 1024) limit *= 2;
  return limit;
}

export interface LakeOptions {
  /** DuckDB's memory_limit (e.g. `1GB`). */
  memoryLimit?: string;
  threads?: number;
  /** Where DuckDB spills; default a fresh folder under the system's temporary directory, removed afterwards. */
  tempDir?: string;
}

/** An embedded DuckDB with the trail as the table `cloudtrail_logs`; closed (and its spill folder removed) after `fn`. */
export async function withLake<T>(paths: string[], o: LakeOptions, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const files = trailFiles(paths);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const ownTemp = !o.tempDir;
  const temp = o.tempDir ?? mkdtempSync(join(tmpdir(), 'podtrail-lake-'));
  // A database file in the spill folder: the loaded trail lives on disk, DuckDB keeps in memory what fits.
  const instance = await DuckDBInstance.create(join(temp, 'lake.duckdb'), {
    memory_limit: o.memoryLimit ?? '1GB',
    threads: String(o.threads ?? 2),
    temp_directory: temp,
    preserve_insertion_order: 'false',
  });
  const c = await instance.connect();
  try {
    if (files.some((f) => f.startsWith('s3://'))) await c.run('LOAD httpfs');
    // Loaded once into DuckDB's own columnar storage: the query reads the table several times.
    await c.run(`CREATE TABLE cloudtrail_logs AS ${duckdbSource(files, largestObject(files))}`);
    // The attribution joins every event to its key's resolution (one row per key: a few hundred to a few thousand
    // rows). DuckDB's cardinality estimate for that resolution, many LEFT JOINs deep, is millions, so it builds its
    // hash table on the million events instead: 2-3 s of a 1M-event run. Keeping the written build side (the joined
    // table on the right) is right for every join of these queries.
    await c.run(`SET disabled_optimizers = 'build_side_probe_side'`);
    return await fn(c);
  } finally {
    c.closeSync();
    instance.closeSync();
    if (ownTemp) rmSync(temp, { recursive: true, force: true });
  }
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * The contract's record (shared/attribution.ts) from the query's flat columns, as a DuckDB struct: COPY writes it
 * as JSON Lines or as nested Parquet columns.
 */
export function contractSelect(): string {
  const links = Array.from({ length: CHAIN_LINKS }, (_, i) => {
    const c = `chain_${i + 1}`;
    return `struct_pack("accessKeyId" := ${c}_access_key_id, "issuedBy" := CASE WHEN ${c}_issued_by_event_id IS NOT NULL THEN struct_pack("eventID" := ${c}_issued_by_event_id, "eventName" := ${c}_issued_by_event_name, "roleArn" := ${c}_issued_by_role_arn) END)`;
  });
  // The pod as JSON: `nameTruncated` is present only when only a session-name prefix is known, as in the engine's records.
  const podJson = `CASE WHEN pod_name IS NULL THEN NULL
    WHEN pod_name_truncated THEN json_object('name', pod_name, 'uid', pod_uid, 'nameTruncated', TRUE)
    ELSE json_object('name', pod_name, 'uid', pod_uid) END`;
  const nodeType = 'STRUCT("instanceId" VARCHAR, name VARCHAR)';
  return `SELECT eventid AS "eventID", eventtime AS "eventTime", eventsource AS "eventSource", eventname AS "eventName",
  recipientaccountid AS "recipientAccountId", awsregion AS "awsRegion", sourceipaddress AS "sourceIPAddress", accesskeyid AS "accessKeyId",
  mechanism, chained,
  list_filter([${links.join(',\n    ')}], x -> x."accessKeyId" IS NOT NULL) AS chain,
  principal,
  CASE WHEN cluster_name IS NOT NULL OR cluster_arn IS NOT NULL OR cluster_oidc_id IS NOT NULL
    THEN struct_pack(name := cluster_name, arn := cluster_arn, "oidcId" := cluster_oidc_id, account := cluster_account, region := cluster_region) END AS cluster,
  namespace, service_account AS "serviceAccount",
  ${podJson} AS pod,
  CASE WHEN node_instance_id IS NOT NULL THEN struct_pack("instanceId" := node_instance_id, name := CAST(NULL AS VARCHAR)) END AS node,
  struct_pack(identity := confidence_identity, pod := confidence_pod, node := confidence_node) AS confidence,
  CASE
    WHEN node_candidates IS NOT NULL THEN list_transform(
      list_sort(list_transform(string_split(node_candidates, ','), x -> struct_pack(
        w := -1.0 / (1 + abs(CAST(split_part(x, ':', 2) AS BIGINT)) / 1000.0), i := split_part(x, ':', 1),
        d := CAST(split_part(x, ':', 2) AS BIGINT), e := array_to_string(string_split(x, ':')[3:], ':')))),
      c -> struct_pack(pod := ${podJson},
        node := CAST(struct_pack("instanceId" := c.i, name := CAST(NULL AS VARCHAR)) AS ${nodeType}),
        score := round(-c.w / list_sum(list_transform(string_split(node_candidates, ','), x -> 1.0 / (1 + abs(CAST(split_part(x, ':', 2) AS BIGINT)) / 1000.0))), 3),
        why := 'eks-auth AssumeRoleForPodIdentity ' || CASE WHEN abs(c.d) % 1000 = 0 THEN CAST(abs(c.d) // 1000 AS VARCHAR) ELSE CAST(abs(c.d) / 1000.0 AS VARCHAR) END
          || ' s ' || CASE WHEN c.d >= 0 THEN 'before' ELSE 'after' END || ' the AssumeRole (' || c.e || ')'))
    WHEN pod_candidates IS NOT NULL THEN list_transform(string_split(pod_candidates, chr(10)), x -> struct_pack(
      pod := json_object('name', split_part(x, '/', 2), 'uid', nullif(split_part(x, '/', 3), '')),
      node := CAST(NULL AS ${nodeType}),
      score := 1.0 / len(string_split(pod_candidates, chr(10))),
      why := 'pod name starts with "' || split_part(x, '/', 1) || '"'))
    ELSE [] END AS candidates,
  coalesce(string_split(evidence, chr(10)), []) AS evidence,
  coalesce(string_split(notes, chr(10)), []) AS notes
FROM attribution
ORDER BY event_ms, eventid`;
}

export interface AttributeResult {
  events: number;
  files: number;
  elapsedMs: number;
}

/** `podtrail lake attribute`: the attribution records of every API event in the trail, to JSON Lines or Parquet. */
export async function lakeAttribute(paths: string[], out: string, o: LakeOptions & { format?: 'jsonl' | 'parquet' }): Promise<AttributeResult> {
  const started = Date.now();
  const format = o.format ?? (extname(out).toLowerCase() === '.parquet' ? 'parquet' : 'jsonl');
  const files = trailFiles(paths).length;
  return withLake(paths, o, async (c) => {
    const body = attributionBody(dialect('duckdb'), { table: 'cloudtrail_logs' });
    const r = await c.run(`COPY (${body}\n${contractSelect()}) TO ${q(resolve(out))} (FORMAT ${format === 'parquet' ? 'parquet' : 'json'})`);
    return { events: Number(r.rowsChanged), files, elapsedMs: Date.now() - started };
  });
}

export interface ExtractResult {
  records: number;
  elapsedMs: number;
}

/** `podtrail lake extract`: the matching records and every record their chains need, as CloudTrail JSON Lines. */
export async function lakeExtract(paths: string[], where: string, out: string, o: LakeOptions): Promise<ExtractResult> {
  const started = Date.now();
  return withLake(paths, o, async (c) => {
    const sql = extractQuery(dialect('duckdb'), { table: 'cloudtrail_logs', where });
    const result = await c.stream(sql);
    const stream = createWriteStream(resolve(out));
    let records = 0;
    try {
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        let buf = '';
        for (const row of chunk.getRows()) {
          buf += `${String(row[0])}\n`;
          records++;
        }
        if (!stream.write(buf)) await once(stream, 'drain');
      }
    } finally {
      stream.end();
      await once(stream, 'finish');
    }
    return { records, elapsedMs: Date.now() - started };
  });
}
