/**
 * `podtrail serve`: start the engine host on a case, serve the UI on 127.0.0.1, print the tokened URL on stdout,
 * and run until SIGINT or SIGTERM, then shut both down.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHost } from '../engine/service/host';
import { rendererDistDir } from './paths';
import { startServer } from './server';

export class ServeUsageError extends Error {}

export interface ServeOptions {
  casePath: string;
  port?: number;
  staticDir?: string;
  /** Resolves to stop the server (default: the first SIGINT or SIGTERM). */
  until?: Promise<unknown>;
}

/**
 * The first SIGINT or SIGTERM. Later ones are swallowed while shutdown runs (it takes milliseconds): Ctrl+C in a
 * terminal reaches both `npm start` and this process, and the copy `npm start` forwards must not cut it short.
 */
function signalled(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    let first: NodeJS.Signals | null = null;
    const on = (s: NodeJS.Signals) => {
      if (first) return;
      first = s;
      resolveSignal(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function serveCase(opts: ServeOptions): Promise<void> {
  const staticDir = opts.staticDir ?? rendererDistDir();
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new ServeUsageError(`the desktop UI is not built (no ${join(staticDir, 'index.html')}): run \`npm run build\` first`);
  }
  const host = EngineHost.start(opts.casePath);
  let server;
  try {
    server = await startServer({ casePath: opts.casePath, port: opts.port, host, staticDir });
  } catch (err) {
    await host.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new ServeUsageError(`port ${opts.port} is already in use`);
    throw err;
  }
  process.stdout.write(`${server.url}\n`);
  process.stderr.write(`podtrail: serving ${opts.casePath} at ${server.origin} (only this machine; the token in the URL is the key). Ctrl+C stops.\n`);
  const why = await (opts.until ?? signalled());
  process.stderr.write(`podtrail: ${typeof why === 'string' ? why : 'stop'}: shutting down\n`);
  await server.close();
  await host.close();
}
