/** Text an investigator reads: counts, sizes, rates, durations, UTC times. Pure. */
import type { IngestProgressEvent } from '../../../shared/api';
import { revealInvisible } from '../../../shared/invisible';

const nf = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return nf.format(n);
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** 0:07, 1:05, 1:02:03 (h:mm:ss). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/** Per-second rates: 950/s, 12.3k/s, 1.2M/s. */
export function formatRate(perSecond: number, unit = ''): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return '—';
  const suffix = unit ? ` ${unit}/s` : '/s';
  if (perSecond < 1000) return `${Math.round(perSecond)}${suffix}`;
  if (perSecond < 1_000_000) return `${(perSecond / 1000).toFixed(perSecond < 10_000 ? 1 : 0)}k${suffix}`;
  return `${(perSecond / 1_000_000).toFixed(1)}M${suffix}`;
}

export interface ProgressView {
  /** 0…1 when the total is known, otherwise null (the bar is drawn indeterminate). */
  fraction: number | null;
  /** Time left, only from a known byte total. Never invented. */
  eta: string | null;
  records: string;
  rate: string;
  throughput: string;
  elapsed: string;
  files: string;
}

/** What the ingest bar shows. `totalBytes` is the evidence size when known (null: unknown, no ETA). */
export function progressView(p: IngestProgressEvent, totalBytes: number | null = null): ProgressView {
  const seconds = p.elapsedMs / 1000;
  const bytesPerSecond = seconds > 0 ? p.bytes / seconds : 0;
  let fraction: number | null = null;
  let eta: string | null = null;
  if (totalBytes !== null && totalBytes > 0) {
    fraction = Math.min(1, p.bytes / totalBytes);
    if (bytesPerSecond > 0 && p.bytes > 0) eta = formatDuration(((totalBytes - Math.min(p.bytes, totalBytes)) / bytesPerSecond) * 1000);
  }
  const failed = p.filesFailed > 0 ? `, ${formatCount(p.filesFailed)} failed` : '';
  const skipped = p.filesSkipped > 0 ? `, ${formatCount(p.filesSkipped)} already loaded` : '';
  return {
    fraction,
    eta,
    records: `${formatCount(p.records)} records`,
    rate: formatRate(p.rate, 'rec'),
    throughput: `${formatBytes(bytesPerSecond)}/s`,
    elapsed: formatDuration(p.elapsedMs),
    files: `${formatCount(p.filesDone)} files${failed}${skipped}`,
  };
}

/** "2026-03-02T00:02:12Z" → "2026-03-02 00:02:12" (always UTC: CloudTrail's clock). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return formatTime(new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
}

/** "2026-03-02 00:02", "2026-03-02T00:02:12Z", "2026-03-02" → epoch ms (UTC), or null. */
export function parseUtc(text: string): number | null {
  const t = text.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?Z?$/.exec(t);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0'] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s, +frac.padEnd(3, '0'));
  const back = new Date(ms);
  // Reject 2026-02-31 and friends rather than roll them over.
  if (back.getUTCDate() !== +d! || back.getUTCMonth() !== +mo! - 1) return null;
  return ms;
}

/** "secretsmanager.amazonaws.com" → "secretsmanager". */
export function shortSource(source: string): string {
  return source.endsWith('.amazonaws.com') ? source.slice(0, -'.amazonaws.com'.length) : source;
}

export function shortHash(sha: string, n = 12): string {
  return sha.length > n ? `${sha.slice(0, n)}…` : sha;
}

/** The last segment of an ARN resource ("arn:aws:iam::1:role/a/b" → "b"), or the text itself. */
export function arnTail(arn: string): string {
  const i = arn.lastIndexOf('/');
  return i >= 0 ? arn.slice(i + 1) : arn;
}

/** The account id of an ARN, or null. */
export function arnAccount(arn: string): string | null {
  return /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? null;
}

/** Keep the end of a long path visible: "…/us-east-1/2026/03/02/file.json.gz". */
export function ellipsizeStart(text: string, max: number): string {
  return text.length > max ? `…${text.slice(text.length - max + 1)}` : text;
}

export function ellipsize(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Evidence text as the app shows it: bidi overrides and isolates, zero-width and other invisible characters are
 * written as `\u{…}` (shared/invisible.ts, as in reports and `trace`), so log text cannot reorder or hide what
 * the investigator reads. Null and undefined show as the empty string.
 */
export function shown(text: string | null | undefined): string {
  return text ? revealInvisible(text) : '';
}

