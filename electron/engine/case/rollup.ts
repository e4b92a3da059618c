/**
 * Per-subject aggregates of the events, derived with the attribution in the same transaction (correlate.ts), so
 * that they always agree with `event_subjects`:
 * - `event_rollup`: event counts per attribution subject and per value of the table's facet columns (account,
 *   region, source, event name, error code). The event table needs the total of the filtered set with every page;
 *   counting a million joined rows takes a second or more, summing this rollup a few milliseconds.
 * - `subject_ip_use`: per subject, each (source address, user agent) its events came from, how often and first
 *   when (its earliest event time): the node-credential detections read it (detect/flags.ts) instead of every call of every node.
 *
 * A whole correlation rebuilds both. An incremental one (adding evidence) rebuilds the rows of the subjects whose
 * events moved and adds the new events to the others (`refreshAggregates`): the same rows either way.
 */
import type { Database } from 'better-sqlite3';

/** The facet columns the rollup keeps, named as in `events` so that the table's WHERE clause runs on it unchanged. */
export const ROLLUP_COLUMNS = ['recipient_account_id', 'aws_region', 'event_source', 'event_name', 'error_code'] as const;

export function createRollupTable(db: Database): void {
  db.exec(`
    CREATE TABLE event_rollup (
      subject_id           INTEGER NOT NULL,
      recipient_account_id TEXT,
      aws_region           TEXT,
      event_source         TEXT,
      event_name           TEXT,
      error_code           TEXT,
      n                    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX event_rollup_subject ON event_rollup(subject_id);`);
}

const COLS = ROLLUP_COLUMNS.map((c) => `e.${c}`).join(', ');
const ROLLUP_SELECT = `SELECT es.subject_id, ${COLS}, COUNT(*) FROM events e JOIN event_subjects es ON es.event_rowid = e.id`;
const ROLLUP_GROUP = `GROUP BY es.subject_id, ${COLS}`;
const IP_USE_SELECT = `SELECT es.subject_id, e.source_ip, e.user_agent_sid, COUNT(*), MIN(e.event_ms) FROM events e JOIN event_subjects es ON es.event_rowid = e.id`;
const IP_USE_GROUP = 'GROUP BY es.subject_id, e.source_ip, e.user_agent_sid';
const IP_USE_INSERT = 'INSERT INTO subject_ip_use (subject_id, source_ip, user_agent_sid, n, first_ms)';

/** Recount the rollup from `events` and `event_subjects` (inside the caller's transaction; migration 0070). */
export function rebuildRollup(db: Database): void {
  db.exec(`DELETE FROM event_rollup; INSERT INTO event_rollup (subject_id, ${ROLLUP_COLUMNS.join(', ')}, n) ${ROLLUP_SELECT} ${ROLLUP_GROUP};`);
}

/**
 * A whole correlation counts both aggregates in one pass over the events: the events grouped by subject and by
 * every column either aggregate keeps go into a temporary table (a few thousand rows), which `subject_ip_use` is
 * summed from at once and `event_rollup` once the pod-actor splits are made (`rollupFromCounts`). One pass instead
 * of two: at 3M events 8.8 s instead of 9.8 s + 5.5 s.
 *
 * Counted as a hash aggregate, not a GROUP BY: each joined row is an upsert into the small table's unique index
 * (`COUNT_KEY`), which stays in the page cache, where a GROUP BY made SQLite's sorter sort every joined row (spilling
 * to temporary files past its cache): at 1M events 3.3–4.1 s → 1.3–1.6 s (three runs), at 10M 45.4 s → 16.3 s
 * (one), both with other work on the machine; the same rows. The key begins with the row's facet id (`facet_sid`: the
 * `strings` id of the five facet values' text, db/strings.ts `facetText`; -1 for a row without one), an integer that
 * ends most comparisons, then holds the five values themselves, so that it is exact whatever the id (keying on the
 * id alone was 5–10 % faster at 1M). A NULL in a UNIQUE column would make every such row a group of its own: a NULL
 * is keyed as -1 ('' for the user agent's id), which equals no text (the table's columns have no type, so nothing is
 * converted).
 */
const FACET_KEYS = ROLLUP_COLUMNS.map((c, i) => `coalesce(e.${c}, -1) AS k${i}`);
const COUNT_KEY = `facet_key, subject_id, ip_key, ua_key, ${ROLLUP_COLUMNS.map((_, i) => `k${i}`).join(', ')}`;
export function countSubjectEvents(db: Database): void {
  db.exec(`
    DROP TABLE IF EXISTS temp.subject_counts;
    CREATE TEMP TABLE subject_counts (facet_key, subject_id, ip_key, ua_key, ${ROLLUP_COLUMNS.map((_, i) => `k${i}`).join(', ')},
      ${ROLLUP_COLUMNS.join(', ')}, source_ip, user_agent_sid, n, first_ms, UNIQUE (${COUNT_KEY}));
    INSERT INTO temp.subject_counts
      SELECT coalesce(e.facet_sid, -1), es.subject_id, coalesce(e.source_ip, -1), coalesce(e.user_agent_sid, ''), ${FACET_KEYS.join(', ')},
        ${COLS}, e.source_ip, e.user_agent_sid, 1, e.event_ms
      FROM events e JOIN event_subjects es ON es.event_rowid = e.id WHERE true
      ON CONFLICT (${COUNT_KEY}) DO UPDATE SET n = n + 1, first_ms = min(first_ms, excluded.first_ms);
    DELETE FROM subject_ip_use;
    ${IP_USE_INSERT} SELECT subject_id, source_ip, user_agent_sid, SUM(n), MIN(first_ms) FROM temp.subject_counts
      WHERE source_ip IS NOT NULL GROUP BY subject_id, source_ip, user_agent_sid;`);
}

/**
 * The rollup from the counts `countSubjectEvents` made before the pod-actor splits (pod-actors.ts): a subject split
 * since (and every subject split from it) has its events counted again from the rows, the others summed from the
 * counts.
 */
export function rollupFromCounts(db: Database): void {
  const split = 'SELECT split_of FROM subjects WHERE split_of IS NOT NULL';
  const cols = ROLLUP_COLUMNS.join(', ');
  db.exec(`
    DELETE FROM event_rollup;
    INSERT INTO event_rollup (subject_id, ${cols}, n) SELECT subject_id, ${cols}, SUM(n) FROM temp.subject_counts
      WHERE subject_id NOT IN (${split}) GROUP BY subject_id, ${cols};
    INSERT INTO event_rollup (subject_id, ${cols}, n) ${ROLLUP_SELECT}
      WHERE es.subject_id IN (${split} UNION SELECT id FROM subjects WHERE split_of IS NOT NULL) ${ROLLUP_GROUP};
    DROP TABLE temp.subject_counts;`);
}

/**
 * After an incremental correlation moved events: `rebuilt` names a temporary table (column `id`) of the subjects
 * whose events changed other than by new events being added (created, emptied, re-assigned), recounted whole; the
 * events after row `afterId` of every other subject are added to its rows. `which` picks the aggregate.
 */
export function refreshAggregates(db: Database, which: 'rollup' | 'ip-use', rebuilt: string, afterId: number): void {
  if (which === 'rollup') {
    const match = ROLLUP_COLUMNS.map((c) => `r.${c} IS d.${c}`).join(' AND ');
    db.exec(`
      DELETE FROM event_rollup WHERE subject_id IN (SELECT id FROM temp."${rebuilt}");
      INSERT INTO event_rollup (subject_id, ${ROLLUP_COLUMNS.join(', ')}, n)
        ${ROLLUP_SELECT} WHERE es.subject_id IN (SELECT id FROM temp."${rebuilt}") ${ROLLUP_GROUP};
      DROP TABLE IF EXISTS temp.rollup_delta;
      CREATE TEMP TABLE rollup_delta AS ${ROLLUP_SELECT.replace('COUNT(*)', 'COUNT(*) AS n')}
        WHERE e.id > ${afterId} AND es.subject_id NOT IN (SELECT id FROM temp."${rebuilt}") ${ROLLUP_GROUP};
      UPDATE event_rollup AS r SET n = r.n + d.n FROM temp.rollup_delta d WHERE r.subject_id = d.subject_id AND ${match};
      INSERT INTO event_rollup (subject_id, ${ROLLUP_COLUMNS.join(', ')}, n)
        SELECT d.subject_id, ${ROLLUP_COLUMNS.map((c) => `d.${c}`).join(', ')}, d.n FROM temp.rollup_delta d
        WHERE NOT EXISTS (SELECT 1 FROM event_rollup r WHERE r.subject_id = d.subject_id AND ${match});
      DROP TABLE temp.rollup_delta;`);
    return;
  }
  const match = 'u.subject_id = d.subject_id AND u.source_ip = d.source_ip AND u.user_agent_sid IS d.user_agent_sid';
  db.exec(`
    DELETE FROM subject_ip_use WHERE subject_id IN (SELECT id FROM temp."${rebuilt}");
    ${IP_USE_INSERT} ${IP_USE_SELECT} WHERE e.source_ip IS NOT NULL AND es.subject_id IN (SELECT id FROM temp."${rebuilt}") ${IP_USE_GROUP};
    DROP TABLE IF EXISTS temp.ip_delta;
    CREATE TEMP TABLE ip_delta (subject_id, source_ip, user_agent_sid, n, first_ms);
    INSERT INTO temp.ip_delta ${IP_USE_SELECT} WHERE e.source_ip IS NOT NULL AND e.id > ${afterId} AND es.subject_id NOT IN (SELECT id FROM temp."${rebuilt}") ${IP_USE_GROUP};
    UPDATE subject_ip_use AS u SET n = u.n + d.n, first_ms = min(u.first_ms, d.first_ms) FROM temp.ip_delta d WHERE ${match};
    ${IP_USE_INSERT} SELECT d.subject_id, d.source_ip, d.user_agent_sid, d.n, d.first_ms FROM temp.ip_delta d
      WHERE NOT EXISTS (SELECT 1 FROM subject_ip_use u WHERE ${match});
    DROP TABLE temp.ip_delta;`);
}
