// `podtrail serve` on a case, for the benchmarks: the URL, a caller of the loopback API, a stop, and the process's
// peak resident memory so far (Linux: VmHWM; null elsewhere).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'podtrail.js');

export async function serve(casePath) {
  const child = spawn(process.execPath, [CLI, 'serve', '--case', casePath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolveUrl, reject) => {
    child.once('exit', (code) => reject(new Error(`podtrail serve exited (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('http://127.0.0.1:')) resolveUrl(line);
    });
  });
  const u = new URL(url);
  const token = u.searchParams.get('token');
  const call = async (name, input) => {
    const res = await fetch(`${u.origin}/api/${name}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(input) });
    const body = await res.json();
    if (!body.ok) throw new Error(`${name}: ${body.error.message}`);
    return body.value;
  };
  const stop = () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM'))));
  const peakRssKb = () => {
    try {
      const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  };
  // One filter change as the app makes it: the table's first page and the timeline's histogram together.
  const change = (filters) =>
    Promise.all([
      call('events.query', { filters, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 100 }),
      call('events.histogram', { filters, buckets: 120 }),
    ]);
  // The next push of that name (the loopback API's event stream) whose payload `matches`.
  const nextPush = async (name, matches = () => true) => {
    const ctl = new AbortController();
    const res = await fetch(`${u.origin}/api/events`, { headers: { Authorization: `Bearer ${token}` }, signal: ctl.signal });
    let text = '';
    const found = (async () => {
      for await (const chunk of res.body) {
        text += Buffer.from(chunk).toString('utf8');
        for (let end; (end = text.indexOf('\n\n')) >= 0; text = text.slice(end + 2)) {
          const block = text.slice(0, end);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === name && data !== undefined && matches(JSON.parse(data))) return JSON.parse(data);
        }
      }
      throw new Error(`the event stream ended before ${name}`);
    })();
    return { found: found.finally(() => ctl.abort()) };
  };
  return { url, call, change, stop, peakRssKb, nextPush };
}
