/**
 * One parse job, independent of where it runs (a worker thread, or in-process when workers are off).
 * Rows go out in batches, and the job reads on while at most `batchesAhead` of them wait to be written, so memory
 * stays bounded by a few batches per job whatever the file size.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parseEvidence, EvidenceError, type ByteSource, type ParseResult } from './parse-file';
import type { FromWorker } from './protocol';
import { packRows } from './raw-blocks';
import { toWire } from './row-wire';

/** Size and SHA-256 of the raw bytes. */
async function rawFacts(source: ByteSource): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  if ('bytes' in source) return { size: source.bytes.length, sha256: hash.update(source.bytes).digest('hex') };
  let size = 0;
  for await (const chunk of createReadStream(source.path, { highWaterMark: 1024 * 1024 })) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * Batches a job of a bulk load may have sent and the writer not yet stored while it parses on (past them, it waits for
 * the oldest; a load into a case that holds many events sends none ahead: ingest.ts `batchesAheadFor`).
 * The writer stores files in order, one at a time. Until 2026-12-06 a job waited for each batch before reading on: a
 * worker parsing the file after the one being written sent its first batch and waited until the other worker had
 * parsed the rest of that file and the writer had stored it. Each of the two workers of a 1M-event load waited 4.3–5.4
 * s so, while one core parsed; with one, three or seven batches ahead, never, and the load took 26.3–26.9 s against
 * 29.5–30.0 s (docs/benchmarks.md). A batch in flight is about a megabyte (its compressed blocks and row columns).
 */
export const BATCHES_AHEAD = 2;

export async function runParseJob(
  jobId: number,
  source: ByteSource,
  loadedHashes: string[],
  send: (msg: FromWorker) => void,
  waitAck: () => Promise<void>,
  batchesAhead: number,
): Promise<void> {
  // The acknowledgements still awaited, oldest first (one per batch sent: they come in the order of the batches).
  const unacked: Promise<void>[] = [];
  const sent = async (last: boolean): Promise<void> => {
    unacked.push(waitAck());
    // The last batch is followed by 'done', and the worker starts its next file meanwhile.
    if (!last && unacked.length > batchesAhead) await unacked.shift();
  };
  try {
    if (loadedHashes.length > 0) {
      const { sha256 } = await rawFacts(source);
      if (loadedHashes.includes(sha256)) {
        send({ type: 'skipped', jobId, sha256 });
        return;
      }
    }
    const result = await parseEvidence(source, {
      rows: async (rows, last) => {
        // The raw texts are compressed here, on the parse worker's core, not by the writer.
        send({ type: 'rows', jobId, batch: toWire(packRows(rows)) });
        await sent(last);
      },
      audits: async (rows) => {
        send({ type: 'audits', jobId, rows });
        await sent(false);
      },
    });
    send({ type: 'done', jobId, result });
  } catch (err) {
    const message = err instanceof EvidenceError ? err.message : `internal error: ${(err as Error).stack ?? String(err)}`;
    // The manifest row of an unreadable file still records which bytes were refused (when they can be read).
    let facts: Partial<ParseResult> = {};
    try {
      facts = await rawFacts(source);
    } catch {
      // unreadable (missing, permissions): no hash to record
    }
    send({ type: 'failed', jobId, error: message, facts });
  }
}
