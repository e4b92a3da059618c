/**
 * The C heap given back after a load and a correlation (native-heap.ts, issue 10: the memory of a large add into an
 * open case). On Linux with glibc a trim must run (not quietly fall back) and return what SQLite freed; a load and a
 * correlation each trim when they end; a long load trims as it goes, at most once per interval.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { nativeHeapStats, nativeHeapTrim, PeriodicHeapTrim, trimNativeHeap } from '../../../electron/engine/util/native-heap';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence, ingestTuning } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { apiRecord, put, tempDir, trailJson } from '../../helpers/evidence';

/** This process's anonymous resident memory (the heaps), in MiB. */
function rssAnonMiB(): number {
  const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) / 1024;
}

const glibc = process.platform === 'linux' && Boolean((process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime);

describe('trimNativeHeap', () => {
  it.runIf(glibc)('runs on Linux with glibc, and gives back the pages glibc kept after a collection', () => {
    expect(nativeHeapTrim()).toEqual({ available: true, reason: null });
    // ~300 MB of small buffers from the C heap, a few kept among them (as a load keeps its case's rows and caches
    // among the batches it frees): once collected, glibc keeps the pages for later allocations; the trim returns them.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let batches: Buffer[] | null = [];
    const kept: Buffer[] = [];
    for (let i = 0; i < 200_000; i++) {
      batches.push(Buffer.from('x'.repeat(1000 + (i % 50))));
      if (i % 1000 === 0) kept.push(Buffer.allocUnsafeSlow(64));
    }
    const full = rssAnonMiB();
    batches = null;
    gc();
    gc();
    const freed = rssAnonMiB();
    expect(trimNativeHeap()).toBe(true);
    const trimmed = rssAnonMiB();
    expect(kept).toHaveLength(200);
    expect(full - freed, `collected: ${full.toFixed(0)} → ${freed.toFixed(0)} MiB (what glibc kept)`).toBeLessThan(100);
    expect(freed - trimmed, `trimmed: ${freed.toFixed(0)} → ${trimmed.toFixed(0)} MiB`).toBeGreaterThan(150);
  });

  it.runIf(!glibc)('says why it does nothing where there is no glibc', () => {
    const t = nativeHeapTrim();
    expect(t.available).toBe(false);
    expect(t.reason).toMatch(/not needed|not glibc|could not be loaded/);
    expect(trimNativeHeap()).toBe(false);
  });
});

describe('PeriodicHeapTrim', () => {
  it('trims at most once per interval', () => {
    let now = 1_000;
    const trim = new PeriodicHeapTrim(10_000, () => now);
    const before = nativeHeapStats.requested;
    now += 9_999;
    expect(trim.tick()).toBe(false);
    expect(nativeHeapStats.requested).toBe(before);
    now += 1;
    trim.tick();
    expect(nativeHeapStats.requested).toBe(before + 1);
    now += 5_000;
    trim.tick();
    expect(nativeHeapStats.requested).toBe(before + 1);
    now += 5_000;
    trim.tick();
    expect(nativeHeapStats.requested).toBe(before + 2);
  });
});

describe('a load and a correlation give the heap back when they end', () => {
  it('trims after ingestEvidence and after correlate', async () => {
    const dir = tempDir('heap');
    const records = Array.from({ length: 50 }, (_, i) => apiRecord(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
    put(dir, 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/a.json', trailJson(records));
    const db = openCase(join(dir, 'case.db'));
    try {
      const beforeLoad = nativeHeapStats.requested;
      const s = await ingestEvidence(db, [join(dir, 'AWSLogs')], { workers: 0 });
      expect(s.newEvents).toBe(50);
      expect(nativeHeapStats.requested).toBeGreaterThan(beforeLoad);
      const beforeCorrelation = nativeHeapStats.requested;
      correlate(db);
      expect(nativeHeapStats.requested).toBe(beforeCorrelation + 1);
    } finally {
      db.close();
    }
  });
});

describe('a long load trims as it goes', () => {
  it('checks as each file is stored, at most once per interval', async () => {
    const dir = tempDir('heap-load');
    for (let f = 0; f < 4; f++) {
      const records = Array.from({ length: 5 }, (_, i) => apiRecord(`00000000-0000-4000-8000-${String(f * 10 + i).padStart(12, '0')}`));
      put(dir, `AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/f${f}.json`, trailJson(records));
    }
    const interval = ingestTuning.heapTrimIntervalMs;
    const db = openCase(join(dir, 'case.db'));
    try {
      ingestTuning.heapTrimIntervalMs = 0; // every stored file
      const before = nativeHeapStats.requested;
      const s = await ingestEvidence(db, [join(dir, 'AWSLogs')], { workers: 0 });
      expect(s.loaded).toBe(4);
      expect(nativeHeapStats.requested - before).toBe(4 + 1); // each file, and the load's end
      ingestTuning.heapTrimIntervalMs = 3_600_000;
      const again = nativeHeapStats.requested;
      put(dir, 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/f9.json', trailJson([apiRecord('00000000-0000-4000-8000-000000000999')]));
      await ingestEvidence(db, [join(dir, 'AWSLogs')], { workers: 0 });
      expect(nativeHeapStats.requested - again).toBe(1); // the end only
    } finally {
      ingestTuning.heapTrimIntervalMs = interval;
      db.close();
    }
  });
});
