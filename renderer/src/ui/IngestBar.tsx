/**
 * Background ingest: start it (`ingest.start`), follow its push events, cancel it (`ingest.cancel`). The bar
 * shows rate and elapsed time; the engine reports no total, so it runs indeterminate and shows no ETA rather
 * than invent one.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { IngestDoneEvent, IngestProgressEvent } from '../../../shared/api';
import { formatBytes, formatCount, progressView } from '../model/format';
import { errorText, useClient } from './client-context';

export interface IngestState {
  jobId: number | null;
  paths: string[];
  progress: IngestProgressEvent | null;
  done: IngestDoneEvent | null;
  error: string | null;
  start(paths: string[]): Promise<void>;
  /** A job the desktop shell started (File → Open Evidence…, a drop on the window). */
  adopt(jobId: number, paths: string[]): void;
  fail(message: string): void;
  cancel(): void;
  dismiss(): void;
}

export function useIngest(onDone: () => void): IngestState {
  const client = useClient();
  const [jobId, setJobId] = useState<number | null>(null);
  const [paths, setPaths] = useState<string[]>([]);
  const [progress, setProgress] = useState<IngestProgressEvent | null>(null);
  const [done, setDone] = useState<IngestDoneEvent | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useRef<number | null>(null);
  const onDoneRef = useRef(onDone);
  useEffect(() => {
    onDoneRef.current = onDone;
  }, [onDone]);

  useEffect(() => {
    const offProgress = client.on('ingest.progress', (p) => {
      if (p.jobId === job.current) setProgress(p);
    });
    const offDone = client.on('ingest.done', (d) => {
      if (d.jobId !== job.current) return;
      job.current = null;
      setJobId(null);
      setDone(d);
      onDoneRef.current();
    });
    return () => {
      offProgress();
      offDone();
    };
  }, [client]);

  const start = useCallback(
    async (p: string[]) => {
      setError(null);
      setDone(null);
      setProgress(null);
      setPaths(p);
      try {
        const r = await client.call('ingest.start', { paths: p });
        job.current = r.jobId;
        setJobId(r.jobId);
      } catch (e) {
        setError(errorText(e));
      }
    },
    [client],
  );

  const adopt = useCallback((id: number, p: string[]) => {
    setError(null);
    setDone(null);
    setProgress(null);
    setPaths(p);
    job.current = id;
    setJobId(id);
  }, []);

  const fail = useCallback((message: string) => setError(message), []);

  const cancel = useCallback(() => {
    if (job.current !== null) client.call('ingest.cancel', { jobId: job.current }).catch((e: unknown) => setError(errorText(e)));
  }, [client]);

  const dismiss = useCallback(() => {
    setDone(null);
    setError(null);
    setProgress(null);
  }, []);

  return { jobId, paths, progress, done, error, start, adopt, fail, cancel, dismiss };
}

export function IngestBar({ state }: { state: IngestState }) {
  const { jobId, progress, done, error } = state;
  if (jobId === null && !done && !error) return null;
  const v = progress ? progressView(progress) : null;
  return (
    <div className="ingest" data-testid="ingest-progress" data-state={jobId !== null ? 'running' : done?.cancelled ? 'cancelled' : done ? (done.ok ? 'done' : 'done-with-errors') : 'error'} role="status" aria-live="polite">
      {jobId !== null && (
        <>
          <span className="ingest-title">Loading evidence</span>
          <div className={`bar ${v?.fraction == null ? 'indeterminate' : ''}`} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={v?.fraction != null ? Math.round(v.fraction * 100) : undefined}>
            <div className="bar-fill" style={v?.fraction != null ? { width: `${v.fraction * 100}%` } : undefined} />
          </div>
          {v ? (
            <span className="ingest-stats">
              <b>{v.records}</b> · {v.rate} · {v.throughput} · {formatBytes(progress!.bytes)} read · {v.files} · elapsed {v.elapsed}
              {v.eta && <> · ETA {v.eta}</>}
              {progress!.currentPath && <span className="muted"> · {progress!.currentPath}</span>}
            </span>
          ) : (
            <span className="ingest-stats muted">starting… ({state.paths.length} path{state.paths.length === 1 ? '' : 's'})</span>
          )}
          <button type="button" className="btn small" onClick={state.cancel}>
            Cancel
          </button>
        </>
      )}
      {jobId === null && done && (
        <>
          <span className={`ingest-title ${done.ok ? 'ok' : 'warn'}`}>{done.cancelled ? 'Ingest cancelled' : done.ok ? 'Evidence loaded' : 'Evidence loaded with errors'}</span>
          <span className="ingest-stats">
            {formatCount(done.loaded)} files · {formatCount(done.newEvents)} new events · {formatCount(done.duplicates)} duplicates
            {done.failed > 0 && <> · <b className="err">{formatCount(done.failed)} failed</b></>}
          </span>
          {done.errors.length > 0 && (
            <details className="ingest-errors">
              <summary>{done.errors.length} error{done.errors.length === 1 ? '' : 's'}</summary>
              <ul>
                {done.errors.map((e, i) => (
                  <li key={i}>
                    <code>{e.path}</code>: {e.message}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <button type="button" className="btn small" onClick={state.dismiss}>
            Dismiss
          </button>
        </>
      )}
      {jobId === null && error && (
        <>
          <span className="ingest-title warn">Ingest failed to start</span>
          <span className="ingest-stats err">{error}</span>
          <button type="button" className="btn small" onClick={state.dismiss}>
            Dismiss
          </button>
        </>
      )}
    </div>
  );
}
