/**
 * The case's chain-of-custody log under the evidence manifest: every ingest, verification and export, who did it
 * and when, with the hash chain re-checked by the engine each time the list is shown.
 */
import { useEffect, useState } from 'react';
import type { CustodyLog as Log } from '../../../shared/api';
import { custodySummary } from '../../../shared/custody';
import { shortHash } from '../model/format';
import { errorText, useClient } from './client-context';

export function CustodyLog({ version }: { version: number }) {
  const client = useClient();
  const [log, setLog] = useState<Log | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);

  useEffect(() => {
    if (!open) return;
    let live = true;
    client.call('custody.log', {}).then(
      (l) => live && setLog(l),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [client, version, open]);

  return (
    <details className="custody" data-testid="custody-log" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>
        Chain of custody
        {log && (
          <>
            {' '}
            — {log.entries.length} entries,{' '}
            {log.check.ok ? (
              <span data-testid="custody-status">hash chain intact</span>
            ) : (
              <strong className="err" data-testid="custody-status">
                hash chain broken
              </strong>
            )}
          </>
        )}
      </summary>
      {error && <div className="err">{error}</div>}
      {log && !log.check.ok && (
        <ul className="err">
          {log.check.problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
      {log && (
        <ol className="custody-entries">
          {log.entries.map((e) => (
            <li key={e.seq} data-testid="custody-entry">
              <div>
                <strong>{e.action}</strong> <span className="mono">{e.at}</span> by <span className="mono">{e.actor}</span>{' '}
                <span className="muted small">PodTrail {e.toolVersion} · entry {shortHash(e.entryHash)}</span>
              </div>
              {custodySummary(e).map((line, i) => (
                <div key={i} className="muted small mono custody-line">
                  {line}
                </div>
              ))}
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}
