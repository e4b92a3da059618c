/**
 * Star, tag and note the opened event or what it leads to — its pod, its credential session, its principal — from
 * the detail pane. Everything is kept in the case and written to its custody log by the engine (`notes.*`). A tag
 * clicked filters the table to it (`EventFilters.tag`: the events tagged, and those of a session, pod or person
 * tagged so).
 */
import { useState } from 'react';
import type { TraceView } from '../../../shared/api';
import { NOTE_TARGET_WORDS, TAG_PATTERN, noteKey, type NoteTarget, type NoteView } from '../../../shared/notes';
import { formatTime, shown } from '../model/format';
import { useNotes } from './notes-context';

/** The targets a trace offers: the event, then its pod, session and principal when it names them. */
export function noteTargets(trace: TraceView): NoteTarget[] {
  const a = trace.attribution ?? trace.resolution;
  const key = trace.event ? trace.event.accessKeyId : trace.accessKeyId;
  const out: NoteTarget[] = [];
  if (trace.event) out.push({ kind: 'event', value: trace.event.variant ? `${trace.event.eventID}#${trace.event.variant}` : trace.event.eventID });
  if (a.pod && !a.pod.nameTruncated) out.push({ kind: 'pod', value: a.pod.name });
  if (key) out.push({ kind: 'session', value: key });
  if (a.principal) out.push({ kind: 'principal', value: a.principal });
  return out;
}

/** A tag: a button that filters the table to it, when the pane can. */
function Tag({ tag, onTag, testId = 'note-tag' }: { tag: string; onTag?: (tag: string) => void; testId?: string }) {
  if (!onTag) {
    return (
      <span className="note-tag" data-testid={testId}>
        {shown(tag)}
      </span>
    );
  }
  return (
    <button type="button" className="note-tag" data-testid={testId} data-tag={tag} title={`filter the table to the events tagged ${tag}`} onClick={() => onTag(tag)}>
      {shown(tag)}
    </button>
  );
}

function NoteItem({ n, onRemove, onTag }: { n: NoteView; onRemove: () => void; onTag?: (tag: string) => void }) {
  const what = n.kind === 'star' ? '★ starred' : null;
  return (
    <li data-testid="note-item" data-kind={n.kind} data-target={n.target.kind}>
      <span className="muted small">
        {NOTE_TARGET_WORDS[n.target.kind]} · {formatTime(n.at)} · {shown(n.actor)}
      </span>{' '}
      <button type="button" className="pivot" data-testid="note-remove" onClick={onRemove} title="remove (it stays in the case, marked removed, and the custody log says so)">
        remove
      </button>
      {n.kind === 'tag' ? (
        <div>
          tag <Tag tag={n.text} onTag={onTag} testId="note-item-tag" />
        </div>
      ) : what ? (
        <div>{shown(what)}</div>
      ) : (
        <div className="note-text">{shown(n.text)}</div>
      )}
    </li>
  );
}

export function NotesPanel({ trace, onTag }: { trace: TraceView; onTag?: (tag: string) => void }) {
  const notes = useNotes();
  const targets = noteTargets(trace);
  const [chosen, setChosen] = useState<string | null>(null);
  const [tag, setTag] = useState('');
  const [text, setText] = useState('');
  if (!notes || targets.length === 0) return null;
  const target = targets.find((t) => noteKey(t) === chosen) ?? targets[0]!;
  const mine = notes.of(target);
  const keys = new Set(targets.map(noteKey));
  const listed = notes.all.filter((n) => keys.has(noteKey(n.target)));
  const tagOk = TAG_PATTERN.test(tag.trim());
  const addTag = () => {
    if (!tagOk) return;
    void notes.add(target, 'tag', tag.trim());
    setTag('');
  };
  return (
    <section className="notes-panel" data-testid="notes-panel">
      <h3>Star, tag, note</h3>
      <div className="note-targets" role="radiogroup" aria-label="what to annotate">
        {targets.map((t) => (
          <button
            key={noteKey(t)}
            type="button"
            role="radio"
            aria-checked={noteKey(t) === noteKey(target)}
            className={`note-target ${noteKey(t) === noteKey(target) ? 'active' : ''}`}
            data-testid={`note-target-${t.kind}`}
            title={`${NOTE_TARGET_WORDS[t.kind]} ${t.value}`}
            onClick={() => setChosen(noteKey(t))}
          >
            {t.kind === 'event' ? 'this event' : `${t.kind} ${shown(t.value)}`}
          </button>
        ))}
      </div>
      <div className="note-actions">
        <button
          type="button"
          className={`btn small star-btn ${mine.starred ? 'active' : ''}`}
          aria-pressed={mine.starred}
          data-testid="note-star"
          onClick={() => void notes.toggleStar(target)}
          title={mine.starred ? 'remove the star' : `star this ${NOTE_TARGET_WORDS[target.kind]}`}
        >
          {mine.starred ? '★ starred' : '☆ star'}
        </button>
        {mine.tags.map((t) => (
          <Tag key={t} tag={t} onTag={onTag} />
        ))}
        <input
          className="note-tag-input"
          data-testid="note-tag-input"
          placeholder="add a tag"
          value={tag}
          maxLength={64}
          onChange={(e) => setTag(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') addTag();
          }}
          aria-invalid={tag.trim() !== '' && !tagOk}
          title="one word: letters, digits and -_.:/"
        />
        <button type="button" className="btn small" data-testid="note-tag-add" disabled={!tagOk} onClick={addTag}>
          tag
        </button>
      </div>
      <textarea
        className="note-input"
        data-testid="note-text"
        rows={2}
        placeholder={`a note on this ${NOTE_TARGET_WORDS[target.kind]} (kept in the case, logged in the custody log)`}
        value={text}
        maxLength={4000}
        onChange={(e) => setText(e.target.value)}
      />
      <button
        type="button"
        className="btn small"
        data-testid="note-add"
        disabled={text.trim() === ''}
        onClick={() => {
          void notes.add(target, 'note', text);
          setText('');
        }}
      >
        Add note
      </button>
      {notes.error && <div className="err small" data-testid="notes-error">{notes.error}</div>}
      {listed.length > 0 && (
        <ul className="note-list" data-testid="note-list">
          {listed.map((n) => (
            <NoteItem key={n.id} n={n} onRemove={() => void notes.remove(n.id)} onTag={onTag} />
          ))}
        </ul>
      )}
    </section>
  );
}
