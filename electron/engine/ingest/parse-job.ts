/**
 * One parse job, independent of where it runs (a worker thread, or in-process when workers are off).
 * Rows go out in batches and the job waits for each batch to be written before reading on, so memory stays
 * bounded by one batch per job whatever the file size.
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

export async function runParseJob(
  jobId: number,
  source: ByteSource,
  loadedHashes: string[],
  send: (msg: FromWorker) => void,
  waitAck: () => Promise<void>,
): Promise<void> {
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
        // Wait for the writer only between batches: the last one is followed by 'done', and the worker can
        // start its next file meanwhile.
        if (!last) await waitAck();
      },
      audits: async (rows) => {
        send({ type: 'audits', jobId, rows });
        await waitAck();
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
