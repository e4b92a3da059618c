/**
 * A hung test file must fail the run with its name, not hold it until CI's time runs out.
 *
 * A test's own timeout (vitest.config.mts `testTimeout`) fires only while its process turns its event loop: a
 * synchronous wait (a `spawnSync` whose child never exits, a native call that never returns) blocks it, and the run
 * then waits forever with nothing printed. This reporter lives in vitest's main process, whose timers keep running:
 * a file still running after `PODTRAIL_TEST_FILE_LIMIT_MIN` minutes (default 30: past the longest timeout a test sets
 * itself, the crash test's 25, so that a slow file is never taken for a hung one; the slowest takes ~3 on this
 * project's machine) is named with its unfinished tests and how long each has run, its processes are ended, and
 * the run exits 1. Every `NOTICE_MS` after half the limit, a file still running is named (a slow file is seen before
 * it is called hung).
 */
import { execFileSync } from 'node:child_process';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

const MINUTE = 60_000;
const NOTICE_MS = 5 * MINUTE;

export function fileLimitMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PODTRAIL_TEST_FILE_LIMIT_MIN;
  if (raw === undefined || raw === '') return 30 * MINUTE;
  const minutes = Number(raw);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`PODTRAIL_TEST_FILE_LIMIT_MIN must be a positive number of minutes, not "${raw}"`);
  return minutes * MINUTE;
}

/** Every process below `root` (children first seen, then theirs), from `ps`. */
export function descendants(root: number, table: string): number[] {
  const children = new Map<number, number[]>();
  for (const line of table.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!Number.isInteger(pid) || !Number.isInteger(ppid)) continue;
    (children.get(ppid!) ?? children.set(ppid!, []).get(ppid!)!).push(pid!);
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export interface WatchdogOptions {
  limitMs?: number;
  now?: () => number;
  print?: (line: string) => void;
  end?: () => void;
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

export default class WatchdogReporter implements Reporter {
  private readonly files = new Map<string, { module: TestModule; since: number; noticed: number }>();
  private readonly tests = new Map<string, { test: TestCase; since: number }>();
  private timer: NodeJS.Timeout | null = null;

  private readonly limitMs: number;
  private readonly now: () => number;
  private readonly print: (line: string) => void;
  private readonly end: () => void;

  /** vitest constructs a reporter named in its configuration with the reporter's options: none here, all defaults. */
  constructor(options: WatchdogOptions = {}) {
    this.limitMs = options.limitMs ?? fileLimitMs();
    this.now = options.now ?? Date.now;
    this.print = options.print ?? ((line) => process.stderr.write(`${line}\n`));
    this.end = options.end ?? endRun;
  }

  onTestRunStart(): void {
    this.timer ??= setInterval(() => this.check(), Math.min(30_000, this.limitMs / 4));
    this.timer.unref();
  }

  onTestModuleStart(module: TestModule): void {
    this.files.set(module.id, { module, since: this.now(), noticed: 0 });
  }

  onTestModuleEnd(module: TestModule): void {
    this.files.delete(module.id);
    for (const [id, t] of this.tests) if (t.test.module.id === module.id) this.tests.delete(id);
  }

  onTestCaseReady(test: TestCase): void {
    this.tests.set(test.id, { test, since: this.now() });
  }

  onTestCaseResult(test: TestCase): void {
    this.tests.delete(test.id);
  }

  onTestRunEnd(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Names slow files; ends the run on a hung one. Returns whether it ended the run. */
  check(): boolean {
    const now = this.now();
    const hung: string[] = [];
    for (const f of this.files.values()) {
      const ran = now - f.since;
      if (ran >= this.limitMs) hung.push(f.module.moduleId);
      else if (ran >= this.limitMs / 2 && now - f.noticed >= NOTICE_MS) {
        f.noticed = now;
        this.print(`[watchdog] ${f.module.relativeModuleId} has run ${seconds(ran)} (a file over ${seconds(this.limitMs)} fails the run)${this.running(f.module, now)}`);
      }
    }
    if (hung.length === 0) return false;
    for (const id of hung) {
      const f = [...this.files.values()].find((x) => x.module.moduleId === id)!;
      this.print(`[watchdog] HUNG: ${f.module.relativeModuleId} still running after ${seconds(now - f.since)}${this.running(f.module, now)}`);
    }
    this.print('[watchdog] ending the run (exit 1): a test that blocks its process cannot time out by itself.');
    this.end();
    return true;
  }

  /**
   * The file's tests known to have started and not ended; else (a blocked process may not have sent that a test
   * started) the first of its tests without a result, one of which is the blocked one.
   */
  private running(module: TestModule, now: number): string {
    const started = [...this.tests.values()]
      .filter((t) => t.test.module.id === module.id)
      .map((t) => `\n[watchdog]   running for ${seconds(now - t.since)}: ${t.test.fullName}`);
    if (started.length > 0) return started.join('');
    const pending = [...(module.children?.allTests() ?? [])].filter((t) => t.result().state === 'pending').map((t) => t.fullName);
    if (pending.length === 0) return '\n[watchdog]   (none of its tests known yet: blocked before they were collected)';
    const shown = pending.slice(0, 5).map((name) => `\n[watchdog]   without a result: ${name}`).join('');
    return pending.length > 5 ? `${shown}\n[watchdog]   (and ${pending.length - 5} more)` : shown;
  }
}

/** Ends every process this run started (the test files' and theirs), then the run itself. */
function endRun(): void {
  try {
    const table = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
    for (const pid of descendants(process.pid, table).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } finally {
    process.exit(1);
  }
}
