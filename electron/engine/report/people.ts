/**
 * The people behind a pod in the reports: the event's `actor` (whose exec session most plausibly made the call)
 * and `podActors` (deploys, execs, log reads, deletes and tokens minted, each with its AWS principal and audit
 * event), as HTML for the event report and as lines for the CSV report and the terminal trace.
 */
import type { AttributionRecord, EventActor, PodActorAction } from '../../../shared/attribution';
import { escapeHtml as e } from './escape';

export function actorWords(a: EventActor | null | undefined): string {
  return a ? `${a.principal} [${a.confidence}] (exec/attach session, audit ${a.auditID}): ${a.why}` : '';
}

export function podActorWords(p: PodActorAction): string {
  return `${p.time} ${p.action} ${p.target} by ${p.kubernetesUser} → ${p.principal ?? '—'} [${p.confidence}] (audit ${p.auditID}${p.accessKeyId ? `, key ${p.accessKeyId}` : ''})`;
}

/** `<h2>People</h2>…`, or '' when no one is known to have acted on the pod. */
export function peopleHtml(a: Pick<AttributionRecord, 'actor' | 'podActors'>): string {
  const list = a.podActors ?? [];
  if (!a.actor && list.length === 0) return '';
  const actor = a.actor
    ? `<div class="warn"><strong>Actor: ${e(a.actor.principal)}</strong> (${e(a.actor.confidence)}, never proven): ${e(a.actor.why)} <span class="muted">audit ${e(a.actor.auditID)}</span></div>`
    : '<p class="muted">Actor: none — nothing points to a person making this call.</p>';
  const rows = list
    .map(
      (p) =>
        `<tr><td>${e(p.time)}</td><td>${e(p.action)}</td><td>${e(p.target)}</td><td>${e(p.kubernetesUser)}</td><td><strong>${e(p.principal ?? '—')}</strong><br><span class="muted">${e(p.why)}</span></td><td>${e(p.confidence)}</td><td><code>${e(p.auditID)}</code></td></tr>`,
    )
    .join('');
  return `<h2>People</h2>
${actor}
${list.length ? `<table><tr><th>time</th><th>action</th><th>on</th><th>Kubernetes user</th><th>AWS principal</th><th>confidence</th><th>audit event</th></tr>${rows}</table>` : ''}`;
}
