/**
 * Freeing an archive member's bytes now, not at the next garbage collection. A member is read into a buffer of its
 * own (sources.ts `readAll`) that can be hundreds of MiB; dropping the last reference leaves it in memory until V8
 * collects it, which a worker busy with its next member may not do for a while, so two members' bytes would be held
 * at once. Transferring the ArrayBuffer into a message port that is then closed detaches it (every view of it reads
 * as empty) and drops its memory when the port's queue is discarded.
 */
import { MessageChannel } from 'node:worker_threads';

/** Detach `bytes`' memory, when the view owns its whole ArrayBuffer (never a slice of Node's shared pool). */
export function discardBytes(bytes: Uint8Array): void {
  const ab = bytes.buffer;
  if (!(ab instanceof ArrayBuffer) || ab.byteLength === 0 || bytes.byteOffset !== 0 || bytes.byteLength !== ab.byteLength) return;
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(ab, [ab]);
  port1.close();
  port2.close();
}
