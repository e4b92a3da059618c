import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../../electron/engine/service/host';
import { startServer, MAX_BODY_BYTES, type RunningServer } from '../../electron/server/server';
import { CONTENT_SECURITY_POLICY } from '../../electron/server/security';
import type { ApiResult, CaseSummary, PushEvents } from '../../shared/api';
import { referencePath } from '../helpers/reference';
import { buildWorld, rawRequest, SECRET, type World } from './helpers';

let world: World;
let host: EngineHost;
let server: RunningServer;

beforeAll(async () => {
  world = await buildWorld();
  host = EngineHost.start(world.casePath);
  server = await startServer({ casePath: world.casePath, host, staticDir: world.staticDir });
});

afterAll(async () => {
  await server?.close();
  await host?.close();
});

function post(name: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.origin}/api/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, ...headers },
    body,
  });
}

function expectNoCors(h: Headers | Record<string, string>): void {
  const names = h instanceof Headers ? [...h.keys()] : Object.keys(h);
  expect(names.filter((k) => k.toLowerCase().startsWith('access-control-'))).toEqual([]);
}

function expectSecurityHeaders(h: Headers | Record<string, string>): void {
  const get = (k: string) => (h instanceof Headers ? h.get(k) : (h[k.toLowerCase()] ?? null));
  expect(get('Content-Security-Policy')).toBe(CONTENT_SECURITY_POLICY);
  expect(get('X-Content-Type-Options')).toBe('nosniff');
  expect(get('Referrer-Policy')).toBe('no-referrer');
  expect(get('Cross-Origin-Opener-Policy')).toBe('same-origin');
  expect(get('Cross-Origin-Resource-Policy')).toBe('same-origin');
  expectNoCors(h);
}

describe('loopback server: listening', () => {
  it('prints a tokened URL on 127.0.0.1 and a random port', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.port).toBeGreaterThan(0);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses to listen anywhere but 127.0.0.1', async () => {
    for (const bind of ['0.0.0.0', '::', '::1', 'localhost', '127.0.0.2', '192.168.1.10', '']) {
      await expect(startServer({ casePath: world.casePath, host, staticDir: world.staticDir, bind }), bind).rejects.toThrow(/only listens on 127\.0\.0\.1/);
    }
  });

  it('is not reachable on the machine\'s other addresses', async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    for (const address of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect(server.port, address);
        s.on('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.on('error', () => resolve(true));
      });
      expect(refused, `reachable on ${address}`).toBe(true);
    }
  });

  it('answers only to its own Host name (no DNS rebinding)', async () => {
    const r = await rawRequest(server.port, '/', { Host: `attacker.example:${server.port}` });
    expect(r.status).toBe(403);
    expect(r.body).toContain('unexpected Host header');
    expectNoCors(r.headers);
    for (const h of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `LOCALHOST:${server.port}`]) {
      expect((await rawRequest(server.port, '/', { Host: h })).status, h).toBe(200);
    }
  });

  it.each([
    ['a rebound name', (p: number) => `attacker.example:${p}`],
    ['a name ending like ours', (p: number) => `127.0.0.1.attacker.example:${p}`],
    ['no port', () => '127.0.0.1'],
    ['another port', (p: number) => `127.0.0.1:${p + 1}`],
    ['localhost without port', () => 'localhost'],
    ['IPv6 loopback', (p: number) => `[::1]:${p}`],
    ['0.0.0.0', (p: number) => `0.0.0.0:${p}`],
    ['userinfo', (p: number) => `x@127.0.0.1:${p}`],
  ])('refuses the Host header with %s, even with the token', async (_what, host) => {
    const h = host(server.port);
    const page = await rawRequest(server.port, '/', { Host: h });
    expect(page.status).toBe(403);
    const api = await rawRequest(server.port, '/api/case.summary', { Host: h, Authorization: `Bearer ${server.token}`, 'Content-Length': '2' }, 'POST');
    expect(api.status).toBe(403);
    expect(api.body).not.toContain('"ok":true');
    const events = await rawRequest(server.port, `/api/events?token=${server.token}`, { Host: h });
    expect(events.status).toBe(403);
  });

  it('refuses a request without a Host header', async () => {
    const r = await rawRequest(server.port, '/', { Host: null });
    expect([400, 403]).toContain(r.status);
  });
});

describe('loopback server: API', () => {
  it('answers 401 without a token, with a wrong one, and with the token in the query instead of the header', async () => {
    const none = await fetch(`${server.origin}/api/case.summary`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expectSecurityHeaders(none.headers);
    const wrong = await post('case.summary', '{}', { Authorization: `Bearer ${server.token.slice(0, -2)}xx` });
    expect(wrong.status).toBe(401);
    const short = await post('case.summary', '{}', { Authorization: 'Bearer x' });
    expect(short.status).toBe(401);
    const basic = await post('case.summary', '{}', { Authorization: `Basic ${server.token}` });
    expect(basic.status).toBe(401);
    const query = await fetch(`${server.origin}/api/case.summary?token=${server.token}`, { method: 'POST', body: '{}' });
    expect(query.status).toBe(401);
    // Unauthenticated callers learn nothing, not even which methods exist.
    const unknown = await fetch(`${server.origin}/api/nope`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(401);
  });

  it('calls the engine with the token and returns its ApiResult', async () => {
    const res = await post('case.summary', '{}');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expectSecurityHeaders(res.headers);
    const body = (await res.json()) as ApiResult<CaseSummary>;
    expect(body.ok).toBe(true);
    if (body.ok) expect(body.value.events).toBeGreaterThan(400);
    const page = (await (await post('events.query', JSON.stringify({ filters: {}, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 5 }))).json()) as ApiResult<{ rows: unknown[] }>;
    expect(page.ok && page.value.rows.length).toBe(5);
  });

  it('treats an empty body as {}', async () => {
    const res = await post('events.facets', '');
    expect(res.status).toBe(200);
    expect(((await res.json()) as ApiResult<unknown>).ok).toBe(true);
  });

  it('answers 404 for a method that is not in the API table', async () => {
    for (const name of ['nope', 'constructor', '__proto__', 'case.summary/x', 'hasOwnProperty']) {
      const res = await post(name, '{}');
      expect(res.status, name).toBe(404);
      const body = (await res.json()) as ApiResult<unknown>;
      expect(body).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    }
  });

  it('answers 405 to anything but POST', async () => {
    const res = await fetch(`${server.origin}/api/case.summary`, { headers: { Authorization: `Bearer ${server.token}` } });
    expect(res.status).toBe(405);
  });

  it('passes bad input back as ok:false bad-input, and invalid JSON as 400', async () => {
    const bad = await post('events.query', JSON.stringify({ filters: {}, sort: { column: 'eventTime', dir: 'asc' }, offset: -1, limit: 0 }));
    expect(bad.status).toBe(200);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    const junk = await post('events.query', '{"filters":');
    expect(junk.status).toBe(400);
    expect(await junk.json()).toMatchObject({ ok: false, error: { code: 'bad-input' } });
  });

  it('answers 400 to a body nested too deep, before it reaches the engine, and leaves no call waiting (issue 12)', async () => {
    const pending = (host as unknown as { pending: Map<number, unknown> }).pending;
    const depth = 400_000; // under the 1 MiB cap; once overflowed the stack in postMessage (a 500)
    const deep = `{"filters":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(deep.length).toBeLessThan(MAX_BODY_BYTES);
    for (const [name, body] of [
      ['events.query', deep],
      ['case.summary', `{"x":${'{"y":'.repeat(depth / 10)}1${'}'.repeat(depth / 10)}}`], // in a key the schema would drop
      ['events.query', `{"filters":${'['.repeat(33)}${']'.repeat(33)}}`], // just past the limit (32)
    ] as const) {
      const res = await post(name, body);
      expect(res.status, body.slice(0, 40)).toBe(400);
      expectSecurityHeaders(res.headers);
      expect(await res.json()).toEqual({ ok: false, error: { code: 'bad-input', message: `${name}: input nested deeper than 32 levels` } });
    }
    expect(pending.size).toBe(0);
    // At the limit, the input reaches the engine, whose schema refuses it as usual.
    const atLimit = await post('events.query', `{"filters":${'['.repeat(31)}${']'.repeat(31)}}`);
    expect(atLimit.status).toBe(200);
    expect(await atLimit.json()).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(pending.size).toBe(0);
    expect((await post('case.summary', '{}')).status).toBe(200);
  });

  it('answers 413 to a body over 1 MiB, declared or streamed', async () => {
    expect(MAX_BODY_BYTES).toBe(1024 * 1024);
    // Exactly the limit is still read: `{}` padded with spaces to 1 MiB reaches the engine.
    const atLimit = await post('case.summary', Buffer.concat([Buffer.from('{}'), Buffer.alloc(MAX_BODY_BYTES - 2, 0x20)]));
    expect(atLimit.status).toBe(200);
    expect(((await atLimit.json()) as ApiResult<unknown>).ok).toBe(true);
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const declared = await post('events.query', big);
    expect(declared.status).toBe(413);
    expectSecurityHeaders(declared.headers);
    expect(await declared.json()).toEqual({ ok: false, error: { code: 'bad-input', message: `request body too large: the limit is ${MAX_BODY_BYTES} bytes` } });

    // A declared length over the cap is refused at once, before any of the body is sent.
    const early = await rawRequest(server.port, '/api/events.query', { Authorization: `Bearer ${server.token}`, 'Content-Length': String(10 * MAX_BODY_BYTES) }, 'POST');
    expect(early.status).toBe(413);
    expect(early.body).toContain('request body too large');

    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/api/events.query', method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Transfer-Encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      // Just past the cap, then wait for the answer without ending the request (writing on into a connection the
      // server has closed would fail the test with EPIPE instead of showing the 413).
      const pump = () => {
        while (sent <= MAX_BODY_BYTES) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
      };
      pump();
    });
    expect(streamed).toBe(413);
    // The server still serves after refusing.
    expect((await post('case.summary', '{}')).status).toBe(200);
  });

  it('sends no CORS headers, and refuses a cross-origin preflight anywhere', async () => {
    for (const path of ['/api/case.summary', '/api/events', '/', '/assets/app.js']) {
      for (const auth of [{}, { Authorization: `Bearer ${server.token}` }]) {
        const pre = await fetch(`${server.origin}${path}`, {
          method: 'OPTIONS',
          headers: { Origin: 'https://attacker.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization', ...auth },
        });
        expect(pre.status, path).toBe(405);
        expect(await pre.text()).toContain('cross-origin requests are not served');
        expectSecurityHeaders(pre.headers);
      }
    }
    // A request that carries an Origin is answered as any other, never with CORS headers that would let the page read it.
    const withOrigin = await post('case.summary', '{}', { Origin: 'https://attacker.example' });
    expect(withOrigin.status).toBe(200);
    expectNoCors(withOrigin.headers);
    const events = await fetch(`${server.origin}/api/events?token=${server.token}`, { headers: { Origin: 'https://attacker.example' } });
    expectNoCors(events.headers);
    await events.body?.cancel();
    const page = await fetch(`${server.origin}/`, { headers: { Origin: 'null' } });
    expectNoCors(page.headers);
  });
});

describe('loopback server: push events', () => {
  it('refuses the event stream without the token', async () => {
    expect((await fetch(`${server.origin}/api/events`)).status).toBe(401);
    expect((await fetch(`${server.origin}/api/events?token=${server.token}x`)).status).toBe(401);
  });

  it('streams ingest.progress and ingest.done after ingest.start', async () => {
    const res = await fetch(`${server.origin}/api/events?token=${server.token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expectSecurityHeaders(res.headers);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const events: { name: string; data: unknown }[] = [];
    const readUntil = async (done: () => boolean) => {
      while (!done()) {
        const { value, done: end } = await reader.read();
        if (end) throw new Error('event stream ended early');
        buffer += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const name = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          events.push({ name: name ?? (block.includes(': connected') ? 'connected' : 'comment'), data: data ? JSON.parse(data) : null });
        }
      }
    };
    await readUntil(() => events.some((e) => e.name === 'connected'));

    const started = (await (await post('ingest.start', JSON.stringify({ paths: [referencePath('seed-examples')] }))).json()) as ApiResult<{ jobId: number }>;
    expect(started.ok).toBe(true);
    const jobId = started.ok ? started.value.jobId : -1;
    await readUntil(() => events.some((e) => e.name === 'ingest.done'));
    await reader.cancel();

    const progress = events.filter((e) => e.name === 'ingest.progress').map((e) => e.data as PushEvents['ingest.progress']);
    const done = events.find((e) => e.name === 'ingest.done')!.data as PushEvents['ingest.done'];
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.jobId === jobId)).toBe(true);
    expect(events.findIndex((e) => e.name === 'ingest.progress')).toBeLessThan(events.findIndex((e) => e.name === 'ingest.done'));
    expect(done.jobId).toBe(jobId);
    expect(done.loaded).toBeGreaterThan(0);
  });
});

describe('loopback server: every response (issue 12)', () => {
  it('carries Cross-Origin-Resource-Policy: same-origin and nosniff, so no other origin can load even a static file', async () => {
    const auth = { Authorization: `Bearer ${server.token}` };
    const responses = [
      await rawRequest(server.port, '/'),
      await rawRequest(server.port, '/assets/app.js'),
      await rawRequest(server.port, '/assets/app.css', {}, 'HEAD'),
      await rawRequest(server.port, '/assets/none.js'),
      await rawRequest(server.port, '/assets/..%5c..%5csecret.txt'),
      await rawRequest(server.port, '/', {}, 'PUT'),
      await rawRequest(server.port, '/', { Host: `attacker.example:${server.port}` }),
      await rawRequest(server.port, '/api/case.summary', { Origin: 'https://attacker.example' }, 'OPTIONS'),
      await rawRequest(server.port, '/api/case.summary', { 'Content-Length': '2' }, 'POST'),
      await rawRequest(server.port, '/api/case.summary', auth, 'GET'),
      await rawRequest(server.port, '/api/no.such', { ...auth, 'Content-Length': '0' }, 'POST'),
      await rawRequest(server.port, '/api/events'),
      await rawRequest(server.port, 'http://attacker.example/'),
    ];
    const statuses = responses.map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 404, 400, 405, 403, 405, 401, 405, 404, 401, 400]);
    for (const r of responses) expectSecurityHeaders(r.headers);
    const ok = await post('case.summary', '{}');
    expect(ok.status).toBe(200);
    expectSecurityHeaders(ok.headers);
    const stream = new AbortController();
    const events = await fetch(`${server.origin}/api/events?token=${server.token}`, { signal: stream.signal });
    expectSecurityHeaders(events.headers);
    stream.abort();
    // A request Node itself cannot parse is answered with them too.
    const broken = await new Promise<string>((resolve, reject) => {
      const s = connect(server.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      s.on('error', reject);
      s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n');
    });
    expect(broken).toMatch(/^HTTP\/1\.1 400 /);
    expect(broken).toContain('\r\nCross-Origin-Resource-Policy: same-origin\r\n');
    expect(broken).toContain('\r\nX-Content-Type-Options: nosniff\r\n');
  });
});

describe('loopback server: the renderer files', () => {
  it('serves index.html for / without a token, with MIME types and security headers', async () => {
    const index = await fetch(`${server.origin}/?token=${server.token}`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(index.headers);
    expect(await index.text()).toContain('<title>PodTrail</title>');
    const js = await fetch(`${server.origin}/assets/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expectSecurityHeaders(js.headers);
    const css = await fetch(`${server.origin}/assets/app.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const missing = await fetch(`${server.origin}/assets/none.js`);
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing.headers);
    const head = await fetch(`${server.origin}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const put = await fetch(`${server.origin}/`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/.%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..\\secret.txt',
    '/assets/..%5c..%5csecret.txt',
    '/index.html%00',
    '/%00/../secret.txt',
    '/.env',
    '/%2eenv',
    '/assets/link.txt',
    '//secret.txt',
    `/${'..%2f'.repeat(12)}etc%2fpasswd`,
    '/%E0%A4%A',
  ])('never serves a file outside the build: %s', async (path) => {
    const r = await rawRequest(server.port, path);
    expect([400, 404]).toContain(r.status);
    expect(r.body).not.toContain(SECRET);
    expect(r.body).not.toContain('root:');
  });
});
