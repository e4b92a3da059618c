/**
 * The whole correlation's per-subject counts (case/rollup.ts `countSubjectEvents`, then `rollupFromCounts`): counted
 * by upserting each event into a small keyed table, they must give what grouping the joined rows gives, whatever
 * the rows hold: facet ids or not (a case written before migration 0150), ids that name another combination or none
 * (a damaged case), NULL accounts, regions, error codes, addresses and user agents, and values a facet id cannot
 * stand for.
 */
import { describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { facetText, StringIds } from '../../../electron/engine/db/strings';
import { countSubjectEvents, rollupFromCounts } from '../../../electron/engine/case/rollup';

const T0 = Date.parse('2026-03-02T00:00:00Z');

/** Small deterministic generator (the rows' values are drawn from few choices, so that groups repeat). */
function lcg(seed: number) {
  let x = seed >>> 0;
  return (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return (x >>> 16) % n;
  };
}

function caseWith(rows: number, facets: 'none' | 'all' | 'alternate' | 'damaged', seed: number): Database {
  const db = openCase(':memory:');
  const strings = new StringIds(db);
  const pick = lcg(seed);
  const subjects: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = db
      .prepare(
        `INSERT INTO subjects (subject_key, mechanism, chained, conf_identity, conf_pod, conf_node, resolution)
         VALUES (?, 'irsa', 0, 'proven', 'none', 'none', '{}')`,
      )
      .run(`k${i}`);
    subjects.push(Number(r.lastInsertRowid));
  }
  const accounts = ['111122223333', '444455556666', null];
  const regions = ['eu-west-1', 'us-east-1', null];
  const apis = [['s3.amazonaws.com', 'GetObject'], ['kms.amazonaws.com', 'Decrypt'], ['iam.amazonaws.com', 'List\x1fUsers']];
  const errors = [null, null, 'AccessDenied'];
  const ips = ['10.0.0.1', '10.0.0.2', null, '-1'];
  const agents = [strings.id('aws-cli/2.15'), strings.id('Boto3/1.34'), null];
  const insert = db.prepare(
    `INSERT INTO events (id, id_hash, event_id, raw_sha256, event_time, event_ms, event_source, event_name, recipient_account_id, aws_region,
       error_code, source_ip, user_agent_sid, facet_sid, file_id, record_index, raw_block, raw_off, raw_len)
     VALUES (?, ?, ?, x'00', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0)`,
  );
  const attribute = db.prepare('INSERT INTO event_subjects (event_rowid, subject_id) VALUES (?, ?)');
  for (let id = 1; id <= rows; id++) {
    const ms = T0 + pick(100_000) * 1000;
    const [account, region, [source, name], error] = [accounts[pick(3)]!, regions[pick(3)]!, apis[pick(3)]!, errors[pick(3)]!];
    const withFacet = facets === 'all' || facets === 'damaged' || (facets === 'alternate' && id % 2 === 0);
    // A value holding U+001F has no facet id even from the writer (facetText gives none).
    const text = withFacet ? facetText(account, region, source!, name!, error) : null;
    let sid = text === null ? null : strings.id(text);
    // A damaged case: some rows' facet id is another combination's, or names nothing.
    if (facets === 'damaged' && id % 5 === 0) sid = id % 2 ? strings.id(facetText('111122223333', 'eu-west-1', 's3.amazonaws.com', 'GetObject', null)) : 987_654;
    insert.run(id, id, `ev-${id}`, new Date(ms).toISOString(), ms, source, name, account, region, error, ips[pick(4)]!, agents[pick(3)]!, sid);
    attribute.run(id, subjects[pick(4)]!);
  }
  return db;
}

/** What grouping the joined rows gives (the statements the counts replace). */
function grouped(db: Database) {
  const cols = 'e.recipient_account_id, e.aws_region, e.event_source, e.event_name, e.error_code';
  return {
    rollup: db
      .prepare(`SELECT es.subject_id, ${cols}, COUNT(*) FROM events e JOIN event_subjects es ON es.event_rowid = e.id GROUP BY es.subject_id, ${cols} ORDER BY 1, 2, 3, 4, 5, 6`)
      .raw(true)
      .all(),
    ipUse: db
      .prepare(
        `SELECT es.subject_id, e.source_ip, e.user_agent_sid, COUNT(*), MIN(e.event_ms) FROM events e JOIN event_subjects es ON es.event_rowid = e.id
         WHERE e.source_ip IS NOT NULL GROUP BY es.subject_id, e.source_ip, e.user_agent_sid ORDER BY 1, 2, 3`,
      )
      .raw(true)
      .all(),
  };
}

function counted(db: Database) {
  db.transaction(() => {
    countSubjectEvents(db);
    rollupFromCounts(db);
  })();
  return {
    rollup: db
      .prepare('SELECT subject_id, recipient_account_id, aws_region, event_source, event_name, error_code, n FROM event_rollup ORDER BY 1, 2, 3, 4, 5, 6')
      .raw(true)
      .all(),
    ipUse: db.prepare('SELECT subject_id, source_ip, user_agent_sid, n, first_ms FROM subject_ip_use ORDER BY 1, 2, 3').raw(true).all(),
  };
}

describe('per-subject counts of a whole correlation', () => {
  for (const facets of ['all', 'none', 'alternate', 'damaged'] as const) {
    it(`equal the grouped rows (facet ids: ${facets})`, () => {
      for (const seed of [1, 2, 3]) {
        const db = caseWith(3000, facets, seed);
        const want = grouped(db);
        expect(want.rollup.length).toBeGreaterThan(100);
        expect(want.ipUse.length).toBeGreaterThan(20);
        expect(counted(db)).toEqual(want);
        db.close();
      }
    });
  }
});
