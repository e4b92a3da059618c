/**
 * Stars, tags and notes on events and entities (shared/notes.ts), kept in the case (migration 0100). Each change
 * is one transaction: the annotation row and its custody-log entry (`annotate`) commit together or not at all.
 */
import type { Database } from 'better-sqlite3';
import { NOTE_MAX, TAG_PATTERN, type NoteKind, type NoteTarget, type NoteTargetKind, type NoteView } from '../../../shared/notes';
import { appendCustody, currentActor } from '../custody/log';
import { eventIdArgs, eventIdIs } from '../db/event-id';

export class NoteError extends Error {}
export class NoteNotFoundError extends Error {}

interface Row {
  id: number;
  target_kind: NoteTargetKind;
  target: string;
  kind: NoteKind;
  text: string;
  created_at: string;
  created_by: string;
  custody_seq: number;
}

function view(r: Row): NoteView {
  return { id: r.id, target: { kind: r.target_kind, value: r.target }, kind: r.kind, text: r.text, at: r.created_at, actor: r.created_by, custodySeq: r.custody_seq };
}

const VARIANT_TARGET = /^(.+)#(\d{1,9})$/;
const KEY = /^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{8,}$/;

/** Whether the target names something in the case (a principal is the examiner's words: any non-empty text). */
export function targetExists(db: Database, t: NoteTarget): boolean {
  const one = (sql: string, ...p: unknown[]) => db.prepare(sql).get(...p) !== undefined;
  switch (t.kind) {
    case 'event': {
      if (one(`SELECT 1 FROM events WHERE ${eventIdIs()} LIMIT 1`, ...eventIdArgs(t.value))) return true;
      const m = VARIANT_TARGET.exec(t.value);
      return !!m && one(`SELECT 1 FROM events WHERE ${eventIdIs()} AND variant = ?`, ...eventIdArgs(m[1]!), Number(m[2]));
    }
    case 'session':
      return KEY.test(t.value) && (one('SELECT 1 FROM events WHERE access_key_id = ? LIMIT 1', t.value) || one('SELECT 1 FROM subjects WHERE subject_key = ?', `key:${t.value}`));
    case 'pod':
      return one('SELECT 1 FROM subjects WHERE pod_name = ? LIMIT 1', t.value) || one("SELECT 1 FROM k8s_audit WHERE resource = 'pods' AND name = ? LIMIT 1", t.value);
    case 'principal':
      return t.value.trim() !== '';
  }
}

function describe(t: NoteTarget): string {
  switch (t.kind) {
    case 'event':
      return `event ${t.value} is not in the case`;
    case 'session':
      return `access key ${t.value} is not in the case`;
    case 'pod':
      return `pod ${t.value} is not in the case`;
    case 'principal':
      return 'a principal must be named';
  }
}

export class NoteStore {
  constructor(
    private readonly db: Database,
    private readonly actor: () => string = currentActor,
  ) {}

  /** Active annotations, oldest first: of one target, of several targets, or all of the case. */
  list(targets?: NoteTarget[]): NoteView[] {
    const base = 'SELECT id, target_kind, target, kind, text, created_at, created_by, custody_seq FROM annotations WHERE removed_at IS NULL';
    if (!targets) return (this.db.prepare(`${base} ORDER BY id`).all() as Row[]).map(view);
    if (targets.length === 0) return [];
    const stmt = this.db.prepare(`${base} AND target_kind = ? AND target = ? ORDER BY id`);
    const seen = new Set<number>();
    const out: NoteView[] = [];
    for (const t of targets) {
      for (const r of stmt.all(t.kind, t.value) as Row[]) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        out.push(view(r));
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /**
   * Add a star, a tag or a note. A star or tag already on the target is answered as it is (no second row, no
   * custody entry): starring twice is one star.
   */
  add(target: NoteTarget, kind: NoteKind, text: string, options: { at?: string } = {}): { note: NoteView; added: boolean } {
    const value = target.value.trim();
    const t: NoteTarget = { kind: target.kind, value };
    const body = kind === 'star' ? '' : kind === 'tag' ? text.trim() : text.replace(/\s+$/, '');
    if (kind === 'tag' && !TAG_PATTERN.test(body)) throw new NoteError(`a tag is one word of letters, digits and -_.:/ (at most 64 characters): ${JSON.stringify(text)}`);
    if (kind === 'note' && body.trim() === '') throw new NoteError('a note needs some text');
    if (body.length > NOTE_MAX) throw new NoteError(`a note is at most ${NOTE_MAX} characters`);
    if (!targetExists(this.db, t)) throw new NoteNotFoundError(describe(t));
    return this.db.transaction(() => {
      if (kind !== 'note') {
        const existing = this.db
          .prepare('SELECT id, target_kind, target, kind, text, created_at, created_by, custody_seq FROM annotations WHERE removed_at IS NULL AND target_kind = ? AND target = ? AND kind = ? AND text = ?')
          .get(t.kind, t.value, kind, body) as Row | undefined;
        if (existing) return { note: view(existing), added: false };
      }
      const at = options.at ?? new Date().toISOString();
      const actor = this.actor();
      const id = ((this.db.prepare('SELECT COALESCE(MAX(id), 0) FROM annotations').pluck().get() as number) ?? 0) + 1;
      const entry = appendCustody(this.db, 'annotate', { op: 'add', id, target: t, kind, text: body }, { at, actor });
      this.db
        .prepare('INSERT INTO annotations (id, target_kind, target, kind, text, created_at, created_by, custody_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, t.kind, t.value, kind, body, at, actor, entry.seq);
      return { note: { id, target: t, kind, text: body, at, actor, custodySeq: entry.seq }, added: true };
    })();
  }

  /** Mark an annotation removed (it stays in the case, with who removed it and when). False when it is not active. */
  remove(id: number, options: { at?: string } = {}): boolean {
    return this.db.transaction(() => {
      const r = this.db.prepare('SELECT id, target_kind, target, kind, text FROM annotations WHERE id = ? AND removed_at IS NULL').get(id) as Row | undefined;
      if (!r) return false;
      const at = options.at ?? new Date().toISOString();
      const actor = this.actor();
      const entry = appendCustody(this.db, 'annotate', { op: 'remove', id, target: { kind: r.target_kind, value: r.target }, kind: r.kind, text: r.text }, { at, actor });
      this.db.prepare('UPDATE annotations SET removed_at = ?, removed_by = ?, removed_seq = ? WHERE id = ?').run(at, actor, entry.seq, id);
      return true;
    })();
  }
}
