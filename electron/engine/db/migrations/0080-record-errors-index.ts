import type { Database } from 'better-sqlite3';

/**
 * 0080: rejected records by file, in record order. The API answers them a page at a time (`evidence.list` the first
 * of each file, `evidence.recordErrors` the rest): without this index each page would read every rejected record.
 */
export function up(db: Database): void {
  db.exec('CREATE INDEX record_errors_file ON record_errors(file_id, record_index)');
}
