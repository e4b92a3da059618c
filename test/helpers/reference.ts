/**
 * Real reference records kept in the repository (`test/fixtures/reference/`; where each comes from and its
 * licence: `test/fixtures/reference/SOURCES.md`).
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FactRecord } from '../../electron/engine/chain/model';
import type { JsonObject } from '../../electron/engine/util/json';
import { parseEventTime } from '../../electron/engine/util/time';

export const REPO = resolve(__dirname, '..', '..');
export const REFERENCE = join(REPO, 'test', 'fixtures', 'reference');

/** The absolute path of a reference file or folder, e.g. `referencePath('seed-examples/000-01-GetSecretValue.json')`. */
export function referencePath(rel: string): string {
  const p = join(REFERENCE, rel);
  if (!existsSync(p)) throw new Error(`reference data missing: ${p} (add it to test/fixtures/reference/ and SOURCES.md)`);
  return p;
}

/** A record file: a bare record, or lookup-events output whose first CloudTrailEvent is the record. */
export function loadRecord(rel: string): JsonObject {
  const parsed = JSON.parse(readFileSync(referencePath(rel), 'utf8')) as JsonObject;
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
