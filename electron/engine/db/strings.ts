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

/**
 * A row's facet combination (account, region, event source, event name, error code) as the reader's columns key it
 * (service/event-columns.ts: `COMBO_SQL` makes the same text from the columns): each value `v<text>`, a NULL `n`,
 * joined by U+001F. The writer stores its `strings` id in the row (`facet_sid`, migration 0150), so that the reader
 * loads an integer a row instead of building and parsing this text for every row. Null when a value holds U+001F
 * itself (the text would not split back into the five): such a row has no id and the reader reads its values.
 */
export function facetText(account: string | null, region: string | null, source: string, name: string, error: string | null): string | null {
  const t = `${account === null ? 'n' : `v${account}`}\x1f${region === null ? 'n' : `v${region}`}\x1fv${source}\x1fv${name}\x1f${error === null ? 'n' : `v${error}`}`;
  return occurrencesOf(t, 0x1f) === 4 ? t : null;
}

/** The values of a `facetText` (account, region, event source, event name, error code), however many it holds. */
export function facetFields(text: string): (string | null)[] {
  return text.split('\x1f').map((x) => (x === 'n' ? null : x.slice(1)));
}

/** The five values of a `facetText`; null for text that does not hold five. */
export function facetValues(text: string): (string | null)[] | null {
  return occurrencesOf(text, 0x1f) === 4 ? facetFields(text) : null;
}

function occurrencesOf(s: string, c: number): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === c) n++;
  return n;
}

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
