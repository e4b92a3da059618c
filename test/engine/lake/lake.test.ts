/**
 * `podtrail lake attribute` and `podtrail lake extract` (embedded DuckDB) against `podtrail attribute` on the same
 * generated trails, spawned as a user runs them (needs the compiled CLI: `npx tsc -p tsconfig.json`):
 * - every field the SQL gives equals the engine's — mechanism, chain, principal, cluster, namespace, service account,
 *   pod, node, the three confidence words, and the candidates with their scores — on every event (proven or not),
 *   so the SQL and the engine cannot drift apart;
 * - the extract, ingested alone, gives the matching events the attribution the whole trail gives them.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBundle } from '../../generator';
import { podtrail, REPO } from '../../helpers/cli';
import { tempDir } from '../../helpers/evidence';
import type { AttributionRecord } from '../../../shared/attribution';

const COMPILED = join(REPO, 'dist', 'electron', 'engine', 'lake', 'index.js');

type Rec = AttributionRecord & Record<string, unknown>;

function readJsonl(path: string): Rec[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Rec);
}

async function ok(args: string[]): Promise<string> {
  const r = await podtrail(args);
  expect(r.code, `podtrail ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The attribution fields the SQL gives, in a comparable form (cluster account/region absent = null). */
function fields(r: Rec) {
  const c = r.cluster;
  return {
    mechanism: r.mechanism,
    chained: r.chained,
    chain: r.chain,
    principal: r.principal,
    cluster: c ? { name: c.name, arn: c.arn, oidcId: c.oidcId, account: c.account ?? null, region: c.region ?? null } : null,
    namespace: r.namespace,
    serviceAccount: r.serviceAccount,
    pod: r.pod,
    node: r.node?.instanceId ?? null,
    confidence: r.confidence,
    // Candidates with their scores and reasons (node candidates come ordered by score in both; pod candidates in the
    // engine's map order, so compared as a set).
    candidates: r.candidates.map((c) => JSON.stringify(c)).sort(),
  };
}

let dir: string;
let trail: string;
let engine: Rec[];

beforeAll(async () => {
  if (!existsSync(COMPILED)) throw new Error(`the compiled lake module is missing (${COMPILED}): run \`npx tsc -p tsconfig.json\` first`);
  dir = tempDir('lake');
  generateBundle({ outDir: join(dir, 'bundle'), events: 3000, seed: 1404 });
  // The trail as S3 holds it (AWSLogs/…): the engine and the lake read the same files.
  trail = join(dir, 'bundle', 'AWSLogs');
  await ok(['ingest', trail, '--case', join(dir, 'full.db'), '--quiet']);
  await ok(['attribute', '--case', join(dir, 'full.db'), '--out', join(dir, 'engine.jsonl')]);
  engine = readJsonl(join(dir, 'engine.jsonl'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('lake attribute (DuckDB) = podtrail attribute', () => {
  it('gives every API event once, in the contract\'s shape, ordered like podtrail attribute', async () => {
    const r = await podtrail(['lake', 'attribute', trail, '--engine', 'duckdb', '--out', join(dir, 'lake.jsonl'), '--memory-limit', '512MB']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`lake: ${engine.length} events from \\d+ trail files attributed`));
    const lake = readJsonl(join(dir, 'lake.jsonl'));
    expect(lake.map((x) => x.eventID)).toEqual(engine.map((x) => x.eventID));
    for (const x of lake.slice(0, 50)) {
      for (const key of Object.keys(x)) expect(Object.keys(engine[0]!)).toContain(key);
      for (const key of ['eventID', 'eventTime', 'mechanism', 'chained', 'chain', 'principal', 'cluster', 'namespace', 'serviceAccount', 'pod', 'node', 'confidence', 'candidates', 'evidence', 'notes']) {
        expect(x).toHaveProperty(key);
      }
    }
  });

  it('every proven field is identical, and so is every inferred, ambiguous and unknown one', () => {
    const lake = new Map(readJsonl(join(dir, 'lake.jsonl')).map((x) => [x.eventID, x]));
    let proven = 0;
    const kinds = new Set<string>();
    for (const e of engine) {
      const l = lake.get(e.eventID)!;
      expect(l, e.eventID).toBeDefined();
      expect(fields(l), `event ${e.eventID}`).toEqual(fields(e));
      if (e.notes.some((n) => n.startsWith('no session tags'))) kinds.add('pod identity without tags');
      if (e.confidence.identity === 'proven') {
        proven++;
        kinds.add(e.mechanism);
      }
      if (e.confidence.pod === 'proven') kinds.add('pod proven');
      if (e.confidence.node === 'proven') kinds.add('node proven');
      if (e.confidence.node === 'ambiguous') kinds.add('node ambiguous');
      if (e.confidence.pod === 'inferred') kinds.add('pod inferred');
      if (e.chained) kinds.add('chained');
      if (e.cluster?.oidcId && e.cluster.name) kinds.add('irsa cluster named');
    }
    // The comparison covered the kinds of root this generator makes, not a corner of them.
    for (const k of ['pod-identity', 'irsa', 'node-role', 'sso', 'iam-user', 'aws-service', 'pod proven', 'node proven', 'node ambiguous', 'pod inferred', 'chained', 'irsa cluster named', 'pod identity without tags']) {
      expect([...kinds]).toContain(k);
    }
    expect(proven).toBeGreaterThan(engine.length / 2);
  });

  it('writes Parquet with the same records', async () => {
    await ok(['lake', 'attribute', trail, '--out', join(dir, 'lake.parquet')]);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const path = join(dir, 'lake.parquet').replace(/'/g, "''");
    const rows = (await c.runAndReadAll(`SELECT count(*) AS n, count(*) FILTER (WHERE confidence.pod = 'proven') AS pods FROM '${path}'`)).getRowObjectsJson();
    const n = Number(rows[0]!.n);
    expect(n).toBe(engine.length);
    expect(Number(rows[0]!.pods)).toBe(engine.filter((e) => e.confidence.pod === 'proven').length);
    c.closeSync();
    db.closeSync();
  });
});

describe('lake sql --dialect duckdb: the printed texts run as printed', () => {
  it('the DDL makes the table, the query attributes every event as lake attribute does', async () => {
    const ddl = await ok(['lake', 'sql', '--dialect', 'duckdb', '--ddl', '--location', `${trail}/**/*.json.gz`]);
    const query = await ok(['lake', 'sql', '--dialect', 'duckdb']);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(ddl);
    const rows = (await c.runAndReadAll(query.trim().replace(/;$/, ''))).getRowObjectsJson() as Record<string, unknown>[];
    c.closeSync();
    db.closeSync();
    expect(rows.map((r) => r.eventid)).toEqual(engine.map((e) => e.eventID));
    const byId = new Map(engine.map((e) => [e.eventID, e]));
    for (const r of rows) {
      const e = byId.get(String(r.eventid))!;
      expect([r.mechanism, r.principal, r.confidence_identity, r.confidence_pod, r.confidence_node, r.pod_name ?? null, r.node_instance_id ?? null]).toEqual([
        e.mechanism, e.principal, e.confidence.identity, e.confidence.pod, e.confidence.node, e.pod?.name ?? null, e.node?.instanceId ?? null,
      ]);
    }
  });
});

describe('lake extract: the cut, ingested alone, attributes its events as the whole trail does', () => {
  const cases: [string, (r: Rec) => boolean][] = [
    ["eventSource = 's3.amazonaws.com'", (r) => r.eventSource === 's3.amazonaws.com'],
    ["eventName = 'GetSecretValue' OR (awsRegion = 'us-west-2' AND eventName LIKE 'Describe%')", (r) => r.eventName === 'GetSecretValue' || (r.awsRegion === 'us-west-2' && r.eventName.startsWith('Describe'))],
  ];
  for (const [where, matches] of cases) {
    it(`--where "${where}"`, async () => {
      const out = join(dir, `extract-${cases.findIndex((c) => c[0] === where)}.jsonl`);
      const r = await podtrail(['lake', 'extract', trail, '--where', where, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const db = out.replace(/\.jsonl$/, '.db');
      await ok(['ingest', out, '--case', db, '--quiet']);
      await ok(['attribute', '--case', db, '--out', `${db}.jsonl`]);
      const cut = new Map(readJsonl(`${db}.jsonl`).map((x) => [x.eventID, x]));
      const expected = engine.filter(matches);
      expect(expected.length).toBeGreaterThan(100);
      expect(cut.size).toBeLessThan(engine.length / 2);
      for (const e of expected) {
        const x = cut.get(e.eventID);
        expect(x, `${e.eventID} is in the extract`).toBeDefined();
        // The detections read the whole case (baselines, other sessions): they are not part of the attribution.
        // Evidence is compared as a set: its order follows the order records were ingested in.
        const strip = ({ flags: _f, flagReasons: _r, evidence, ...rest }: Rec) => ({ ...rest, evidence: [...evidence].sort() });
        expect(strip(x!), `event ${e.eventID}`).toEqual(strip(e));
      }
    });
  }
});

describe('lake usage errors', () => {
  it('exit 1 with the reason', async () => {
    const noDialect = await podtrail(['lake', 'sql']);
    expect(noDialect.code).toBe(1);
    expect(noDialect.stderr).toMatch(/--dialect/);
    const badWhere = await podtrail(['lake', 'sql', '--dialect', 'athena', '--extract', '--where', "eventName = 'x'; DROP TABLE t"]);
    expect(badWhere.code).toBe(1);
    expect(badWhere.stderr).toMatch(/one predicate only/);
    const noWhere = await podtrail(['lake', 'sql', '--dialect', 'spark', '--extract']);
    expect(noWhere.code).toBe(1);
    const empty = tempDir('lake-empty');
    const nothing = await podtrail(['lake', 'attribute', empty, '--out', join(empty, 'x.jsonl')]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/no CloudTrail log files/);
    rmSync(empty, { recursive: true, force: true });
  });
});
