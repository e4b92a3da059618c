import type { Database } from 'better-sqlite3';

/**
 * 0100: the examiner's stars, tags and notes on events and on entities (pods, credential sessions, principals).
 * Every change is also an entry of the custody log (`custody_seq`, `removed_seq`). Rows are never deleted and
 * never edited except to mark them removed, once: a trigger refuses anything else, so the notes a report showed
 * stay in the case.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE annotations (
      id           INTEGER PRIMARY KEY,
      target_kind  TEXT NOT NULL CHECK (target_kind IN ('event', 'pod', 'session', 'principal')),
      target       TEXT NOT NULL,
      kind         TEXT NOT NULL CHECK (kind IN ('star', 'tag', 'note')),
      text         TEXT NOT NULL,
      created_at   TEXT NOT NULL,
      created_by   TEXT NOT NULL,
      custody_seq  INTEGER NOT NULL,
      removed_at   TEXT,
      removed_by   TEXT,
      removed_seq  INTEGER
    ) STRICT;
    CREATE INDEX annotations_target ON annotations(target_kind, target);
    CREATE TRIGGER annotations_no_delete BEFORE DELETE ON annotations
      BEGIN SELECT RAISE(ABORT, 'annotations are kept: mark one removed instead'); END;
    CREATE TRIGGER annotations_remove_only BEFORE UPDATE ON annotations
      WHEN OLD.removed_at IS NOT NULL
        OR NEW.id IS NOT OLD.id OR NEW.target_kind IS NOT OLD.target_kind OR NEW.target IS NOT OLD.target
        OR NEW.kind IS NOT OLD.kind OR NEW.text IS NOT OLD.text OR NEW.created_at IS NOT OLD.created_at
        OR NEW.created_by IS NOT OLD.created_by OR NEW.custody_seq IS NOT OLD.custody_seq
        OR NEW.removed_at IS NULL OR NEW.removed_seq IS NULL
      BEGIN SELECT RAISE(ABORT, 'an annotation can only be marked removed, once'); END;
  `);
}
