/**
 * The case report from the app (`report.case`, the CLI's `report --event … --key …`): the events and whole
 * sessions to cover — the opened event, every starred event, the sessions the examiner annotated or filtered to —
 * the examiner and case id, then HTML, PDF (the shell's printToPDF; the print dialog in a browser) or JSON.
 */
import { useEffect, useRef, useState } from 'react';
import { errorText, useClient } from './client-context';
import { deliverReport } from './download';
import { useNotes } from './notes-context';
import { shown } from '../model/format';

type Format = 'html' | 'pdf' | 'json';

function uniq(xs: (string | null | undefined)[]): string[] {
  return [...new Set(xs.filter((x): x is string => !!x))];
}

export function CaseReportDialog({ eventID, accessKeyId, filterKey, onClose }: { eventID: string | null; accessKeyId: string | null; filterKey: string | null; onClose: () => void }) {
  const client = useClient();
  const notes = useNotes();
  const all = notes?.all ?? [];
  const starredEvents = all.filter((n) => n.target.kind === 'event' && n.kind === 'star').map((n) => n.target.value);
  const eventChoices = uniq([eventID, ...starredEvents]);
  const keyChoices = uniq([accessKeyId, filterKey, ...all.filter((n) => n.target.kind === 'session').map((n) => n.target.value)]);
  const [events, setEvents] = useState<Set<string>>(() => new Set(eventChoices));
  const [keys, setKeys] = useState<Set<string>>(() => new Set(uniq([filterKey])));
  const [examiner, setExaminer] = useState('');
  const [caseId, setCaseId] = useState('');
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    ref.current?.querySelector<HTMLInputElement>('input[type="text"]')?.focus();
    const key = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', key);
    return () => document.removeEventListener('keydown', key);
  }, [onClose]);

  const toggle = (set: Set<string>, v: string, update: (s: Set<string>) => void) => {
    const n = new Set(set);
    if (n.has(v)) n.delete(v);
    else n.add(v);
    update(n);
  };

  const run = async (f: Format) => {
    setBusy(f);
    setError(null);
    try {
      const file = await client.call('report.case', {
        events: [...events],
        keys: [...keys],
        format: f === 'json' ? 'json' : 'html',
        ...(examiner.trim() ? { examiner: examiner.trim() } : {}),
        ...(caseId.trim() ? { caseId: caseId.trim() } : {}),
      });
      await deliverReport(file, f === 'pdf');
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  const empty = events.size === 0 && keys.size === 0;
  return (
    <div className="dialog-backdrop" role="presentation" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-label="Case report" ref={ref} data-testid="case-report-dialog">
        <h2>Case report</h2>
        <p className="muted small">Several events in full and whole credential sessions, with their detections and reasons, your stars, tags and notes, a summary table and the chain; logged in the custody log.</p>
        <div className="dialog-cols">
          <fieldset>
            <legend>Events</legend>
            {eventChoices.length === 0 && <div className="muted small">Open an event, or star some, to list them here.</div>}
            {eventChoices.map((id) => (
              <label key={id} className="check">
                <input type="checkbox" checked={events.has(id)} onChange={() => toggle(events, id, setEvents)} data-testid="case-report-event" data-value={id} />
                <span className="mono">{shown(id)}</span>
                {starredEvents.includes(id) && <span className="star" title="starred"> ★</span>}
                {id === eventID && <span className="muted small"> (selected)</span>}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Whole sessions</legend>
            {keyChoices.length === 0 && <div className="muted small">The selected event’s access key and any session you annotate appear here.</div>}
            {keyChoices.map((k) => (
              <label key={k} className="check">
                <input type="checkbox" checked={keys.has(k)} onChange={() => toggle(keys, k, setKeys)} data-testid="case-report-key" data-value={k} />
                <span className="mono">{shown(k)}</span>
                {k === filterKey && <span className="muted small"> (the table’s filter)</span>}
              </label>
            ))}
          </fieldset>
        </div>
        <div className="dialog-fields">
          <label>
            Examiner
            <input type="text" value={examiner} maxLength={200} onChange={(e) => setExaminer(e.target.value)} placeholder="default: who made the case’s last custody entry" data-testid="case-report-examiner" />
          </label>
          <label>
            Case id
            <input type="text" value={caseId} maxLength={200} onChange={(e) => setCaseId(e.target.value)} placeholder="default: the case file’s name" data-testid="case-report-case-id" />
          </label>
        </div>
        {error && <div className="err" data-testid="case-report-error">{error}</div>}
        <div className="dialog-buttons">
          {(['html', 'pdf', 'json'] as const).map((f) => (
            <button key={f} type="button" className={`btn ${f === 'html' ? 'primary' : ''}`} disabled={busy !== null || empty} onClick={() => void run(f)} data-testid={`case-report-${f}`}>
              {busy === f ? 'working…' : f.toUpperCase()}
            </button>
          ))}
          <span className="spacer" />
          <button type="button" className="btn" onClick={onClose} data-testid="case-report-close">
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
