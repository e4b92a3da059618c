import type { Confidence, Flag, Mechanism } from '../../../shared/attribution';
import type { EventRowView } from '../../../shared/api';

/** Row shapes of the `events` table as queries read them (column names as in migration 0010). */
export interface EventBaseRow {
  id: number;
  event_id: string;
  event_time: string;
  event_source: string;
  event_name: string;
  recipient_account_id: string | null;
  aws_region: string | null;
  source_ip: string | null;
  access_key_id: string | null;
}

/** An event row joined with its attribution subject and detections (the event table's, the case report's). */
export interface AttributedRow extends EventBaseRow {
  error_code: string | null;
  mechanism: Mechanism;
  cluster_name: string | null;
  namespace: string | null;
  service_account: string | null;
  pod_name: string | null;
  node_instance: string | null;
  conf_identity: Confidence;
  conf_pod: Confidence;
  conf_node: Confidence;
  /** The event's detections, comma-separated (group_concat). */
  flags: string | null;
}

/** The columns an event row shows, in the API's words; `orderFlags` puts the detections in the caller's order. */
export function attributedRowView(r: AttributedRow, orderFlags: (flags: Flag[]) => Flag[]): Omit<EventRowView, 'rowid' | 'fields'> {
  return {
    eventID: r.event_id,
    eventTime: r.event_time,
    eventSource: r.event_source,
    eventName: r.event_name,
    account: r.recipient_account_id,
    region: r.aws_region,
    sourceIp: r.source_ip,
    errorCode: r.error_code,
    accessKeyId: r.access_key_id,
    mechanism: r.mechanism,
    cluster: r.cluster_name,
    namespace: r.namespace,
    serviceAccount: r.service_account,
    pod: r.pod_name,
    node: r.node_instance,
    confidence: { identity: r.conf_identity, pod: r.conf_pod, node: r.conf_node },
    flags: r.flags ? orderFlags(r.flags.split(',') as Flag[]) : [],
  };
}
