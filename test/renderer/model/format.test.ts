import { describe, expect, it } from 'vitest';
import { arnAccount, arnTail, ellipsizeStart, formatBytes, formatDuration, formatRate, formatTime, parseUtc, progressView, shortSource, shown } from '../../../renderer/src/model/format';
import type { IngestProgressEvent } from '../../../shared/api';

const p = (over: Partial<IngestProgressEvent> = {}): IngestProgressEvent => ({
  jobId: 1,
  filesDone: 12,
  filesFailed: 0,
  filesSkipped: 0,
  records: 50_000,
  bytes: 100 * 1024 * 1024,
  elapsedMs: 10_000,
  rate: 5000,
  currentPath: 'a.json.gz',
  ...over,
});

describe('ingest progress', () => {
  it('never invents a total: without one there is no fraction and no ETA, only rate and elapsed', () => {
    const v = progressView(p());
    expect(v.fraction).toBeNull();
    expect(v.eta).toBeNull();
    expect(v.rate).toBe('5.0k rec/s');
    expect(v.elapsed).toBe('0:10');
    expect(v.throughput).toBe('10 MiB/s');
  });

  it('derives the ETA from bytes when the total is known', () => {
    const v = progressView(p(), 300 * 1024 * 1024);
    expect(v.fraction).toBeCloseTo(1 / 3);
    expect(v.eta).toBe('0:20');
  });

  it('names failed and skipped files', () => {
    expect(progressView(p({ filesFailed: 2, filesSkipped: 3 })).files).toBe('12 files, 2 failed, 3 already loaded');
  });
});

describe('formatting', () => {
  it('formats sizes, durations and rates', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(65_000)).toBe('1:05');
    expect(formatRate(950)).toBe('950/s');
    expect(formatRate(1_250_000, 'rec')).toBe('1.3M rec/s');
  });

  it('shows UTC times and parses what an investigator types', () => {
    expect(formatTime('2026-03-02T00:02:12Z')).toBe('2026-03-02 00:02:12');
    expect(parseUtc('2026-03-02 00:02')).toBe(Date.UTC(2026, 2, 2, 0, 2));
    expect(parseUtc('2026-03-02T00:02:12.5Z')).toBe(Date.UTC(2026, 2, 2, 0, 2, 12, 500));
    expect(parseUtc('2026-03-02')).toBe(Date.UTC(2026, 2, 2));
    expect(parseUtc('2026-02-31')).toBeNull();
    expect(parseUtc('yesterday')).toBeNull();
  });

  it('shortens AWS names', () => {
    expect(shortSource('secretsmanager.amazonaws.com')).toBe('secretsmanager');
    expect(arnTail('arn:aws:iam::672828833002:role/feature-store-reader')).toBe('feature-store-reader');
    expect(arnAccount('arn:aws:iam::672828833002:role/x')).toBe('672828833002');
    expect(arnAccount('not an arn')).toBeNull();
    expect(ellipsizeStart('/a/b/c/d.json', 8)).toBe('…/d.json');
  });
});

describe('evidence text as shown', () => {
  it('writes bidi controls and invisible characters as \\u{…}, keeps everything else', () => {
    expect(shown('report\u202efdp.exe')).toBe('report\\u{202e}fdp.exe');
    expect(shown('access\u2067\u2066 if (isAdmin) \u2069\u2069 granted')).toBe('access\\u{2067}\\u{2066} if (isAdmin) \\u{2069}\\u{2069} granted');
    expect(shown('a\u200bb\u0000c')).toBe('a\\u{200b}b\\u{0000}c');
    expect(shown('<script>alert(1)</script> é 日本 🙂')).toBe('<script>alert(1)</script> é 日本 🙂');
    expect(shown(null)).toBe('');
    expect(shown(undefined)).toBe('');
  });
});

