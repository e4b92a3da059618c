/** Case name and path, event count, time range, events per mechanism (click one to filter). */
import type { ReactNode } from 'react';
import type { CaseSummary } from '../../../shared/api';
import type { Mechanism } from '../../../shared/attribution';
import { MECHANISMS } from '../../../shared/attribution';
import { formatCount, formatTime } from '../model/format';

export function Header({
  summary,
  mode,
  evidenceOpen,
  onToggleEvidence,
  onMechanism,
  onFlagged,
  children,
}: {
  summary: CaseSummary | null;
  mode: 'electron' | 'browser';
  evidenceOpen: boolean;
  onToggleEvidence: () => void;
  onMechanism: (m: Mechanism) => void;
  /** Filter the table to flagged events (all detections). */
  onFlagged?: () => void;
  children?: ReactNode;
}) {
  // Events, not detections: an event flagged twice counts once (what the "any flagged" filter shows).
  const flagged = summary?.flaggedEvents ?? 0;
  const name = summary ? (summary.casePath.split(/[\\/]/).pop() ?? summary.casePath) : '…';
  return (
    <header className="header">
      <div className="brand">PodTrail</div>
      <div className="case" title={summary?.casePath}>
        <span className="case-name" data-testid="case-name">{name}</span>
        <span className="case-path">{summary?.casePath}</span>
      </div>
      {summary && (
        <>
          <div className="stat">
            <div data-testid="event-count">
              <b>{formatCount(summary.events)}</b> events
            </div>
            <div className="mono small muted" title="first and last event (UTC)">
              {formatRange(summary.firstEventTime, summary.lastEventTime)}
            </div>
          </div>
          <div className="mech-counts">
            {MECHANISMS.filter((m) => summary.byMechanism[m]).map((m) => (
              <button type="button" key={m} className={`mech-count mech-${m}`} onClick={() => onMechanism(m)} title={`show only ${m}`}>
                {m} <b>{formatCount(summary.byMechanism[m]!)}</b>
              </button>
            ))}
          </div>
          {flagged > 0 && (
            <button
              type="button"
              className="flag-count"
              data-testid="flag-count"
              onClick={onFlagged}
              title={`flagged by the detections: ${Object.entries(summary.byFlag)
                .map(([f, n]) => `${f} ${n}`)
                .join(', ')} (click to show them)`}
            >
              ⚑ <b>{formatCount(flagged)}</b> flagged
            </button>
          )}
        </>
      )}
      <div className="header-actions">
        {children}
        <button type="button" className={`btn ${evidenceOpen ? 'active' : ''}`} onClick={onToggleEvidence} aria-expanded={evidenceOpen} data-testid="evidence-toggle">
          Evidence{summary ? ` (${formatCount(summary.evidenceFiles + summary.failedFiles)})` : ''}
          {summary && (summary.failedFiles > 0 || summary.rejectedRecords > 0) && <span className="err-dot" title={`${summary.failedFiles} failed files, ${summary.rejectedRecords} rejected records`} />}
        </button>
        <span className="mode" title={mode === 'browser' ? 'browser mode over loopback HTTP' : 'desktop app'}>
          {mode}
        </span>
      </div>
    </header>
  );
}

/** "2026-03-02 00:00:03 → 05:41:19 UTC" (the date once when both ends share it). */
function formatRange(first: string | null, last: string | null): string {
  if (!first || !last) return 'no events';
  const a = formatTime(first);
  const b = formatTime(last);
  return `${a} → ${a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b} UTC`;
}
