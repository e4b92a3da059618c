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
