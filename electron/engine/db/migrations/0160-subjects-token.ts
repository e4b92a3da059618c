import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';

/**
 * 0160: `correlation_state.subjects_token`, a random token each correlation writes in the transaction that writes
 * `event_subjects` (chain/correlate.ts), so that a reader that kept the events' subjects (service/event-columns.ts,
 * and the image of its columns) knows they have not changed since without reading every slice's checksum (1.4–1.75 s
 * at 10M events, after any commit: a note, a star or a tag too). Random, not a count: two cases built from the same
 * evidence and correlated as often never share one.
 *
 * Only a correlation writes `event_subjects` (correlate.ts and the pod actors it attaches, k8s/pod-actors.ts); a
 * change that writes it otherwise must write a new token (or NULL: the reader then reads the checksums) in its own
 * transaction. A case already correlated gets one for the subjects it holds (a reader of the case before this knew no
 * token, and an image of its columns was made for the schema before: neither is taken for this state).
 */
export function up(db: Database): void {
  db.exec('ALTER TABLE correlation_state ADD COLUMN subjects_token TEXT');
  db.prepare('UPDATE correlation_state SET subjects_token = ?').run(randomUUID());
}
