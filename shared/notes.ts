/**
 * The examiner's own work kept in the case (issue 17 part 4): a star, a tag or a note on an event or on an entity —
 * a pod, a credential session (its access key) or a principal (a person, a role session, a user ARN). Stored in the
 * case (migration 0100), every change written to the custody log; removal keeps the row (it is marked removed),
 * so what a report once showed can always be found again.
 */

export const NOTE_TARGETS = ['event', 'pod', 'session', 'principal'] as const;
export type NoteTargetKind = (typeof NOTE_TARGETS)[number];

export const NOTE_KINDS = ['star', 'tag', 'note'] as const;
export type NoteKind = (typeof NOTE_KINDS)[number];

/** What is annotated: an eventID (`<eventID>#<n>` for a variant), a pod name, an access key id, or a principal. */
export interface NoteTarget {
  kind: NoteTargetKind;
  value: string;
}

export interface NoteView {
  id: number;
  target: NoteTarget;
  kind: NoteKind;
  /** The tag or the note's text; empty for a star. */
  text: string;
  /** UTC, when it was made. */
  at: string;
  /** Who made it (operating-system user and host, as in the custody log). */
  actor: string;
  /** The custody-log entry that recorded it. */
  custodySeq: number;
}

/** Words for a target kind, in lists and reports. */
export const NOTE_TARGET_WORDS: Record<NoteTargetKind, string> = {
  event: 'event',
  pod: 'pod',
  session: 'session (access key)',
  principal: 'principal',
};

/** Tags are short words: letters, digits and `-_.:/`, at most 64 characters. */
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}_.:/-]{0,63}$/u;
export const NOTE_MAX = 4000;

/** The star, tags and notes of one target, from a list of annotations. */
export interface NoteSummary {
  starred: boolean;
  tags: string[];
  notes: NoteView[];
}

export function noteKey(t: NoteTarget): string {
  return `${t.kind}\u0000${t.value}`;
}

/** Group annotations by target (`noteKey`). */
export function summarizeNotes(notes: readonly NoteView[]): Map<string, NoteSummary> {
  const out = new Map<string, NoteSummary>();
  for (const n of notes) {
    const k = noteKey(n.target);
    let s = out.get(k);
    if (!s) out.set(k, (s = { starred: false, tags: [], notes: [] }));
    if (n.kind === 'star') s.starred = true;
    else if (n.kind === 'tag') {
      if (!s.tags.includes(n.text)) s.tags.push(n.text);
    } else s.notes.push(n);
  }
  return out;
}
