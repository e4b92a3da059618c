/**
 * The people behind the pod (EKS audit log): whose exec/attach session most plausibly made this call (`actor`,
 * never proven), and who acted on the pod — deploys, execs, log reads, deletes, service-account tokens minted —
 * each with the AWS principal its Kubernetes user resolves to, how sure, why, and the audit event that shows it:
 * opened, it is read from the case (`evidence.audit`) as step evidence is — the record exactly as read, with each
 * file, record index and the file's SHA-256.
 */
import { useContext, useState, type ReactNode } from 'react';
import type { EventFilters, EvidenceRecordView, TraceView } from '../../../shared/api';
import type { PodActorAction } from '../../../shared/attribution';
import { formatTime, shown } from '../model/format';
import { ConfidenceBadge } from './badges';
import { ClientContext, errorText } from './client-context';
import { RawRecord, RecordSources } from './RawRecord';

type Loaded = { state: 'loading' } | { state: 'done'; record: EvidenceRecordView | null } | { state: 'error'; message: string };

/**
 * An audit event by its auditID: read from the case the first time it is opened. `summary` replaces the default
 * line (`label` and the auditID) that opens it.
 */
export function AuditRecord({ auditID, label, summary }: { auditID: string; label: string; summary?: ReactNode }) {
  const client = useContext(ClientContext);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const open = () => {
    if (loaded || !client) return;
    setLoaded({ state: 'loading' });
    client.call('evidence.audit', { auditID }).then(
      (record) => setLoaded({ state: 'done', record }),
      (e: unknown) => setLoaded({ state: 'error', message: errorText(e) }),
    );
  };
  return (
    <details className="record-raw audit-record" data-testid="audit-record" data-audit-id={auditID} onToggle={(e) => e.currentTarget.open && open()}>
      <summary>
        {summary ?? (
          <>
            {label} <span className="mono selectable">{shown(auditID)}</span>
          </>
        )}
      </summary>
      {loaded?.state === 'loading' && <div className="muted small">reading the audit record…</div>}
      {loaded?.state === 'error' && <div className="err small">{loaded.message}</div>}
      {loaded?.state === 'done' && !loaded.record && <div className="warn small">this audit event is not in the case</div>}
      {loaded?.state === 'done' && loaded.record && (
        <div className="hop-record" data-kind="audit" data-record-id={loaded.record.id}>
          <div className="record-title">
            <span className="muted">EKS audit </span>
            <b>{shown(loaded.record.eventName)}</b> {formatTime(loaded.record.eventTime)}
          </div>
          <RecordSources provenance={loaded.record.provenance} />
          <RawRecord raw={loaded.record.raw} fields={[]} testId="audit-record-raw" />
        </div>
      )}
    </details>
  );
}

function Action({ p, onPivot }: { p: PodActorAction; onPivot?: (f: EventFilters) => void }) {
  return (
    <li data-testid="pod-actor" data-action={p.action} data-audit-id={p.auditID}>
      <span className="mono">{formatTime(p.time)}</span> <b>{p.action}</b> <span className="muted">{shown(p.target)}</span>
      <div>
        {shown(p.kubernetesUser)} → <b data-testid="pod-actor-principal">{p.principal ? shown(p.principal) : '—'}</b> <ConfidenceBadge value={p.confidence} />
        {p.principal && onPivot && (
          <button type="button" className="pivot" data-testid="pivot-principal" title="filter the table to this principal's AWS calls, and the calls it made through a pod; the Person tab lists them with their Kubernetes requests, in one timeline" onClick={() => onPivot({ principal: p.principal! })}>
            their calls
          </button>
        )}
      </div>
      <div className="small muted">{shown(p.why)}</div>
      {p.accessKeyId && <div className="mono small muted selectable">key {shown(p.accessKeyId)}</div>}
      <AuditRecord auditID={p.auditID} label="audit" />
    </li>
  );
}

export function PodActors({ trace, onPivot }: { trace: TraceView; onPivot?: (f: EventFilters) => void }) {
  const a = trace.attribution ?? trace.resolution;
  const list = a.podActors ?? [];
  const actor = a.actor ?? null;
  if (!actor && list.length === 0) return null;
  return (
    <section data-testid="pod-actors">
      <h3>People</h3>
      {actor ? (
        <div data-testid="event-actor">
          <b>Actor: {shown(actor.principal)}</b> <ConfidenceBadge value={actor.confidence} />
          <div className="small" data-testid="event-actor-why">{shown(actor.why)}</div>
          <AuditRecord auditID={actor.auditID} label="exec session, audit" />
        </div>
      ) : (
        trace.attribution && <div className="small muted">Actor: none — nothing points to a person making this call.</div>
      )}
      {list.length > 0 && (
        <ul className="notes">
          {list.map((p) => (
            <Action key={`${p.auditID}|${p.action}`} p={p} onPivot={onPivot} />
          ))}
        </ul>
      )}
    </section>
  );
}
