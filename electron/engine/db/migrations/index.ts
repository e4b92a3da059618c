import type { Database } from 'better-sqlite3';
import * as m0010 from './0010-initial';
import * as m0020 from './0020-attribution';
import * as m0030 from './0030-kubernetes';
import * as m0040 from './0040-flags';
import * as m0050 from './0050-integrity';
import * as m0060 from './0060-custody';
import * as m0070 from './0070-rollup';
import * as m0080 from './0080-record-errors-index';
import * as m0090 from './0090-compact-store';
import * as m0100 from './0100-notes';
import * as m0110 from './0110-pod-actors';
import * as m0120 from './0120-incremental-correlation';
import * as m0130 from './0130-event-id-summary';
import * as m0140 from './0140-block-filters-apart';
import * as m0150 from './0150-facet-sids';
import * as m0160 from './0160-subjects-token';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

/** Numbered in tens so a fix can slot in between. Each has its own test (test/engine/db/migrations.test.ts). */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 10,
    name: 'evidence store',
    up: (db) => {
      m0010.up(db);
      m0010.indexes(db);
    },
  },
  { version: 20, name: 'attribution', up: m0020.up },
  { version: 30, name: 'kubernetes evidence', up: m0030.up },
  { version: 40, name: 'detections', up: m0040.up },
  { version: 50, name: 'evidence integrity', up: m0050.up },
  { version: 60, name: 'custody log', up: m0060.up },
  { version: 70, name: 'event count rollup', up: m0070.up },
  { version: 80, name: 'record errors by file', up: m0080.up },
  { version: 90, name: 'compact store: raw records in compressed blocks', up: m0090.up },
  { version: 100, name: 'examiner notes', up: m0100.up },
  { version: 110, name: 'pod actors', up: m0110.up },
  { version: 120, name: 'incremental correlation', up: m0120.up },
  { version: 130, name: 'eventID summary for search', up: m0130.up },
  { version: 140, name: 'block filters apart from the blocks', up: m0140.up },
  { version: 150, name: 'facet combination ids in the event rows', up: m0150.up },
  { version: 160, name: "a token for each correlation's subjects", up: m0160.up },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
