/** Real records from the reference material beside the repository (`../shared/data`). */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FactRecord } from '../../electron/engine/chain/model';
import type { JsonObject } from '../../electron/engine/util/json';
import { parseEventTime } from '../../electron/engine/util/time';

export const REPO = resolve(__dirname, '..', '..');
export const SHARED_DATA = resolve(REPO, '..', 'shared', 'data');

export function sharedPath(rel: string): string {
  const p = join(SHARED_DATA, rel);
  if (!existsSync(p)) throw new Error(`reference data missing: ${p} (the tests expect ../shared/data beside the repository)`);
  return p;
}

/** A record file: a bare record, or lookup-events output whose first CloudTrailEvent is the record. */
export function loadRecord(rel: string): JsonObject {
  const parsed = JSON.parse(readFileSync(sharedPath(rel), 'utf8')) as JsonObject;
  const events = parsed.Events as JsonObject[] | undefined;
  if (Array.isArray(events)) return JSON.parse(events[0]!.CloudTrailEvent as string) as JsonObject;
  return parsed;
}

export function fact(record: JsonObject, eventID?: string): FactRecord {
  return {
    eventID: eventID ?? (record.eventID as string | undefined) ?? `test-${String(record.eventName)}-${String(record.eventTime)}`,
    eventMs: parseEventTime(record.eventTime as string),
    record,
  };
}
