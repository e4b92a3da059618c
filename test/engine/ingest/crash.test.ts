/**
 * Crash safety: `podtrail ingest` killed with SIGKILL at random moments (scripts/crash-test.mjs, run here as in CI),
 * and the checker it relies on shown to catch a half-loaded file. Needs the compiled CLI (`npm run build`).
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { checkKilledCase, custodyProblems, runCrashTest } from '../../../scripts/crash-test.mjs';
import { apiRecord, put, tempDir, trailJson } from '../../helpers/evidence';

type Check = { problems: string[]; stage: string };
const check = checkKilledCase as (casePath: string, referencePath: string, files: Map<string, unknown>) => Check;

/** A reference case of three files (loaded and attributed, as `podtrail ingest` does), and the per-file map the crash test builds from it. */
async function referenceCase() {
  const dir = tempDir('crash-check');
  const ev = join(dir, 'ev');
  for (let f = 0; f < 3; f++) put(ev, `f${f}.json`, trailJson(Array.from({ length: 20 }, (_, i) => apiRecord(`f${f}-${i}`))));
  const ref = join(dir, 'reference.db');
  const db = openCase(ref);
  await ingestEvidence(db, [ev], { workers: 0 });
  correlate(db);
  db.close();
  const r = new Database(ref, { readonly: true });
  const files = new Map(
    (
      r
        .prepare(
          `SELECT f.path, f.sha256, f.records, (SELECT COUNT(*) FROM event_sources s WHERE s.file_id = f.id) AS sources, 0 AS audits,
             (SELECT COUNT(*) FROM documents d WHERE d.file_id = f.id) AS documents, (SELECT COUNT(*) FROM record_errors e WHERE e.file_id = f.id) AS errors
           FROM evidence_files f WHERE f.status = 'complete'`,
        )
        .all() as { path: string; sha256: string }[]
    ).map((f) => [`${f.path}\0${f.sha256}`, f]),
  );
  r.close();
  return { dir, ref, files };
}

describe('the crash checker', () => {
  it('passes a complete case and an empty one', async () => {
    const { dir, ref, files } = await referenceCase();
    const copy = join(dir, 'copy.db');
    copyFileSync(ref, copy);
    expect(check(copy, ref, files)).toEqual({ problems: [], stage: 'after attribution', filesComplete: 3 });
    expect(check(join(dir, 'missing.db'), ref, files)).toEqual({ problems: [], stage: 'before the case file existed' });
  });

  it('finds a half-loaded file, a leftover placeholder, orphan events and events from elsewhere', async () => {
    const { dir, ref, files } = await referenceCase();
    const broken = join(dir, 'broken.db');
    copyFileSync(ref, broken);
    const db = new Database(broken);
    // Half a file: a complete manifest row whose provenance rows stop short.
    db.pragma('foreign_keys = OFF'); // the attribution rows of the deleted events stay: the checker must still see the cut
    db.exec("DELETE FROM events WHERE record_index >= 15 AND file_id = (SELECT id FROM evidence_files WHERE path LIKE '%f1.json')");
    // A placeholder row left as complete (what an interrupted load would leave without its transaction).
    db.prepare("INSERT INTO evidence_files (path, size, sha256, format, status, ingested_at, tool_version) VALUES ('/x/f9.json', 0, '', 'unknown', 'complete', '', '')").run();
    // An event the reference never held.
    db.prepare(
      `INSERT INTO events (id_hash, event_id, raw_sha256, event_time, event_ms, event_source, event_name, file_id, record_index, raw_block, raw_off, raw_len)
       VALUES (1, 'alien', x'00', '', 0, 's', 'n', 999, 0, 999999, 0, 0)`,
    ).run();
    db.close();
    const { problems } = check(broken, ref, files);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^1 complete manifest row\(s\) still a placeholder/),
        expect.stringMatching(/f1\.json: sources 15, reference 20 \(half-loaded\)$/),
        expect.stringMatching(/f1\.json: 20 records but 15 provenance rows$/),
        '1 events without raw text',
        '1 events read from no complete file',
        '1 events that the reference does not hold',
        'complete file not in the reference: /x/f9.json',
        expect.stringMatching(/^attribution covers 60 of 56 events/),
      ]),
    );
  });
});

describe('the custody check after a resume', () => {
  it('passes a logged case, and names files no custody entry pins', async () => {
    const { dir, ref } = await referenceCase();
    expect((custodyProblems as (p: string) => string[])(ref)).toEqual([]);
    const unlogged = join(dir, 'unlogged.db');
    copyFileSync(ref, unlogged);
    const db = new Database(unlogged);
    db.prepare("INSERT INTO evidence_files (path, size, sha256, format, status, ingested_at, tool_version) VALUES ('/x/f9.json', 1, 'a', 'cloudtrail', 'complete', '', '')").run();
    db.close();
    expect((custodyProblems as (p: string) => string[])(unlogged)).toEqual(['evidence files 4–4 are in no custody entry']);
  });
});

describe('podtrail ingest killed with SIGKILL at random moments', () => {
  // The 100 kills the issue asks for. Each costs about 1.7 s on a quiet 2-core machine (the killed run, the checks,
  // the resumed run) and 3–4 s while other jobs share the cores, so this test takes 3–7 minutes of `npm test`;
  // `node scripts/crash-test.mjs` runs the same with any seed, count or bundle size.
  it('leaves a consistent case every time, and resuming gives exactly the uninterrupted counts', async () => {
    const summary = await runCrashTest({ iterations: 100, seed: 1, events: 300 });
    console.log(
      `crash.test: ${summary.iterations} kills (${summary.killed} mid-run) in ${summary.seconds.toFixed(0)} s; ${Object.entries(summary.stages)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}`,
    );
    expect(summary.failures).toEqual([]);
    // The kills spread over the run: most land while the process is running, some after files were committed.
    expect(summary.killed).toBeGreaterThanOrEqual(70);
    const afterACommit = ['with some files committed', 'with every file committed, before attribution', 'after attribution'];
    expect(afterACommit.reduce((n, k) => n + ((summary.stages as Record<string, number>)[k] ?? 0), 0)).toBeGreaterThan(0);
  }, 1_500_000);
});
