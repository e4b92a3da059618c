/**
 * The people behind the pod (EKS audit log): whose exec/attach session most plausibly made this call (`actor`,
 * never proven), and who acted on the pod — deploys, execs, log reads, deletes, service-account tokens minted —
 * each with the AWS principal its Kubernetes user resolves to, how sure, why, and the audit event that shows it.
 */
import type { EventFilters, TraceView } from '../../../shared/api';
import type { PodActorAction } from '../../../shared/attribution';
import { formatTime, shown } from '../model/format';
import { ConfidenceBadge } from './badges';

function Action({ p, onPivot }: { p: PodActorAction; onPivot?: (f: EventFilters) => void }) {
  return (
    <li data-testid="pod-actor" data-action={p.action}>
      <span className="mono">{formatTime(p.time)}</span> <b>{p.action}</b> <span className="muted">{shown(p.target)}</span>
      <div>
        {shown(p.kubernetesUser)} → <b>{p.principal ? shown(p.principal) : '—'}</b> <ConfidenceBadge value={p.confidence} />
        {p.principal && onPivot && (
          <button type="button" className="pivot" data-testid="pivot-principal" title="filter the table to this principal's AWS calls, and the calls it made through a pod" onClick={() => onPivot({ principal: p.principal! })}>
            their calls
          </button>
        )}
      </div>
      <div className="small muted">{shown(p.why)}</div>
      <div className="mono small muted selectable">
        audit {shown(p.auditID)}
        {p.accessKeyId ? ` · key ${shown(p.accessKeyId)}` : ''}
      </div>
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
          <div className="small">{shown(actor.why)}</div>
          <div className="mono small muted selectable">exec session, audit {shown(actor.auditID)}</div>
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
