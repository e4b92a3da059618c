/**
 * The event table's columns as the examiner arranges them (issue 17 part 5): widths dragged at a header's right
 * edge, columns hidden and shown from the Columns menu, both remembered in this browser (localStorage); the first
 * columns (⚑, ★, time, event) stay in view while the table scrolls sideways. And the ★ column: the examiner's star,
 * tags and notes on each row (issue 17 part 4).
 */
import { useEffect, useRef, useState } from 'react';
import type { Column, ColumnSizingState, VisibilityState } from '@tanstack/react-table';
import type { EventRowView } from '../../../shared/api';
import { shown } from '../model/format';
import { useNotes } from './notes-context';

/** Columns kept in view at the left while the table scrolls sideways. */
export const PINNED_COLUMNS: ReadonlySet<string> = new Set(['flags', 'marks', 'time', 'event']);
/** Columns that cannot be hidden (the table would lose what a row is). */
const ALWAYS_SHOWN: ReadonlySet<string> = new Set(['time', 'event']);

const STORE_KEY = 'podtrail.table.columns.v1';

export interface ColumnPrefs {
  sizing: ColumnSizingState;
  visibility: VisibilityState;
}

export function loadColumnPrefs(): ColumnPrefs {
  try {
    const v = JSON.parse(window.localStorage.getItem(STORE_KEY) ?? 'null') as Partial<ColumnPrefs> | null;
    const clean = <T,>(o: unknown, ok: (x: unknown) => x is T): Record<string, T> =>
      Object.fromEntries(Object.entries(o && typeof o === 'object' ? o : {}).filter((e): e is [string, T] => ok(e[1])));
    return {
      sizing: clean(v?.sizing, (x): x is number => typeof x === 'number' && x >= 24 && x <= 2000),
      visibility: clean(v?.visibility, (x): x is boolean => typeof x === 'boolean'),
    };
  } catch {
    return { sizing: {}, visibility: {} };
  }
}

export function saveColumnPrefs(p: ColumnPrefs): void {
  try {
    window.localStorage.setItem(STORE_KEY, JSON.stringify(p));
  } catch {
    // storage refused (private mode, quota): the arrangement lasts for this window only
  }
}

/** The Columns menu: show or hide each column, and put widths back. */
export function ColumnsMenu({ columns, onReset }: { columns: Column<EventRowView, unknown>[]; onReset: () => void }) {
  const [open, setOpen] = useState<{ top: number; right: number; maxHeight: number } | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => !ref.current?.contains(e.target as Node) && setOpen(null);
    const key = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(null);
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', key);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', key);
    };
  }, [open]);
  return (
    <div className="columns-menu" ref={ref}>
      <button
        type="button"
        className="btn small"
        aria-haspopup="menu"
        aria-expanded={open !== null}
        data-testid="columns-button"
        onClick={(e) => {
          // Fixed to the window: the table's scroller would clip a menu inside it.
          const r = e.currentTarget.getBoundingClientRect();
          setOpen((o) => (o ? null : { top: r.bottom + 4, right: Math.max(4, window.innerWidth - r.right), maxHeight: Math.max(160, window.innerHeight - r.bottom - 16) }));
        }}
        title="show, hide and reset columns"
      >
        Columns ▾
      </button>
      {open && (
        <div className="menu" role="menu" data-testid="columns-menu" style={{ position: 'fixed', top: open.top, right: open.right, maxHeight: open.maxHeight }}>
          {columns.map((c) => (
            <label key={c.id} className="menu-item check">
              <input
                type="checkbox"
                role="menuitemcheckbox"
                checked={c.getIsVisible()}
                disabled={ALWAYS_SHOWN.has(c.id)}
                onChange={() => c.toggleVisibility()}
                data-testid={`column-toggle-${c.id}`}
              />{' '}
              {typeof c.columnDef.header === 'string' ? c.columnDef.header : c.id}
            </label>
          ))}
          <button
            type="button"
            className="menu-item"
            data-testid="columns-reset"
            onClick={() => {
              onReset();
              setOpen(null);
            }}
          >
            Show every column at its default width
          </button>
        </div>
      )}
    </div>
  );
}

/** A row's ★: the event's star (click to toggle), its tags and notes, and its session's and pod's tags. */
export function RowMarks({ row }: { row: EventRowView }) {
  const notes = useNotes();
  if (!notes) return null;
  const ev = notes.of({ kind: 'event', value: row.eventID });
  const sess = row.accessKeyId ? notes.of({ kind: 'session', value: row.accessKeyId }) : null;
  const pod = row.pod ? notes.of({ kind: 'pod', value: row.pod }) : null;
  const tags = [...ev.tags, ...(sess?.tags ?? []).map((t) => `session:${t}`), ...(pod?.tags ?? []).map((t) => `pod:${t}`)];
  const words = [ev.starred ? 'starred' : null, ...tags.map((t) => `tag ${t}`), ev.notes.length ? `${ev.notes.length} note${ev.notes.length === 1 ? '' : 's'}: ${ev.notes.map((n) => n.text).join(' | ')}` : null].filter(Boolean);
  return (
    <span className="row-marks" title={words.length ? shown(words.join('; ')) : 'click ☆ to star this event'} data-testid="row-marks" data-tags={tags.join(' ')} data-notes={ev.notes.length}>
      <button
        type="button"
        className={`row-star ${ev.starred ? 'on' : ''}`}
        aria-pressed={ev.starred}
        aria-label={ev.starred ? 'remove the star of this event' : 'star this event'}
        data-testid="row-star"
        onClick={(e) => {
          e.stopPropagation();
          void notes.toggleStar({ kind: 'event', value: row.eventID });
        }}
      >
        {ev.starred ? '★' : '☆'}
      </button>
      {tags.length > 0 && <span className="row-tag">{shown(tags[0]!)}{tags.length > 1 ? ` +${tags.length - 1}` : ''}</span>}
      {ev.notes.length > 0 && <span className="row-note">✎{ev.notes.length}</span>}
    </span>
  );
}

/** The row menu's part: star the event, or open it with the note field ready (tags and notes live in the detail pane). */
export function RowMenuNotes({ row, onOpen, onClose }: { row: EventRowView; onOpen: () => void; onClose: () => void }) {
  const notes = useNotes();
  if (!notes) return null;
  const starred = notes.of({ kind: 'event', value: row.eventID }).starred;
  return (
    <>
      <div className="menu-head" role="presentation">
        Keep
      </div>
      <button
        type="button"
        role="menuitem"
        className="menu-item"
        data-testid="row-menu-star"
        onClick={() => {
          void notes.toggleStar({ kind: 'event', value: row.eventID });
          onClose();
        }}
      >
        {starred ? '★ remove the star of this event' : '☆ star this event'}
      </button>
      <button
        type="button"
        role="menuitem"
        className="menu-item"
        data-testid="row-menu-note"
        onClick={() => {
          onOpen();
          onClose();
          // The detail pane opens the event, then its note field takes the keyboard.
          const started = Date.now();
          const focus = () => {
            const pane = document.querySelector('[data-testid="detail-pane"]');
            const field = pane?.textContent?.includes(row.eventID) ? pane.querySelector<HTMLTextAreaElement>('[data-testid="note-text"]') : null;
            if (field) {
              field.scrollIntoView({ block: 'nearest' });
              field.focus();
            } else if (Date.now() - started < 3000) setTimeout(focus, 50);
          };
          setTimeout(focus, 50);
        }}
      >
        ✎ tag or note this event…
      </button>
    </>
  );
}
