/**
 * The CI watchdog (test/helpers/watchdog-reporter.ts): a test file that blocks its process fails the run by name
 * instead of holding it until CI's time runs out.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestCase, TestModule } from 'vitest/node';
import { describe, expect, it } from 'vitest';
import WatchdogReporter, { descendants, fileLimitMs } from '../helpers/watchdog-reporter';
import { REPO } from '../helpers/cli';

const MIN = 60_000;

function fakeModule(id: string, pending: string[] = []): TestModule {
  const tests = pending.map((fullName) => ({ fullName, result: () => ({ state: 'pending' }) }));
  return { id, moduleId: join(REPO, id), relativeModuleId: id, children: { allTests: () => tests } } as unknown as TestModule;
}
function fakeTest(id: string, module: TestModule, fullName: string): TestCase {
  return { id, module, fullName } as unknown as TestCase;
}

describe('the watchdog reporter', () => {
  it('names a slow file at half the limit, then ends the run on a file past it, naming its unfinished test', () => {
    let now = 0;
    const lines: string[] = [];
    let ended = 0;
    const w = new WatchdogReporter({ limitMs: 20 * MIN, now: () => now, print: (l) => lines.push(l), end: () => ended++ });
    const slow = fakeModule('test/slow.test.ts');
    const quick = fakeModule('test/quick.test.ts');
    w.onTestModuleStart(slow);
    w.onTestModuleStart(quick);
    w.onTestCaseReady(fakeTest('t1', slow, 'slow > waits'));
    w.onTestCaseReady(fakeTest('t2', quick, 'quick > ends'));
    now = 9 * MIN;
    expect(w.check()).toBe(false);
    expect(lines).toEqual([]);
    w.onTestCaseResult(fakeTest('t2', quick, 'quick > ends'));
    w.onTestModuleEnd(quick);
    now = 10 * MIN;
    expect(w.check()).toBe(false);
    expect(lines.join('\n')).toMatch(/test\/slow\.test\.ts has run 600 s[^]*running for 600 s: slow > waits/);
    const noticed = lines.length;
    now = 12 * MIN; // the next notice only 5 minutes after the last
    expect(w.check()).toBe(false);
    expect(lines.length).toBe(noticed);
    now = 20 * MIN;
    expect(w.check()).toBe(true);
    expect(ended).toBe(1);
    expect(lines.slice(noticed).join('\n')).toMatch(/HUNG: test\/slow\.test\.ts still running after 1200 s\n\[watchdog\]   running for 1200 s: slow > waits/);
    expect(lines.join('\n')).not.toContain('quick');
  });

  it('names the tests without a result when its process could not say which one started', () => {
    let now = 0;
    const lines: string[] = [];
    const w = new WatchdogReporter({ limitMs: 20 * MIN, now: () => now, print: (l) => lines.push(l), end: () => {} });
    w.onTestModuleStart(fakeModule('test/blocked.test.ts', ['a > one', 'a > two', 'b', 'c', 'd', 'e', 'f']));
    now = 20 * MIN;
    expect(w.check()).toBe(true);
    expect(lines[0]).toBe(
      ['HUNG: test/blocked.test.ts still running after 1200 s', ...['a > one', 'a > two', 'b', 'c', 'd'].map((n) => `  without a result: ${n}`), '  (and 2 more)']
        .map((l) => `[watchdog] ${l}`)
        .join('\n'),
    );
  });

  it('ends nothing while every file finishes within the limit', () => {
    let now = 0;
    let ended = 0;
    const w = new WatchdogReporter({ limitMs: 20 * MIN, now: () => now, print: () => {}, end: () => ended++ });
    for (let i = 0; i < 50; i++) {
      const m = fakeModule(`test/f${i}.test.ts`);
      w.onTestModuleStart(m);
      now += 19 * MIN;
      w.check();
      w.onTestModuleEnd(m);
    }
    now += 60 * MIN;
    expect(w.check()).toBe(false);
    expect(ended).toBe(0);
  });

  it('reads its limit from PODTRAIL_TEST_FILE_LIMIT_MIN, and refuses one that is not a positive number', () => {
    expect(fileLimitMs({})).toBe(30 * MIN);
    expect(fileLimitMs({ PODTRAIL_TEST_FILE_LIMIT_MIN: '0.5' })).toBe(30_000);
    expect(() => fileLimitMs({ PODTRAIL_TEST_FILE_LIMIT_MIN: 'ten' })).toThrow(/PODTRAIL_TEST_FILE_LIMIT_MIN.*"ten"/);
    expect(() => fileLimitMs({ PODTRAIL_TEST_FILE_LIMIT_MIN: '0' })).toThrow(/positive/);
  });

  it('finds every process below the run, grandchildren included, and none beside it', () => {
    const table = ['  1     0', ' 10     1', ' 11    10', ' 12    10', ' 13    11', ' 20     1', ' 21    20', ''].join('\n');
    expect(descendants(10, table).sort()).toEqual([11, 12, 13]);
    expect(descendants(13, table)).toEqual([]);
  });

  it('ends a real vitest run whose test blocks its process: exit 1, the file and test named, the blocked child gone', async () => {
    const started = Date.now();
    // A duration of this run's own, to tell its blocked child from any other process.
    const sleep = `297.${process.pid}`;
    const child = spawn(
      process.execPath,
      [join(REPO, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'test/fixtures/watchdog/vitest.config.mts'],
      { cwd: REPO, env: { ...process.env, PODTRAIL_TEST_FILE_LIMIT_MIN: '0.1', WATCHDOG_FIXTURE_SLEEP: sleep, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((res) => {
      // Should the watchdog fail, its whole process group is ended here (detached: a group of its own).
      const guard = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 90_000);
      child.on('close', (c) => {
        clearTimeout(guard);
        res(c);
      });
    });
    expect(code, out).toBe(1);
    expect(out).toMatch(/\[watchdog\] HUNG: test\/fixtures\/watchdog\/blocked\.hang\.ts still running after \d+ s/);
    expect(out).toContain('[watchdog]   without a result: waits on a child that never exits');
    // Ended by the watchdog (6 s limit), long before the child's 297 s.
    expect(Date.now() - started).toBeLessThan(80_000);
    const left = execFileSync('ps', ['-A', '-o', 'args='], { encoding: 'utf8' }).split('\n').filter((a) => a.trim() === `sleep ${sleep}`);
    expect(left).toEqual([]);
  }, 120_000);
});
