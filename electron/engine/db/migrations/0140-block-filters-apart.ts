import type { Database } from 'better-sqlite3';

/**
 * 0140: the search's block filters in a table of their own. In `raw_blocks` a filter follows its block's compressed
 * bytes in the row (~30 KiB, on overflow pages), so reading every filter when a search first runs read the whole
 * raw text of the case: 0.6 s at 1M events from a cold page cache, blocking the reader's other answers. Here they
 * are 18 MB at 1M. Every block has a row (`filter` NULL: the block is never skipped); the writer puts the filter
 * here and NULL in `raw_blocks.filter`. An existing case's filters are copied (they stay in `raw_blocks` too:
 * clearing them there would rewrite every block).
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE raw_block_filters (
      block  INTEGER PRIMARY KEY REFERENCES raw_blocks(id),
      -- what free-text search may skip the block by (ingest/block-filter.ts); NULL: never skipped
      filter BLOB
    ) STRICT;
    INSERT INTO raw_block_filters (block, filter) SELECT id, filter FROM raw_blocks ORDER BY id;`);
}
