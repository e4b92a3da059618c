/** Compose the contract's attribution record from an event's columns and its credential's resolution. */
import type { AttributionRecord } from '../../../shared/attribution';
import { evidenceOf, type Resolution } from './model';

/** The event columns an attribution record carries. */
export interface EventHead {
  eventID: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  recipientAccountId: string | null;
  awsRegion: string | null;
  sourceIPAddress: string | null;
  accessKeyId: string | null;
}

export function composeAttribution(ev: EventHead, r: Resolution): AttributionRecord {
  return {
    eventID: ev.eventID,
    eventTime: ev.eventTime,
    eventSource: ev.eventSource,
    eventName: ev.eventName,
    recipientAccountId: ev.recipientAccountId,
    awsRegion: ev.awsRegion,
    sourceIPAddress: ev.sourceIPAddress,
    accessKeyId: ev.accessKeyId,
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
    evidence: evidenceOf(r),
    notes: r.notes,
  };
}
