/**
 * Browser mode: the API table over a loopback HTTP server, for when the UI runs in a plain browser instead of
 * Electron. `POST /api/<name>` with a JSON body calls the engine; `GET /api/events` streams its push events as
 * Server-Sent Events; everything else is a file of the built renderer.
 *
 * Who may call: only a client holding the random access token printed for the user (`Authorization: Bearer`,
 * or `?token=` on the event stream, which EventSource cannot give headers). Other pages the user has open can
 * reach 127.0.0.1 too, so: no CORS headers at all (a cross-origin page can neither send the Authorization
 * header nor read a response), and a Host check so a DNS-rebound name cannot pass for us.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isApiName, type ApiResult, type PushEvents, type PushName } from '../../shared/api';
import { SECURITY_HEADERS, bearerToken, newToken, tokenMatches } from './security';
import { readStaticFile } from './static-files';
import { exceedsDepth, MAX_INPUT_DEPTH, tooDeep } from '../engine/service/validate-input';

/** The engine as the server sees it: an EngineHost (electron/engine/service/host.ts) or anything shaped like one. */
export interface ApiHost {
  call(name: string, input: unknown): Promise<ApiResult<unknown>>;
  onPush(listener: (name: PushName, payload: PushEvents[PushName]) => void): () => void;
}

export interface ServerOptions {
  /** The case the host has open (shown to the user; the host already has it open). */
  casePath: string;
  /** 0 or absent: a free port chosen by the OS. */
  port?: number;
  host: ApiHost;
  /** The built renderer (`renderer/dist`). */
  staticDir: string;
  /** Bind address. Only loopback is accepted; the option exists so that a wrong value fails loudly. */
  bind?: string;
  /** Largest accepted request body (default 1 MiB). */
  maxBodyBytes?: number;
}

export interface RunningServer {
  /** What to open: `http://127.0.0.1:<port>/?token=<token>`. */
  url: string;
  origin: string;
  port: number;
  token: string;
  casePath: string;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 1024 * 1024;
const LOOPBACK = '127.0.0.1';
const SSE_PING_MS = 15_000;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string | number> = {}, head = false): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(head ? undefined : body);
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string | number> = {}): void {
  send(res, status, `${text}\n`, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
}

function sendResult(res: ServerResponse, status: number, result: ApiResult<unknown>): void {
  send(res, status, JSON.stringify(result), { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
}

const badInput = (message: string): ApiResult<never> => ({ ok: false, error: { code: 'bad-input', message } });

const tooLarge = (cap: number) => `request body too large: the limit is ${cap} bytes`;

/** The request body, refusing more than `cap` bytes (by Content-Length up front, or while it streams in). */
function readBody(req: IncomingMessage, cap: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > cap) return Promise.reject(new HttpError(413, tooLarge(cap)));
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > cap) {
        over = true;
        chunks.length = 0;
        reject(new HttpError(413, tooLarge(cap)));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolvePromise(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const bind = opts.bind ?? LOOPBACK;
  if (bind !== LOOPBACK) throw new Error(`refusing to listen on ${bind}: the PodTrail server only listens on ${LOOPBACK}`);
  const token = newToken();
  const cap = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const streams = new Set<ServerResponse>();
  let allowedHosts = new Set<string>();

  async function callApi(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') return sendText(res, 405, 'use POST', { Allow: 'POST' });
    if (!isApiName(name)) return sendResult(res, 404, { ok: false, error: { code: 'unknown-method', message: `unknown method ${name.slice(0, 100)}` } });
    let body: Buffer;
    try {
      body = await readBody(req, cap);
    } catch (err) {
      if (err instanceof HttpError && err.status === 413) {
        // Stop reading; close the connection once the answer is out rather than swallow the rest of the body.
        sendResult(res, 413, badInput((err as Error).message));
        res.on('finish', () => req.socket.destroy());
        return;
      }
      throw err;
    }
    let input: unknown = {};
    if (body.length > 0) {
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch (err) {
        return sendResult(res, 400, badInput(`request body is not JSON: ${(err as Error).message}`));
      }
      // Refused here, as a bad request, before it can reach the engine (which checks again: host.ts).
      if (exceedsDepth(input, MAX_INPUT_DEPTH)) return sendResult(res, 400, badInput(tooDeep(name)));
    }
    const result = await opts.host.call(name, input);
    if (!res.destroyed) sendResult(res, 200, result);
  }

  function eventStream(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') return sendText(res, 405, 'use GET', { Allow: 'GET' });
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    res.write('retry: 3000\n: connected\n\n');
    streams.add(res);
    // Payloads are single-line JSON and names come from the API table, so one `data:` line per event suffices.
    const off = opts.host.onPush((name, payload) => res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`));
    const ping = setInterval(() => res.write(': ping\n\n'), SSE_PING_MS);
    ping.unref();
    res.on('close', () => {
      off();
      clearInterval(ping);
      streams.delete(res);
    });
  }

  async function staticFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    const f = await readStaticFile(opts.staticDir, path);
    if (f.status !== 200) return sendText(res, f.status, f.status === 400 ? 'bad request' : 'not found');
    const cache = f.file.endsWith('index.html') ? 'no-store' : 'no-cache';
    send(res, 200, f.body, { 'Content-Type': f.contentType, 'Cache-Control': cache }, req.method === 'HEAD');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '';
    // Origin-form only ("/path?query"); a Host we do not answer to is a DNS-rebinding attempt or a mistake.
    if (!target.startsWith('/')) return sendText(res, 400, 'bad request');
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) return sendText(res, 403, 'unexpected Host header');
    // No CORS: a preflight is refused outright (and no response anywhere carries Access-Control-Allow-* headers),
    // so a page of another origin can neither send the Authorization header nor read an answer.
    if (req.method === 'OPTIONS') return sendText(res, 405, 'cross-origin requests are not served', { Allow: 'GET, HEAD, POST' });
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));

    if (path === '/api' || path.startsWith('/api/')) {
      if (path === '/api/events') {
        const presented = bearerToken(req.headers.authorization) ?? query.get('token');
        if (!tokenMatches(token, presented)) return sendText(res, 401, 'missing or wrong access token', { 'WWW-Authenticate': 'Bearer' });
        return eventStream(req, res);
      }
      if (!tokenMatches(token, bearerToken(req.headers.authorization))) {
        return sendText(res, 401, 'missing or wrong access token', { 'WWW-Authenticate': 'Bearer' });
      }
      return callApi(req, res, path.slice('/api/'.length));
    }
    return staticFile(req, res, path);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendResult(res, 500, { ok: false, error: { code: 'internal', message: err.message } });
      else res.destroy();
    });
  });

  // A request Node cannot parse is answered here rather than by Node's bare 400, so that it too carries the headers.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET')) return void socket.destroy();
    const headers = Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 400 Bad Request\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`);
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? 0, host: LOOPBACK, exclusive: true }, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`${LOOPBACK}:${port}`, `localhost:${port}`]);
  const origin = `http://${LOOPBACK}:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    casePath: opts.casePath,
    close: () =>
      new Promise<void>((resolvePromise) => {
        for (const s of streams) s.end();
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}
