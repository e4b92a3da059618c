/**
 * first-seen-api: a service account's first call of an API is flagged only after a baseline of its own calls;
 * calls by AWS services on its behalf and credential exchanges are not its choice of API.
 */
import { describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { BASELINE_CALLS, BASELINE_MS, BURST_MS, firstSeenApis, firstSeenApisAfter, firstSeenTuning, NEW_API_SHARE } from '../../../electron/engine/detect/first-seen';
import { facetText, StringIds } from '../../../electron/engine/db/strings';

const T0 = Date.parse('2026-03-02T00:00:00Z');

/**
 * `facets`: which rows carry their facet combination's id as the writer writes it (migration 0150): none (a case
 * written before it), all, or every other row.
 */
function caseWith(subjects: { key: string; sa: string | null; identity?: string }[], facets: 'none' | 'all' | 'alternate' | 'damaged' = 'none') {
  const db = openCase(':memory:');
  const ids = new Map<string, number>();
  for (const s of subjects) {
    const r = db
      .prepare(
        `INSERT INTO subjects (subject_key, mechanism, chained, cluster_name, namespace, service_account, conf_identity, conf_pod, conf_node, resolution)
         VALUES (?, 'irsa', 0, 'prod', 'shop', ?, ?, 'none', 'none', '{}')`,
      )
      .run(s.key, s.sa, s.identity ?? 'proven');
    ids.set(s.key, Number(r.lastInsertRowid));
  }
  let n = 0;
  const call = (subject: string, ms: number, source: string, name: string, invokedBy: string | null = null) => {
    const id = ++n;
    db.prepare(
      `INSERT INTO events (id, id_hash, event_id, raw_sha256, event_time, event_ms, event_source, event_name, invoked_by_sid,
         file_id, record_index, raw_block, raw_off, raw_len)
       VALUES (?, ?, ?, x'00', ?, ?, ?, ?, ?, 0, 0, 0, 0, 0)`,
    ).run(id, id, `ev-${id}`, new Date(ms).toISOString(), ms, source, name, invokedBy === null ? null : new StringIds(db).id(invokedBy));
    if (facets === 'all' || (facets !== 'none' && id % 2 === 0)) {
      db.prepare('UPDATE events SET facet_sid = ? WHERE id = ?').run(new StringIds(db).id(facetText('111122223333', 'eu-west-1', source, name, null)), id);
    }
    // A damaged case: some rows' facet ids name no facet combination (a string that is not one, or none at all).
    if (facets === 'damaged' && id % 3 === 0) db.prepare('UPDATE events SET facet_sid = ? WHERE id = ?').run(id % 2 ? 987_654 : new StringIds(db).id('aws-cli/2'), id);
    db.prepare('INSERT INTO event_subjects (event_rowid, subject_id) VALUES (?, ?)').run(id, ids.get(subject)!);
    return id;
  };
  return { db, call };
}

/** A baseline: `calls` calls of two APIs spread evenly over `spanMs`. */
function baseline(call: (s: string, ms: number, src: string, name: string) => number, subject: string, calls: number, spanMs: number) {
  for (let i = 0; i < calls; i++) call(subject, T0 + Math.floor((i * spanMs) / calls), 'sqs.amazonaws.com', i % 2 ? 'ReceiveMessage' : 'DeleteMessage');
}

const flagged = (db: Database) => firstSeenApis(db).map((h) => h.rowid);

describe('first-seen-api', () => {
  it('flags the first call of a new API after the baseline, with the account, the API and the baseline in the detail', () => {
    const { db, call } = caseWith([{ key: 'k1', sa: 'orders' }]);
    baseline(call, 'k1', BASELINE_CALLS, BASELINE_MS);
    const first = call('k1', T0 + BASELINE_MS + 1000, 'iam.amazonaws.com', 'CreateAccessKey');
    call('k1', T0 + BASELINE_MS + 2000, 'iam.amazonaws.com', 'CreateAccessKey'); // second call: not first-seen
    const hits = firstSeenApis(db);
    expect(hits.map((h) => h.rowid)).toEqual([first]);
    expect(hits[0]!.detail).toBe(
      `prod/shop/orders called iam:CreateAccessKey for the first time at 2026-03-02T01:00:01Z, after ${BASELINE_CALLS} calls of 2 other APIs since 2026-03-02T00:00:00Z; of its baseline's APIs, none called only once`,
    );
    db.close();
  });

  it('the baseline needs both enough calls and enough time', () => {
    const few = caseWith([{ key: 'k1', sa: 'orders' }]);
    baseline(few.call, 'k1', BASELINE_CALLS - 1, BASELINE_MS);
    few.call('k1', T0 + 2 * BASELINE_MS, 'iam.amazonaws.com', 'CreateAccessKey');
    expect(flagged(few.db)).toEqual([]);

    const quick = caseWith([{ key: 'k1', sa: 'orders' }]);
    baseline(quick.call, 'k1', 5 * BASELINE_CALLS, BASELINE_MS / 4);
    quick.call('k1', T0 + BASELINE_MS / 2, 'iam.amazonaws.com', 'CreateAccessKey');
    expect(flagged(quick.db)).toEqual([]);
  });

  it('one baseline per service account, across its sessions; other accounts and unattributed sessions do not count', () => {
    const { db, call } = caseWith([{ key: 'k1', sa: 'orders' }, { key: 'k2', sa: 'orders' }, { key: 'k3', sa: 'billing' }, { key: 'k4', sa: null }]);
    baseline(call, 'k1', BASELINE_CALLS, BASELINE_MS); // session 1 of orders
    const viaSecondSession = call('k2', T0 + BASELINE_MS + 1, 'secretsmanager.amazonaws.com', 'GetSecretValue');
    call('k3', T0 + BASELINE_MS + 2, 'iam.amazonaws.com', 'ListUsers'); // billing's first call: its own baseline starts
    call('k4', T0 + BASELINE_MS + 3, 'iam.amazonaws.com', 'ListUsers');
    expect(flagged(db)).toEqual([viaSecondSession]);
    db.close();
  });

  it('skips calls made by an AWS service on its behalf, credential exchanges, and sessions whose account is not established', () => {
    const { db, call } = caseWith([{ key: 'k1', sa: 'orders' }, { key: 'k2', sa: 'orders', identity: 'ambiguous' }]);
    baseline(call, 'k1', BASELINE_CALLS, BASELINE_MS);
    call('k1', T0 + BASELINE_MS + 1, 'kms.amazonaws.com', 'Decrypt', 's3.amazonaws.com');
    call('k1', T0 + BASELINE_MS + 2, 'sts.amazonaws.com', 'AssumeRole');
    call('k2', T0 + BASELINE_MS + 3, 'iam.amazonaws.com', 'CreateUser');
    expect(flagged(db)).toEqual([]);
    db.close();
  });

  it('gives the same flags, reasons and state whether the rows carry their facet ids or not, or ids that name none', () => {
    const outcome = (facets: 'none' | 'all' | 'alternate' | 'damaged') => {
      const { db, call } = caseWith([{ key: 'k1', sa: 'orders' }, { key: 'k2', sa: 'orders' }, { key: 'k3', sa: 'billing' }], facets);
      baseline(call, 'k1', BASELINE_CALLS, BASELINE_MS);
      baseline(call, 'k3', BASELINE_CALLS, BASELINE_MS);
      // Calls at the same moment are walked in row order; the same API under two services is two APIs.
      call('k2', T0 + BASELINE_MS + 5000, 'iam.amazonaws.com', 'ListUsers');
      call('k1', T0 + BASELINE_MS + 5000, 'iam.amazonaws.com', 'CreateAccessKey');
      call('k3', T0 + BASELINE_MS + 5000, 'iam.amazonaws.com', 'CreateAccessKey');
      call('k3', T0 + BASELINE_MS + 6000, 'sts.amazonaws.com', 'AssumeRole');
      call('k1', T0 + BASELINE_MS + 7000, 'organizations.amazonaws.com', 'ListUsers');
      call('k1', T0 + BASELINE_MS + 4000, 'kms.amazonaws.com', 'Decrypt', 's3.amazonaws.com');
      const hits = firstSeenApis(db);
      const state = db.prepare('SELECT * FROM first_seen_state ORDER BY sa').all();
      db.close();
      return { hits, state };
    };
    const none = outcome('none');
    expect(none.hits.map((h) => h.detail)).toEqual([
      `prod/shop/orders called iam:ListUsers for the first time at 2026-03-02T01:00:05Z, after ${BASELINE_CALLS} calls of 2 other APIs since 2026-03-02T00:00:00Z; of its baseline's APIs, none called only once`,
      `prod/shop/orders called iam:CreateAccessKey for the first time at 2026-03-02T01:00:05Z, after ${BASELINE_CALLS + 1} calls of 3 other APIs since 2026-03-02T00:00:00Z; of its baseline's APIs, none called only once`,
      `prod/shop/billing called iam:CreateAccessKey for the first time at 2026-03-02T01:00:05Z, after ${BASELINE_CALLS} calls of 2 other APIs since 2026-03-02T00:00:00Z; of its baseline's APIs, none called only once`,
      `prod/shop/orders called organizations:ListUsers for the first time at 2026-03-02T01:00:07Z, after ${BASELINE_CALLS + 2} calls of 4 other APIs since 2026-03-02T00:00:00Z; of its baseline's APIs, none called only once`,
    ]);
    expect(outcome('all')).toEqual(none);
    expect(outcome('alternate')).toEqual(none);
    expect(outcome('damaged')).toEqual(none);
  });

  it('flags a new API only while at most NEW_API_SHARE of the calls so far are of an API the baseline called once', () => {
    // `calls` counted calls of two APIs over an hour, one of them (at the 6th call) of a third API called once; then,
    // optionally, that API again; then a new one.
    const run = (calls: number, again: boolean) => {
      const { db, call } = caseWith([{ key: 'k1', sa: 'orders' }]);
      for (let i = 0; i < calls; i++) {
        const ms = T0 + Math.floor((i * BASELINE_MS) / calls);
        if (i === 5) call('k1', ms, 'kms.amazonaws.com', 'GenerateDataKey');
        else call('k1', ms, 'sqs.amazonaws.com', i % 2 ? 'ReceiveMessage' : 'DeleteMessage');
      }
      if (again) call('k1', T0 + BASELINE_MS + 500, 'kms.amazonaws.com', 'GenerateDataKey');
      const first = call('k1', T0 + BASELINE_MS + 1000, 'iam.amazonaws.com', 'CreateAccessKey');
      const hit = firstSeenApis(db).find((h) => h.rowid === first);
      db.close();
      return hit;
    };
    expect(NEW_API_SHARE).toBe(0.02);
    // One API called once in 40 calls (2.5 %): the baseline still meets new APIs; its next one is no finding.
    expect(run(40, false)).toBeUndefined();
    // Called a second time before it: none called once.
    expect(run(40, true)?.detail).toMatch(/after 41 calls of 3 other APIs since .*; of its baseline's APIs, none called only once$/);
    // The bound itself: one in 50 calls (2 %) flags, and its reason says so; one in 49 does not.
    expect(run(50, false)?.detail).toMatch(/after 50 calls of 3 other APIs since .*; of its baseline's APIs, 1 called only once$/);
    expect(run(49, false)).toBeUndefined();
  });

  it('an API whose first call was flagged does not count as the baseline\'s: a burst of new APIs is flagged call by call', () => {
    const { db, call } = caseWith([{ key: 'k1', sa: 'orders' }]);
    baseline(call, 'k1', BASELINE_CALLS, BASELINE_MS);
    const burst = ['ListUsers', 'CreateUser', 'CreateAccessKey', 'AttachUserPolicy'].map((name, i) => call('k1', T0 + BASELINE_MS + 1000 * (i + 1), 'iam.amazonaws.com', name));
    expect(flagged(db)).toEqual(burst);
    db.close();
  });

  it('a flagged API still called once counts as the baseline\'s once its burst is over', () => {
    // A baseline, a new API flagged and never called again, then another new API within the burst or past it.
    const run = (after: number) => {
      const { db, call } = caseWith([{ key: 'k1', sa: 'orders' }]);
      baseline(call, 'k1', BASELINE_CALLS, BASELINE_MS);
      const first = call('k1', T0 + BASELINE_MS + 1000, 'iam.amazonaws.com', 'ListUsers');
      const next = call('k1', T0 + BASELINE_MS + 1000 + after, 'iam.amazonaws.com', 'CreateAccessKey');
      const hits = firstSeenApis(db);
      db.close();
      return hits.map((h) => (h.rowid === first ? 'first' : h.rowid === next ? 'next' : h.rowid));
    };
    expect(BURST_MS).toBe(5 * 60 * 1000);
    expect(run(BURST_MS)).toEqual(['first', 'next']);
    // Past it, ListUsers is an API of the workload's called once (1 in 21 calls): the next new API is no finding.
    expect(run(BURST_MS + 1)).toEqual(['first']);
  });

  it('evidence added with earlier calls moves the gate as a walk of all the calls would, merged or walked again', () => {
    type Call = (s: string, ms: number, src: string, name: string) => number;
    const H = T0 + BASELINE_MS;
    // The baseline calls one API once, and again only after the watched new API.
    const calledOnceUntilAfter = (call: Call) => {
      call('k1', T0 + 1000, 'kms.amazonaws.com', 'GenerateDataKey');
      call('k1', H + 60_000, 'iam.amazonaws.com', 'CreateAccessKey');
      call('k1', H + 90_000, 'kms.amazonaws.com', 'GenerateDataKey');
    };
    // A new API flagged and never called again, then the watched one after that flag's burst.
    const flagPastBurst = (call: Call) => {
      call('k1', H + 10_000, 'iam.amazonaws.com', 'ListUsers');
      call('k1', H + 10_000 + BURST_MS + 50_000, 'iam.amazonaws.com', 'CreateAccessKey');
    };
    // Each: the calls loaded first (a baseline of 40 calls over an hour, then more), the API whose first call is
    // watched, whether it is flagged before and after the late evidence, and the late evidence (earlier calls).
    const scenarios: { name: string; first: (call: Call) => void; watched: [number, number]; late: (call: Call) => void }[] = [
      {
        // A call of an API called once, inside the baseline: the new API is no finding any more.
        name: 'an API called once comes in',
        first: (call) => call('k1', H + 60_000, 'iam.amazonaws.com', 'CreateAccessKey'),
        watched: [1, 0],
        late: (call) => call('k1', T0 + 2000, 'kms.amazonaws.com', 'Encrypt'),
      },
      {
        // The baseline's only API called once is called again, earlier than its second call so far: it counts no more.
        name: 'a second call comes in before the new API',
        first: calledOnceUntilAfter,
        watched: [0, 1],
        late: (call) => call('k1', T0 + 3000, 'kms.amazonaws.com', 'GenerateDataKey'),
      },
      {
        // A new API first called before the watched one, after the baseline (not flagged: the baseline calls one API
        // once until after the watched call); walked again from it, that API's second call is after it.
        name: 'a new API comes in while an API is called once',
        first: calledOnceUntilAfter,
        watched: [0, 0],
        late: (call) => call('k1', H + 30_000, 'ec2.amazonaws.com', 'DescribeInstances'),
      },
      {
        // New calls after the last (going on from the state): the state's API called once still counts.
        name: 'the new API comes after the last call',
        first: (call) => call('k1', T0 + 1000, 'kms.amazonaws.com', 'GenerateDataKey'),
        watched: [0, 0],
        late: (call) => call('k1', H + 200_000, 'iam.amazonaws.com', 'CreateAccessKey'),
      },
      {
        // An API called once within what the gate allows (1 in 61 calls): flagged, its reason saying so, merged or not.
        name: 'a flag with an API called once',
        first: (call) => {
          call('k1', T0 + 1000, 'kms.amazonaws.com', 'GenerateDataKey');
          for (let i = 0; i < 20; i++) call('k1', T0 + 10_000 + i * 1000, 'sqs.amazonaws.com', 'ReceiveMessage');
          call('k1', H + 60_000, 'iam.amazonaws.com', 'CreateAccessKey');
        },
        watched: [1, 1],
        late: (call) => call('k1', T0 + 2000, 'sqs.amazonaws.com', 'DeleteMessage'),
      },
      {
        // A flagged API past its burst, called once: the watched one is no finding, until late evidence calls it again.
        name: 'a flag past its burst',
        first: flagPastBurst,
        watched: [0, 1],
        late: (call) => call('k1', H + 20_000, 'iam.amazonaws.com', 'ListUsers'),
      },
      {
        // The same, the late evidence an earlier call of another API: still no finding, merged as walked.
        name: 'a flag past its burst stays counted',
        first: flagPastBurst,
        watched: [0, 0],
        late: (call) => call('k1', T0 + 2000, 'sqs.amazonaws.com', 'ReceiveMessage'),
      },
      {
        // A burst of new APIs, all flagged; late calls of an API already called: each stays flagged (a flagged API is
        // not the baseline's).
        name: 'a burst stays flagged',
        first: (call) => {
          call('k1', H + 50_000, 'iam.amazonaws.com', 'ListUsers');
          call('k1', H + 60_000, 'iam.amazonaws.com', 'CreateAccessKey');
        },
        watched: [1, 1],
        late: (call) => call('k1', T0 + 2000, 'sqs.amazonaws.com', 'ReceiveMessage'),
      },
    ];
    const run = (sc: (typeof scenarios)[number], merge: boolean) => {
      const { db, call } = caseWith([{ key: 'k1', sa: 'orders' }]);
      const flags = db.prepare("INSERT OR REPLACE INTO event_flags (event_rowid, flag, detail) VALUES (?, 'first-seen-api', ?)");
      const flaggedRows = () => db.prepare("SELECT event_rowid FROM event_flags WHERE flag = 'first-seen-api'").pluck().all() as number[];
      baseline(call, 'k1', 40, BASELINE_MS);
      sc.first(call);
      call('k1', H + 120_000, 'sqs.amazonaws.com', 'ReceiveMessage');
      const watched = () => db.prepare("SELECT id FROM events WHERE event_name = 'CreateAccessKey'").pluck().get() as number | undefined;
      for (const h of firstSeenApis(db)) flags.run(h.rowid, h.detail);
      const before = flaggedRows().includes(watched() ?? -1);
      const afterId = db.prepare('SELECT max(id) FROM events').pluck().get() as number;
      sc.late(call);
      firstSeenTuning.mergedFirsts = merge ? 16 : 0;
      try {
        for (const h of firstSeenApisAfter(db, afterId, new Set())) flags.run(h.rowid, h.detail);
      } finally {
        firstSeenTuning.mergedFirsts = 16;
      }
      const after = flaggedRows().includes(watched()!);
      const flagsNow = db.prepare("SELECT event_rowid, detail FROM event_flags WHERE flag = 'first-seen-api' ORDER BY 1").all();
      const state = db.prepare('SELECT * FROM first_seen_state ORDER BY sa').all();
      const whole = firstSeenApis(db).map((h) => ({ event_rowid: h.rowid, detail: h.detail }));
      const wholeState = db.prepare('SELECT * FROM first_seen_state ORDER BY sa').all();
      db.close();
      return { watched: [before ? 1 : 0, after ? 1 : 0], flagsNow, state, whole, wholeState };
    };
    for (const sc of scenarios) {
      for (const merge of [true, false]) {
        const r = run(sc, merge);
        const label = `${sc.name} (${merge ? 'merged' : 'walked again'})`;
        expect(r.watched, label).toEqual(sc.watched);
        if (sc.name === 'a flag with an API called once') expect(JSON.stringify(r.flagsNow), label).toContain("of its baseline's APIs, 1 called only once");
        expect(r.flagsNow, label).toEqual(r.whole);
        expect(r.state, label).toEqual(r.wholeState);
      }
    }
  });
});
