/** Compose the contract's attribution record from an event's columns and its credential's resolution. */
import type { AttributionRecord, EventHead } from '../../../shared/attribution';

export type { EventHead };
import { evidenceOf, type Resolution } from './model';

export function composeAttribution(ev: EventHead, r: Resolution): AttributionRecord {
  return {
    ...ev,
    mechanism: r.mechanism,
    chained: r.chained,
    chain: r.chain,
    principal: r.principal,
    cluster: r.cluster,
    namespace: r.namespace,
    serviceAccount: r.serviceAccount,
    pod: r.pod,
    node: r.node,
    confidence: r.confidence,
    candidates: r.candidates,
    ...(r.ruledOut?.length ? { ruledOut: r.ruledOut } : {}),
    podActors: r.podActors ?? [],
    actor: r.actor ?? null,
    evidence: evidenceOf(r),
    notes: r.notes,
  };
}
