import type { Database } from 'better-sqlite3';
import { createRollupTable, rebuildRollup } from '../../case/rollup';

/** 0070: event counts per subject and facet values, for fast totals in the event table (case/rollup.ts). */
export function up(db: Database): void {
  createRollupTable(db);
  rebuildRollup(db);
}
