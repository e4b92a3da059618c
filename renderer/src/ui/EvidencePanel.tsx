/**
 * The evidence manifest: every file with its format, record counts, SHA-256 (short; full on hover, click to
 * copy) and status, the records that were rejected, and "Add evidence…" (server-side paths; the desktop shell
 * also offers dialogs and drops, which arrive as shell commands).
 */
import { useEffect, useState } from 'react';
import type { EvidenceFileView, EvidenceListing, RecordErrorView } from '../../../shared/api';
import { RECORD_ERROR_PAGE_MAX } from '../../../shared/record-errors';
import { ellipsizeStart, formatBytes, formatCount, shortHash } from '../model/format';
import { errorText, useClient } from './client-context';
import type { IngestState } from './IngestBar';
import { CustodyLog } from './CustodyLog';
import { Coverage, formatWords } from './Coverage';

/** What a file's records are: CloudTrail events (counted as new and duplicate events), or something else. */
function recordWords(f: EvidenceFileView): { unit: string; holdsEvents: boolean } {
  switch (f.format) {
    case 'k8s-audit':
      return { unit: 'audit events', holdsEvents: false };
    case 'k8s-list':
    case 'k8s-object':
      return { unit: 'objects', holdsEvents: false };
    case 'cloudtrail-digest':
      return { unit: 'digest', holdsEvents: false };
    default:
      return { unit: 'records', holdsEvents: true };
  }
}

type Listing = EvidenceListing;

function Hash({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="hash mono"
      title={`${label} ${value} (click to copy)`}
      onClick={() => {
        navigator.clipboard?.writeText(value).then(
          () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1200);
          },
          () => {},
        );
      }}
    >
      {copied ? 'copied' : shortHash(value)}
    </button>
  );
}

/**
 * The rejected records, file by file: each file's count and the first of its records that the listing carries
 * (`evidence.list` sends a few per file, never all); more are asked for a page at a time (`evidence.recordErrors`).
 */
function RejectedRecords({ files, first }: { files: EvidenceFileView[]; first: RecordErrorView[] }) {
  const withErrors = files.filter((f) => f.rejected > 0);
  const total = withErrors.reduce((n, f) => n + f.rejected, 0);
  if (total === 0) return null;
  return (
    <details className="record-errors" open={total <= 5} data-testid="record-errors">
      <summary>
        {formatCount(total)} rejected records{withErrors.length > 1 ? ` in ${formatCount(withErrors.length)} files` : ''}
      </summary>
      {withErrors.map((f) => (
        <FileRejections key={f.id} file={f} first={first.filter((e) => e.fileId === f.id)} />
      ))}
    </details>
  );
}

function FileRejections({ file, first }: { file: EvidenceFileView; first: RecordErrorView[] }) {
  const client = useClient();
  const [more, setMore] = useState<{ recordIndex: number; message: string }[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const shown = first.length + more.length;
  const left = file.rejected - shown;
  const loadMore = () => {
    setLoading(true);
    setError(null);
    client.call('evidence.recordErrors', { fileId: file.id, offset: shown, limit: RECORD_ERROR_PAGE_MAX }).then(
      (page) => {
        setMore((m) => [...m, ...page.errors]);
        setLoading(false);
      },
      (e: unknown) => {
        setError(errorText(e));
        setLoading(false);
      },
    );
  };
  return (
    <div className="record-errors-file" data-testid="record-errors-file" data-file-id={file.id}>
      <div>
        <code title={file.path}>{ellipsizeStart(file.path, 70)}</code>: {formatCount(file.rejected)} rejected
      </div>
      <ul>
        {[...first, ...more].map((r, i) => (
          <li key={i} data-testid="record-error">
            record {r.recordIndex}: {r.message}
          </li>
        ))}
      </ul>
      {left > 0 && (
        <button type="button" className="btn small" disabled={loading} onClick={loadMore} data-testid="record-errors-more">
          {loading ? 'loading…' : `show ${formatCount(Math.min(left, RECORD_ERROR_PAGE_MAX))} more`}
        </button>
      )}
      {left > 0 && (
        <span className="muted small">
          {' '}
          {formatCount(shown)} of {formatCount(file.rejected)} shown
        </span>
      )}
      {error && <span className="err"> {error}</span>}
    </div>
  );
}

export function EvidencePanel({ version, mode, ingest }: { version: number; mode: 'electron' | 'browser'; ingest: IngestState }) {
  const client = useClient();
  const [listing, setListing] = useState<Listing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pathsText, setPathsText] = useState('');

  useEffect(() => {
    let live = true;
    client.call('evidence.list', {}).then(
      (l) => live && setListing(l),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [client, version]);

  const path = pathsText.trim();
  const running = ingest.jobId !== null;

  return (
    <section className="evidence" aria-label="Evidence" data-testid="evidence-panel">
      <div className="evidence-files">
        {error && <div className="err">{error}</div>}
        <Coverage version={version} />
        <table className="grid">
          <thead>
            <tr>
              <th>file</th>
              <th>format</th>
              <th className="num">size</th>
              <th className="num">records</th>
              <th className="num">new</th>
              <th className="num">dup</th>
              <th className="num">conflicts</th>
              <th className="num">rejected</th>
              <th>SHA-256</th>
              <th title="SHA-256 of the decompressed bytes (what CloudTrail digest files hash)">SHA-256 (gunzip)</th>
              <th>status</th>
              <th>error</th>
            </tr>
          </thead>
          <tbody>
            {listing?.files.map((f) => (
              <tr key={f.id} className={f.status === 'failed' ? 'row-failed' : undefined} data-testid="evidence-file">
                <td className="mono path" title={f.path}>
                  {ellipsizeStart(f.path, 72)}
                </td>
                <td title={f.format}>{formatWords(f.format)}</td>
                <td className="num">{formatBytes(f.size)}</td>
                <td className="num" data-testid="evidence-records">
                  {formatCount(f.records)}
                  {!recordWords(f).holdsEvents && <span className="muted small"> {recordWords(f).unit}</span>}
                </td>
                <td className="num" data-testid="evidence-new">
                  {recordWords(f).holdsEvents ? (
                    formatCount(f.newEvents)
                  ) : (
                    <span className="muted" title={`not a CloudTrail event file: its ${recordWords(f).unit} are loaded and counted under records, not as new CloudTrail events`}>
                      n/a
                    </span>
                  )}
                </td>
                <td className="num">{formatCount(f.duplicates)}</td>
                <td className={`num ${f.conflicts ? 'warn' : ''}`}>{formatCount(f.conflicts)}</td>
                <td className={`num ${f.rejected ? 'err' : ''}`}>{formatCount(f.rejected)}</td>
                <td>
                  <Hash value={f.sha256} label="SHA-256 of the file" />
                </td>
                <td>{f.sha256Decompressed ? <Hash value={f.sha256Decompressed} label="SHA-256 of the decompressed bytes" /> : <span className="muted">—</span>}</td>
                <td className={f.status === 'failed' ? 'err' : undefined}>{f.status}</td>
                <td className="err">{f.error}</td>
              </tr>
            ))}
            {listing && listing.files.length === 0 && (
              <tr>
                <td colSpan={12} className="muted">
                  No evidence loaded yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {listing && <RejectedRecords files={listing.files} first={listing.recordErrors} />}
        <CustodyLog version={version} />
      </div>
      <form
        className="add-evidence"
        onSubmit={(e) => {
          e.preventDefault();
          if (path && !running) void ingest.start([path]).then(() => setPathsText(''));
        }}
      >
        <label htmlFor="evidence-path">Add evidence…</label>
        <input
          id="evidence-path"
          type="text"
          data-testid="evidence-path-input"
          spellCheck={false}
          autoComplete="off"
          placeholder={`a file, folder, .zip or .tar.gz on ${mode === 'browser' ? 'the machine running podtrail serve' : 'this machine'}`}
          value={pathsText}
          onChange={(e) => setPathsText(e.target.value)}
        />
        <button type="submit" className="btn primary" disabled={!path || running} data-testid="evidence-add">
          Ingest
        </button>
        {mode === 'electron' && <span className="muted small">or File → Open Evidence…, or drop files on the window</span>}
      </form>
    </section>
  );
}
