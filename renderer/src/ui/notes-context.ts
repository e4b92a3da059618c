/**
 * The examiner's stars, tags and notes (shared/notes.ts) for the whole window: read once (`notes.list`), again
 * after every change and every ingest; the table, the detail pane and the case report dialog read them from here.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { noteKey, summarizeNotes, type NoteKind, type NoteSummary, type NoteTarget, type NoteView } from '../../../shared/notes';
import type { Client } from '../api/client';
import { errorText } from './client-context';

export interface Notes {
  all: NoteView[];
  /** Counts the reads of the notes: what is filtered by star or tag is read again when it changes. */
  revision: number;
  /** Every active tag of the case, sorted (the tag filter's choices). */
  tags: string[];
  /** Star, tags and notes of one target (empty when it has none). */
  of(t: NoteTarget): NoteSummary;
  add(t: NoteTarget, kind: NoteKind, text?: string): Promise<void>;
  remove(id: number): Promise<void>;
  toggleStar(t: NoteTarget): Promise<void>;
  error: string | null;
}

const EMPTY: NoteSummary = { starred: false, tags: [], notes: [] };

export const NotesContext = createContext<Notes | null>(null);

export function useNotes(): Notes | null {
  return useContext(NotesContext);
}

export function useNotesState(client: Client, version: number): Notes {
  const [all, setAll] = useState<NoteView[]>([]);
  const [revision, setRevision] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    client.call('notes.list', {}).then(
      (n) => {
        if (!live) return;
        setAll(n);
        setRevision((r) => r + 1);
        setError(null);
      },
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [client, version, tick]);

  const byTarget = useMemo(() => summarizeNotes(all), [all]);
  const tags = useMemo(() => [...new Set(all.filter((n) => n.kind === 'tag').map((n) => n.text))].sort(), [all]);
  const of = useCallback((t: NoteTarget) => byTarget.get(noteKey(t)) ?? EMPTY, [byTarget]);
  const run = useCallback(
    async (p: Promise<unknown>) => {
      try {
        await p;
        setError(null);
      } catch (e) {
        setError(errorText(e));
      } finally {
        setTick((x) => x + 1);
      }
    },
    [],
  );
  const add = useCallback((t: NoteTarget, kind: NoteKind, text = '') => run(client.call('notes.add', { target: t, kind, text })), [client, run]);
  const remove = useCallback((id: number) => run(client.call('notes.remove', { id })), [client, run]);
  const toggleStar = useCallback(
    (t: NoteTarget) => {
      const star = all.find((n) => n.kind === 'star' && n.target.kind === t.kind && n.target.value === t.value);
      // What this window last read may be stale (the CLI or another window changed the case): a star that was
      // already removed there is starred again, as the click asked.
      const toggle = async (): Promise<void> => {
        if (star && (await client.call('notes.remove', { id: star.id })).removed) return;
        await client.call('notes.add', { target: t, kind: 'star', text: '' });
      };
      return run(toggle());
    },
    [all, client, run],
  );
  return useMemo(() => ({ all, revision, tags, of, add, remove, toggleStar, error }), [all, revision, tags, of, add, remove, toggleStar, error]);
}
