/**
 * Repeated strings of the event rows as integer ids (schema 90): user agents, principal ARNs and ids, session
 * issuers, the AWS services that invoked a call, IAM user names. They are a third of a row's bytes and take a few
 * hundred distinct values in a busy account; stored once in `strings`, each event row holds their ids
 * (`<column>_sid`). The view `events_v` gives the event rows with these columns as text again, under their old
 * names; SQLite leaves out the joins of the columns a query does not use.
 */
import type { Database, Statement } from 'better-sqlite3';

export const STRING_COLUMNS = ['user_agent', 'principal_arn', 'principal_id', 'session_issuer_arn', 'invoked_by', 'user_name'] as const;

export const EVENTS_VIEW = `
  CREATE VIEW events_v AS SELECT e.*, ${STRING_COLUMNS.map((c, i) => `s${i}.text AS ${c}`).join(', ')}
  FROM events e ${STRING_COLUMNS.map((c, i) => `LEFT JOIN strings s${i} ON s${i}.id = e.${c}_sid`).join(' ')};`;

/** How many strings the writer keeps in memory (then it starts afresh: memory stays flat whatever the case). */
const CACHE_STRINGS = 100_000;

/** The writer's side: the id of a string, added to `strings` when new. */
export class StringIds {
  private readonly find: Statement;
  private readonly insert: Statement;
  private readonly cache = new Map<string, number>();

  constructor(db: Database) {
    this.find = db.prepare('SELECT id FROM strings WHERE text = ?').pluck();
    this.insert = db.prepare('INSERT INTO strings (text) VALUES (?)');
  }

  id(text: string | null): number | null {
    if (text === null) return null;
    let id = this.cache.get(text);
    if (id !== undefined) return id;
    id = (this.find.get(text) as number | undefined) ?? Number(this.insert.run(text).lastInsertRowid);
    if (this.cache.size >= CACHE_STRINGS) this.cache.clear();
    this.cache.set(text, id);
    return id;
  }

  /** After a rollback: ids given since may be given again to other strings. */
  forget(): void {
    this.cache.clear();
  }
}
