/**
 * The evidence manifest: every file with its format, record counts, SHA-256 (short; full on hover, click to
 * copy) and status, the records that were rejected, and "Add evidence…" (server-side paths; the desktop shell
 * also offers dialogs and drops, which arrive as shell commands).
 */
import { useEffect, useState } from 'react';
import type { EvidenceFileView } from '../../../shared/api';
import { ellipsizeStart, formatBytes, formatCount, shortHash } from '../model/format';
import { errorText, useClient } from './client-context';
import type { IngestState } from './IngestBar';
import { CustodyLog } from './CustodyLog';

type Listing = { files: EvidenceFileView[]; recordErrors: { path: string; recordIndex: number; message: string }[] };

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
                <td>{f.format}</td>
                <td className="num">{formatBytes(f.size)}</td>
                <td className="num">{formatCount(f.records)}</td>
                <td className="num">{formatCount(f.newEvents)}</td>
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
        {listing && listing.recordErrors.length > 0 && (
          <details className="record-errors" open={listing.recordErrors.length <= 5}>
            <summary>{formatCount(listing.recordErrors.length)} rejected records</summary>
            <ul>
              {listing.recordErrors.slice(0, 500).map((r, i) => (
                <li key={i}>
                  <code title={r.path}>{ellipsizeStart(r.path, 70)}</code> record {r.recordIndex}: {r.message}
                </li>
              ))}
            </ul>
          </details>
        )}
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
