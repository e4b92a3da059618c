/**
 * Evidence integrity: the latest `verify` of the case — its verdict in the words of what it proves, what it does
 * not prove, the digest chains, each digest and each file with its status, and every failure and gap — and a
 * button to verify again, optionally with `list-public-keys` output per region. File names and S3 keys come from
 * the evidence: rendered as text only.
 */
import { useEffect, useState } from 'react';
import type { IntegrityView } from '../../../shared/api';
import { fileStatusWords, type Finding } from '../../../shared/integrity';
import { findingsOf, orderedFiles, parseKeyLists, verdictTone } from '../model/integrity';
import { ellipsizeStart, formatCount, formatTime } from '../model/format';
import { errorText, useClient } from './client-context';

const MAX_ROWS = 1000;

function Findings({ title, list, kind }: { title: string; list: Finding[]; kind: Finding['severity'] }) {
  if (list.length === 0) return null;
  return (
    <details className={`integrity-findings ${kind}`} open={kind !== 'note'}>
      <summary>
        {title} ({formatCount(list.length)})
      </summary>
      <ul>
        {list.slice(0, MAX_ROWS).map((f, i) => (
          <li key={i} data-testid={`integrity-${kind}`} data-kind={f.kind}>
            <span className="mono small">[{f.kind}]</span> {f.message}
          </li>
        ))}
      </ul>
    </details>
  );
}

export function IntegrityPanel({ version }: { version: number }) {
  const client = useClient();
  const [view, setView] = useState<IntegrityView | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [keysText, setKeysText] = useState('');
  const [running, setRunning] = useState(false);

  useEffect(() => {
    let live = true;
    client.call('integrity.get', {}).then(
      (v) => live && setView(v),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [client, version]);

  const keys = parseKeyLists(keysText);
  const verify = () => {
    if (keys.error) return;
    setRunning(true);
    setError(null);
    client
      .call('integrity.verify', keys.lists.length ? { publicKeys: keys.lists } : {})
      .then(
        (v) => setView(v),
        (e: unknown) => setError(errorText(e)),
      )
      .finally(() => setRunning(false));
  };

  const r = view?.result;
  return (
    <section className="integrity" aria-label="Evidence integrity" data-testid="integrity-panel">
      <div className="integrity-main">
        {error && <div className="err">{error}</div>}
        {view === null && <p data-testid="integrity-headline">Not verified yet: verify the case against its CloudTrail digest files.</p>}
        {r && view && (
          <>
            <p className={`integrity-verdict tone-${verdictTone(r.verdict)}`}>
              <strong data-testid="integrity-headline">{r.headline}</strong>{' '}
              <span className="muted small">
                verified {formatTime(view.verifiedAt)} UTC (run #{view.runId})
              </span>
            </p>
            {view.newerFiles > 0 && (
              <p className="warn" data-testid="integrity-stale">
                {formatCount(view.newerFiles)} evidence files were added after this verification: it says nothing about them. Verify again.
              </p>
            )}
            <div className="integrity-claims">
              <div>
                <h4>Proven</h4>
                <ul data-testid="integrity-proves">{r.proves.length ? r.proves.map((p, i) => <li key={i}>{p}</li>) : <li>nothing</li>}</ul>
              </div>
              <div>
                <h4>Not proven</h4>
                <ul data-testid="integrity-not-proven">
                  {r.doesNotProve.map((p, i) => (
                    <li key={i}>{p}</li>
                  ))}
                </ul>
              </div>
            </div>
            <Findings title="Failures" list={findingsOf(r, 'failure')} kind="failure" />
            <Findings title="Gaps" list={findingsOf(r, 'gap')} kind="gap" />
            <Findings title="Notes" list={findingsOf(r, 'note')} kind="note" />
            {r.streams.map((s) => (
              <p key={s.label} className="small" data-testid="integrity-stream">
                <b>{s.label}</b>: {formatCount(s.digests)} digests, {formatTime(s.firstStart)} → {formatTime(s.lastEnd)} UTC;{' '}
                {s.authenticatedTo ? `authenticated to ${formatTime(s.authenticatedTo)} UTC` : 'not authenticated'}
              </p>
            ))}
            <details className="integrity-table">
              <summary>
                Digests ({formatCount(r.counts.digests)}: {formatCount(r.counts.digestsAuthenticated)} authenticated, {formatCount(r.counts.digestsFailed)} failed,{' '}
                {formatCount(r.counts.digestsMissing)} missing)
              </summary>
              <table className="grid">
                <thead>
                  <tr>
                    <th>trail stream</th>
                    <th>covers (UTC)</th>
                    <th>chain</th>
                    <th>signature</th>
                    <th>status</th>
                    <th>file</th>
                  </tr>
                </thead>
                <tbody>
                  {r.digests.slice(0, MAX_ROWS).map((d) => (
                    <tr key={d.fileId} data-testid="integrity-digest" data-status={d.status}>
                      <td>{d.stream}</td>
                      <td className="mono">
                        {formatTime(d.startTime)} → {formatTime(d.endTime).slice(11)}
                        {d.backfill ? ' (backfill)' : ''}
                      </td>
                      <td>{d.chain}</td>
                      <td>{d.signature}</td>
                      <td className={d.status === 'failed' ? 'err' : undefined} title={d.detail}>
                        {fileStatusWords(d.status)}
                      </td>
                      <td className="mono path" title={d.path}>
                        {ellipsizeStart(d.path, 64)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
            <details className="integrity-table">
              <summary>
                Files ({formatCount(r.counts.logFiles)} log files: {formatCount(r.counts.logsAuthenticated)} authenticated, {formatCount(r.counts.logsConsistent)} consistent,{' '}
                {formatCount(r.counts.logsFailed)} failed, {formatCount(r.counts.logsNotCovered)} not covered; {formatCount(r.counts.logsMissing)} listed but missing)
              </summary>
              <table className="grid">
                <thead>
                  <tr>
                    <th>file</th>
                    <th>role</th>
                    <th>status</th>
                    <th>why</th>
                  </tr>
                </thead>
                <tbody>
                  {orderedFiles(r)
                    .slice(0, MAX_ROWS)
                    .map((f) => (
                      <tr key={f.fileId} data-testid="integrity-file" data-status={f.status}>
                        <td className="mono path" title={f.path}>
                          {ellipsizeStart(f.path, 64)}
                        </td>
                        <td>{f.role}</td>
                        <td className={f.status === 'failed' ? 'err' : undefined}>{fileStatusWords(f.status)}</td>
                        <td className="small">{f.detail}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
              {r.files.length > MAX_ROWS && <p className="muted small">… {formatCount(r.files.length - MAX_ROWS)} more (podtrail verify --json lists all)</p>}
            </details>
          </>
        )}
      </div>
      <form
        className="integrity-run"
        onSubmit={(e) => {
          e.preventDefault();
          if (!running) verify();
        }}
      >
        <label htmlFor="integrity-keys">CloudTrail public keys (optional)</label>
        <textarea
          id="integrity-keys"
          data-testid="integrity-keys"
          rows={2}
          spellCheck={false}
          placeholder="us-east-1=/path/to/list-public-keys.json (one region per line)"
          value={keysText}
          onChange={(e) => setKeysText(e.target.value)}
        />
        {keys.error && <span className="err small">{keys.error}</span>}
        <span className="muted small">Key lists in the case (a path naming the region) are used too.</span>
        <button type="submit" className="btn primary" disabled={running || !!keys.error} data-testid="integrity-verify">
          {running ? 'Verifying…' : view ? 'Verify again' : 'Verify'}
        </button>
      </form>
    </section>
  );
}
