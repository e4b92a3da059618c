/**
 * The export menu. The report of the selected event: HTML, JSON, CSV (`report.export`, saved through a Blob), or
 * PDF (the shell's printToPDF under Electron; in a browser, the HTML report in a new window and the print dialog).
 * The filtered table: every event under the current filters (not one page) as CSV, JSON Lines or Timesketch JSONL,
 * read chunk by chunk (`events.export`) into a Blob of parts, so neither side holds the export as one string; the
 * engine logs the finished export in the custody log.
 */
import { useEffect, useRef, useState } from 'react';
import type { EventFilters, ReportFormat, TableExportFormat } from '../../../shared/api';
import { cleanFilters } from '../model/query';
import { formatCount } from '../model/format';
import { errorText, useClient } from './client-context';
import { deliverReport, saveBlob } from './download';

type Format = ReportFormat | 'pdf';
const FORMATS: { id: Format; label: string; hint: string }[] = [
  { id: 'html', label: 'HTML', hint: 'self-contained report' },
  { id: 'pdf', label: 'PDF', hint: 'print the HTML report' },
  { id: 'json', label: 'JSON', hint: 'report model, machine-readable' },
  { id: 'csv', label: 'CSV', hint: 'one row per hop' },
];

const TABLE_FORMATS: { id: TableExportFormat; label: string; hint: string }[] = [
  { id: 'csv', label: 'CSV', hint: 'one row per event, with its flags' },
  { id: 'jsonl', label: 'JSONL', hint: 'the attribution record of each event' },
  { id: 'timesketch', label: 'Timesketch', hint: 'JSONL for a Timesketch import' },
];

/** A table export under way: how far it is, and how to stop it. */
interface TableJob {
  format: TableExportFormat;
  events: number;
  total: number | null;
  cancelled: boolean;
}

export function ExportMenu({
  eventID,
  open,
  onOpenChange,
  filters,
  total,
  onCaseReport,
}: {
  eventID: string | null;
  open: boolean;
  onOpenChange: (o: boolean) => void;
  /** Open the case report dialog (several events and sessions). */
  onCaseReport?: () => void;
  /** The table's filters: what a table export covers. */
  filters: EventFilters;
  /** The table's total under those filters (null while counting). */
  total: number | null;
}) {
  const client = useClient();
  const [job, setJob] = useState<TableJob | null>(null);
  const [tableError, setTableError] = useState<string | null>(null);
  const jobRef = useRef<TableJob | null>(null);

  const exportTable = async (format: TableExportFormat) => {
    if (jobRef.current) return;
    const mine: TableJob = { format, events: 0, total, cancelled: false };
    jobRef.current = mine;
    setJob({ ...mine });
    setTableError(null);
    onOpenChange(false);
    let exportId: string | null = null;
    try {
      let chunk = await client.call('events.export', { filters: cleanFilters(filters), format });
      exportId = chunk.exportId;
      const parts: Blob[] = [];
      for (;;) {
        // Each chunk becomes a Blob at once: the browser may keep large blobs on disk, the string is dropped.
        if (chunk.body) parts.push(new Blob([chunk.body]));
        mine.events = chunk.events;
        setJob({ ...mine });
        if (chunk.done) break;
        if (mine.cancelled) {
          await client.call('events.export', { exportId, cancel: true }).catch(() => {});
          return;
        }
        chunk = await client.call('events.export', { exportId });
      }
      saveBlob(chunk.filename, new Blob(parts, { type: `${chunk.mime};charset=utf-8` }));
    } catch (e) {
      setTableError(errorText(e));
      onOpenChange(true);
    } finally {
      jobRef.current = null;
      setJob(null);
    }
  };

  const label = job ? `Exporting ${formatCount(job.events)}${job.total !== null ? ` / ${formatCount(job.total)}` : ''}…` : 'Export ▾';
  return (
    <div className="export">
      <button
        type="button"
        className="btn"
        data-testid="export-report"
        data-exporting={job ? 'true' : undefined}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => onOpenChange(!open)}
        title="export the report of the selected event, or the filtered table (e)"
      >
        {label}
      </button>
      {open && (
        <Menu
          eventID={eventID}
          total={total}
          job={job}
          tableError={tableError}
          onTable={(f) => void exportTable(f)}
          onCancelTable={() => {
            if (jobRef.current) jobRef.current.cancelled = true;
            onOpenChange(false);
          }}
          onClose={() => onOpenChange(false)}
          onCaseReport={
            onCaseReport
              ? () => {
                  onOpenChange(false);
                  onCaseReport();
                }
              : undefined
          }
        />
      )}
    </div>
  );
}

/** Mounted while open: its error and busy state start fresh each time. */
function Menu({
  eventID,
  total,
  job,
  tableError,
  onTable,
  onCancelTable,
  onClose,
  onCaseReport,
}: {
  onCaseReport?: () => void;
  eventID: string | null;
  total: number | null;
  job: TableJob | null;
  tableError: string | null;
  onTable: (f: TableExportFormat) => void;
  onCancelTable: () => void;
  onClose: () => void;
}) {
  const client = useClient();
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<string | null>(null);
  const menu = useRef<HTMLDivElement>(null);
  const closeRef = useRef(onClose);
  useEffect(() => {
    closeRef.current = onClose;
  }, [onClose]);

  useEffect(() => {
    menu.current?.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
    const close = (e: MouseEvent) => {
      if (!menu.current?.parentElement?.contains(e.target as Node)) closeRef.current();
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, []);

  const run = async (f: Format) => {
    if (!eventID) return;
    setBusy(f);
    setError(null);
    try {
      const file = await client.call('report.export', { eventID, format: f === 'pdf' ? 'html' : f });
      await deliverReport(file, f === 'pdf');
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  const events = total === null ? 'the filtered events' : `${formatCount(total)} event${total === 1 ? '' : 's'}`;
  return (
    <div className="menu" role="menu" ref={menu} data-testid="export-menu">
      <div className="menu-head" role="presentation">
        Report of the selected event{!eventID && <span className="muted"> — select an event first</span>}
      </div>
      {FORMATS.map((f) => (
        <button key={f.id} type="button" role="menuitem" className="menu-item" data-testid={`export-${f.id}`} disabled={busy !== null || !eventID} onClick={() => void run(f.id)}>
          <b>{f.label}</b> <span className="muted">{busy === f.id ? 'working…' : f.hint}</span>
        </button>
      ))}
      {error && <div className="err pad">{error}</div>}
      {onCaseReport && (
        <>
          <div className="menu-head" role="presentation">
            Case report
          </div>
          <button type="button" role="menuitem" className="menu-item wide" data-testid="export-case-report" onClick={onCaseReport}>
            <b>Case report…</b> <span className="muted">several events and whole sessions, with notes</span>
          </button>
        </>
      )}
      <div className="menu-head" role="presentation" data-testid="export-table-head">
        Filtered table: {events}
      </div>
      {TABLE_FORMATS.map((f) => (
        <button key={f.id} type="button" role="menuitem" className="menu-item wide" data-testid={`export-table-${f.id}`} disabled={job !== null || total === 0} onClick={() => onTable(f.id)}>
          <b>{f.label}</b> <span className="muted">{job?.format === f.id ? `exporting ${formatCount(job.events)}…` : f.hint}</span>
        </button>
      ))}
      {job && (
        <button type="button" role="menuitem" className="menu-item" data-testid="export-table-cancel" onClick={onCancelTable}>
          <b>Stop</b> <span className="muted">cancel the table export</span>
        </button>
      )}
      {tableError && <div className="err pad" data-testid="export-table-error">{tableError}</div>}
    </div>
  );
}
