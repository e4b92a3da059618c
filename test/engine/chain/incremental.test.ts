/**
 * Incremental correlation (chain/correlate.ts): adding evidence to a correlated case redoes only what it can change,
 * and the result must be the one a whole correlation of the same case gives. Over generated bundles of several
 * seeds, with and without EKS audit logs and inventories, the CloudTrail files are added in parts (in time order,
 * and shuffled so that earlier calls arrive after later ones); after each part the case, correlated incrementally,
 * is compared with a copy of it correlated whole: every event's attribution line, subject (by key: ids differ),
 * flag and detail, the per-subject counts, the detection state and the pod actors. The Kubernetes evidence, the
 * documents and the exports are added last, and in a plan of their own, every file shuffled into three parts.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { generateBundle } from '../../generator';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { correlate, ENGINE } from '../../../electron/engine/chain/correlate';
import { TOOL_VERSION } from '../../../electron/engine/version';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { ROLLUP_COLUMNS } from '../../../electron/engine/case/rollup';
import { tempDir } from '../../helpers/evidence';
import { firstSeenTuning } from '../../../electron/engine/detect/first-seen';

const MERGED = firstSeenTuning.mergedFirsts;
const FRESH = firstSeenTuning.freshCallsInMemory;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** A small deterministic shuffle (mulberry32), so that a failing order can be replayed. */
function shuffled<T>(xs: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** What correlation derives, keyed so that two correlations of the same case compare (subject ids aside). */
function derived(db: Db): Record<string, unknown> {
  const key = (table: string, col: string) => `(SELECT subject_key FROM subjects WHERE id = ${table}.${col})`;
  return {
    attribution: [...new CaseQueries(db).attributionLines()].join(''),
    events: db.prepare(`SELECT es.event_rowid, ${key('es', 'subject_id')} AS subject FROM event_subjects es ORDER BY es.event_rowid`).all(),
    flags: db.prepare('SELECT event_rowid, flag, detail FROM event_flags ORDER BY event_rowid, flag').all(),
    subjects: db
      .prepare(`SELECT subject_key, rep_rowid, mechanism, chained, cluster_name, namespace, service_account, pod_name, pod_uid, node_instance,
                conf_identity, conf_pod, conf_node, resolution, ${key('subjects', 'split_of')} AS split_of FROM subjects ORDER BY subject_key`)
      .all(),
    rollup: db.prepare(`SELECT ${key('event_rollup', 'subject_id')} AS subject, ${ROLLUP_COLUMNS.join(', ')}, n FROM event_rollup ORDER BY 1, 2, 3, 4, 5, 6, 7`).all(),
    ipUse: db.prepare(`SELECT ${key('subject_ip_use', 'subject_id')} AS subject, source_ip, user_agent_sid, n, first_ms FROM subject_ip_use ORDER BY 1, 2, 3`).all(),
    firstSeen: db.prepare('SELECT * FROM first_seen_state ORDER BY sa').all(),
    windows: db.prepare('SELECT * FROM key_windows_state ORDER BY access_key_id').all(),
    podActions: db.prepare('SELECT audit_id, action, ts_ms, end_ms, namespace, target, pods, kubernetes_user, access_key_id, principal, confidence, chain_keys, why FROM pod_actions ORDER BY 1, 2, 3, 6').all(),
  };
}

/**
 * The per-subject aggregates, counted again from the rows: the rollup per subject as the events are now, and where
 * each subject's events came from as before the pod-actor splits (the detections read it before they are made: a
 * split subject's events count under the subject it was split from).
 */
function expectCounted(db: Db, label: string): void {
  const cols = ROLLUP_COLUMNS.join(', ');
  const joined = 'FROM events e JOIN event_subjects es ON es.event_rowid = e.id JOIN subjects s ON s.id = es.subject_id';
  expect(db.prepare(`SELECT subject_id, ${cols}, n FROM event_rollup ORDER BY 1, 2, 3, 4, 5, 6`).all(), `${label}: rollup`).toEqual(
    db.prepare(`SELECT es.subject_id AS subject_id, ${ROLLUP_COLUMNS.map((c) => `e.${c}`).join(', ')}, COUNT(*) AS n ${joined} GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`).all(),
  );
  expect(db.prepare('SELECT subject_id, source_ip, user_agent_sid, n, first_ms FROM subject_ip_use ORDER BY 1, 2, 3').all(), `${label}: ip use`).toEqual(
    db
      .prepare(
        `SELECT coalesce(s.split_of, s.id) AS subject_id, e.source_ip, e.user_agent_sid, COUNT(*) AS n, MIN(e.event_ms) AS first_ms ${joined}
         WHERE e.source_ip IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      )
      .all(),
  );
}

/** The case as it is, and a copy of it correlated whole: the same derived data, and the same counts as the rows give. */
function expectSameAsWhole(db: Db, dir: string, label: string, apiNamesOnly = false): void {
  const copyPath = join(dir, `${label}-whole.db`);
  db.exec(`VACUUM INTO '${copyPath.replace(/'/g, "''")}'`);
  const copy = openCase(copyPath, { mustExist: true });
  try {
    expect(correlate(copy, { whole: true }).mode).toBe('whole');
    expectCounted(db, `${label} (incremental)`);
    expectCounted(copy, `${label} (whole)`);
    const a = derived(db);
    const b = derived(copy);
    if (apiNamesOnly) {
      // A state the walk did not touch keeps the format it was written in: compare the APIs' names alone.
      const names = (json: string) => (Array.isArray(JSON.parse(json)) ? (JSON.parse(json) as string[]) : Object.keys(JSON.parse(json) as object)).sort();
      for (const d of [a, b]) d.firstSeen = (d.firstSeen as { apis: string }[]).map((r) => ({ ...r, apis: names(r.apis) }));
    }
    for (const k of Object.keys(a)) expect(a[k], `${label}: ${k}`).toEqual(b[k]);
  } finally {
    copy.close();
  }
}

/** Evidence added to a correlated case: correlated incrementally, and the same as a whole correlation. */
async function addThenSameAsWhole(db: Db, paths: string[], dir: string, label: string): Promise<void> {
  await ingestEvidence(db, paths);
  expect(correlate(db).mode).toBe('incremental');
  expectSameAsWhole(db, dir, label);
}

interface Plan {
  label: string;
  parts: string[][];
}

function plans(bundle: string, seed: number): Plan[] {
  const all = filesUnder(bundle).filter((f) => !f.includes('CloudTrail-Digest'));
  const trail = (f: string) => /\/CloudTrail\//.test(f) || /lookup-events|records\.jsonl$/.test(relative(bundle, f));
  const ct = all.filter(trail).sort();
  const other = all.filter((f) => !trail(f));
  const cut = (xs: string[], fractions: number[]) => {
    const out: string[][] = [];
    let from = 0;
    for (const f of fractions) {
      const to = Math.round(xs.length * f);
      out.push(xs.slice(from, to));
      from = to;
    }
    out.push(xs.slice(from));
    return out;
  };
  const inOrder = cut(ct, [0.8, 0.95]);
  const mixed = cut(shuffled(ct, seed), [0.5, 0.75]);
  return [
    // The S3 layout's time order: most of the trail, then a little more, then the last files (and the exports).
    { label: 'in time order', parts: [[...other, ...inOrder[0]!], inOrder[1]!, inOrder[2]!] },
    // Files in any order: earlier calls arrive after later ones.
    { label: 'shuffled', parts: [[...other, ...mixed[0]!], mixed[1]!, mixed[2]!] },
    // The other evidence last: EKS audit logs, inventories, describe-cluster and the like.
    { label: 'the rest last', parts: [ct, other] },
    // Every kind of file in any order and part.
    { label: 'all shuffled', parts: cut(shuffled(all, seed + 1), [0.4, 0.7]) },
  ];
}

// `merge`: whether first-seen-api may merge new calls into a service account's state (first-seen.ts `merged`);
// without, each is walked again from its first new call (what more than a few new first calls take). `held`: whether
// the new calls are held in memory; without, every service account with a new call is walked again whole (what an add
// of more than `freshCallsInMemory` calls takes).
const BUNDLES = [
  { seed: 9101, k8s: true, merge: true, held: true },
  { seed: 9102, k8s: true, merge: true, held: true },
  { seed: 9103, k8s: true, merge: true, held: true },
  { seed: 9104, k8s: false, merge: true, held: true },
  { seed: 9105, k8s: false, merge: true, held: true },
  { seed: 9106, k8s: true, merge: false, held: true },
  { seed: 9108, k8s: true, merge: true, held: false },
];

describe('incremental correlation equals a whole correlation of the same case', () => {
  it.each(BUNDLES)('seed $seed (EKS audit logs: $k8s, first-seen-api merges: $merge, holds new calls: $held)', async ({ seed, k8s, merge, held }) => {
    firstSeenTuning.mergedFirsts = merge ? MERGED : 0;
    firstSeenTuning.freshCallsInMemory = held ? FRESH : 0;
    onTestFinished(() => {
      firstSeenTuning.mergedFirsts = MERGED;
      firstSeenTuning.freshCallsInMemory = FRESH;
    });
    const dir = tempDir(`incremental-${seed}`);
    const g = generateBundle({ outDir: join(dir, 'bundle'), events: 2500, seed, k8s, hours: 6 });
    let incremental = 0;
    let splits = 0;
    for (const plan of plans(g.outDir, seed)) {
      if (plan.parts[1]!.length === 0) continue;
      const label = plan.label.replace(/\s+/g, '-');
      const db = openCase(join(dir, `${label}.db`));
      try {
        for (const [i, part] of plan.parts.entries()) {
          if (part.length === 0) continue;
          await ingestEvidence(db, part);
          const summary = correlate(db);
          if (i === 0) expect(summary.mode).toBe('whole');
          else {
            expect(summary.mode).toBe('incremental');
            incremental++;
          }
          expectSameAsWhole(db, dir, `${label}-${i}`);
        }
        if (k8s) {
          // The pod actors were attached again (and the subjects they split, merged back first, split again).
          expect(db.prepare('SELECT COUNT(*) FROM pod_actions').pluck().get()).toBeGreaterThan(0);
          splits += db.prepare('SELECT COUNT(*) FROM subjects WHERE split_of IS NOT NULL').pluck().get() as number;
        }
        // Nothing new: nothing redone, nothing changed.
        const before = derived(db);
        await ingestEvidence(db, plan.parts[0]!.slice(0, 3));
        expect(correlate(db).mode).toBe('unchanged');
        expect(derived(db)).toEqual(before);
      } finally {
        db.close();
      }
    }
    expect(incremental).toBeGreaterThanOrEqual(7);
    if (k8s) expect(splits).toBeGreaterThan(0);
  }, 240_000);

  it("first-seen-api state written before the APIs' first calls were kept: those service accounts are walked whole", async () => {
    const dir = tempDir('incremental-old-state');
    const g = generateBundle({ outDir: join(dir, 'bundle'), events: 1500, seed: 9107, k8s: true, hours: 4 });
    // In time order: the service accounts' new calls come after their last (a shuffled plan moves calls between
    // subjects, and those service accounts are walked whole anyway).
    const [first, second, third] = plans(g.outDir, 9107)[0]!.parts;
    const db = openCase(join(dir, 'old-state.db'));
    try {
      await ingestEvidence(db, first!);
      correlate(db);
      // As the build before wrote it: the APIs' names alone.
      const old = db.prepare("UPDATE first_seen_state SET apis = (SELECT json_group_array(key) FROM json_each(first_seen_state.apis))").run().changes;
      expect(old).toBeGreaterThan(0);
      await ingestEvidence(db, second!);
      expect(correlate(db).mode).toBe('incremental');
      expectSameAsWhole(db, dir, 'old-state', true);
      await ingestEvidence(db, third!);
      expect(correlate(db).mode).toBe('incremental');
      expectSameAsWhole(db, dir, 'old-state-then', true);
    } finally {
      db.close();
    }
  }, 120_000);

  it('a case correlated by the engine before is correlated whole once, then incrementally', async () => {
    const dir = tempDir('incremental-engine-before');
    const g = generateBundle({ outDir: join(dir, 'bundle'), events: 1500, seed: 9108, k8s: true, hours: 4 });
    const [first, , then] = plans(g.outDir, 9108)[0]!.parts;
    const db = openCase(join(dir, 'engine-before.db'));
    try {
      await ingestEvidence(db, first!);
      correlate(db);
      const before = `podtrail ${TOOL_VERSION} correlation 1`;
      expect(ENGINE).not.toBe(before);
      db.prepare('UPDATE correlation_state SET engine = ?').run(before);
      // Nothing new, but another engine's flags: derived again.
      expect(correlate(db)).toMatchObject({ mode: 'whole', why: `the case was correlated by ${before}` });
      expect(correlate(db).mode).toBe('unchanged');
      await addThenSameAsWhole(db, then!, dir, 'engine-before');
    } finally {
      db.close();
    }
  }, 120_000);

  it('a case of the schema before (no correlation state) is upgraded, correlated whole once, then incrementally', async () => {
    const dir = tempDir('incremental-upgrade');
    const g = generateBundle({ outDir: join(dir, 'bundle'), events: 1500, seed: 9106, k8s: true, hours: 4 });
    const [first, , then] = plans(g.outDir, 9106)[0]!.parts;
    const path = join(dir, 'old.db');
    const old = openCase(path, { targetVersion: 110 });
    await ingestEvidence(old, first!);
    old.close();
    const db = openCase(path);
    try {
      expect(db.prepare('SELECT COUNT(*) FROM correlation_state').pluck().get()).toBe(0);
      const whole = correlate(db);
      expect([whole.mode, whole.why]).toEqual(['whole', 'the case has no earlier correlation']);
      await addThenSameAsWhole(db, then!, dir, 'upgraded');
    } finally {
      db.close();
    }
  }, 120_000);
});
