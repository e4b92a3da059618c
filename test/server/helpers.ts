/** A generated case, a stand-in renderer build, and raw HTTP for the loopback server's tests. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCase } from '../../electron/engine/db/open';
import { ingestEvidence } from '../../electron/engine/ingest/ingest';
import { correlate } from '../../electron/engine/chain/correlate';
import { generateBundle } from '../generator';

export const SECRET = 'TOP-SECRET-OUTSIDE-STATIC-DIR';

export interface World {
  dir: string;
  casePath: string;
  staticDir: string;
}

/** A small generated case (ingested and correlated) plus a fake `renderer/dist` with a secret file beside it. */
export async function buildWorld(events = 600): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'podtrail-server-'));
  const bundle = generateBundle({ outDir: join(dir, 'bundle'), events, seed: 'server-test' }).outDir;
  const casePath = join(dir, 'case.db');
  const db = openCase(casePath);
  try {
    await ingestEvidence(db, [bundle], { workers: 1 });
    correlate(db);
  } finally {
    db.close();
  }
  const staticDir = join(dir, 'ui');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>PodTrail</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("app")');
  writeFileSync(join(staticDir, 'assets', 'app.css'), 'body{}');
  writeFileSync(join(staticDir, '.env'), SECRET);
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  symlinkSync(join(dir, 'secret.txt'), join(staticDir, 'assets', 'link.txt'));
  return { dir, casePath, staticDir };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request written byte for byte to the socket, so paths reach the server exactly as given (fetch and
 * http.request normalise or refuse `..`, backslashes and NUL before sending).
 */
export function rawRequest(port: number, path: string, extraHeaders: Record<string, string | null> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine?.split(' ')[1] ?? 0), headers, body: split < 0 ? '' : text.slice(split + 4) });
    });
    // A header given as null is left out (e.g. a request without Host).
    const headers = { Host: `127.0.0.1:${port}`, Connection: 'close', ...extraHeaders };
    const lines = Object.entries(headers).filter((e): e is [string, string] => e[1] !== null);
    socket.write(`${method} ${path} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1');
  });
}
