/** Time helpers. Every time PodTrail prints is UTC with an explicit `Z`. */

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

/** A record time read: epoch ms, and whether the text carried no time zone (then it was read as UTC). */
export interface RecordTime {
  ms: number;
  zoneless: boolean;
}

// `2024-04-16T09:20:04Z`, `2024-04-16T09:20:04.123456+02:00`, and the forms SIEMs and data lakes normalise to:
// `2025-01-21 17:49:47.000000000` (Panther), `2022-11-29 00:09:04.38`, `2024-04-16 09:20:04 UTC`.
const RECORD_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,12}))?(?:\s*(?:([Zz])|([+-])(\d{2}):?(\d{2})|(?:UTC|GMT)))?$/;

/**
 * Parse a time as CloudTrail, the Kubernetes audit log and SIEM exports print it. Never in the examiner's time zone:
 * a time without a zone (`2022-11-29 00:09:04.38`) is read as UTC — CloudTrail and the Kubernetes API server
 * write UTC, and the SIEMs that drop the `Z` (Panther, many data lakes) store UTC — and reported as `zoneless`, so
 * the caller can say so. Fractions beyond milliseconds are truncated (as `Date.parse` does). Null when the text
 * is not such a time, or names a date that does not exist (`2024-02-30`).
 */
export function parseRecordTime(value: string): RecordTime | null {
  if (value.length === 20) {
    const ms = canonicalTime(value);
    if (ms !== undefined) return ms === null ? null : { ms, zoneless: false };
  }
  const m = RECORD_TIME.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const frac = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  if (mo! < 1 || mo! > 12 || d! < 1 || h! > 23 || mi! > 59 || s! > 59) return null;
  const base = new Date(0);
  base.setUTCFullYear(y!, mo! - 1, d!);
  if (base.getUTCFullYear() !== y || base.getUTCMonth() !== mo! - 1 || base.getUTCDate() !== d) return null;
  let ms = base.getTime() + ((h! * 60 + mi!) * 60 + s!) * 1000 + frac;
  const zoneless = m[8] === undefined && m[9] === undefined && !/(?:UTC|GMT)$/.test(m[0]);
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    ms -= (m[9] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return { ms, zoneless };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The two-digit number at `i` of `s`, or NaN. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/**
 * CloudTrail's own form, `2024-04-16T09:20:04Z` (every trail record's `eventTime`), read without the regular
 * expression: epoch ms; null for such a text naming a time that does not exist (`2024-02-30`, `24:00:00`); undefined
 * for any other text, and for years before 100 (parseRecordTime reads those the general way). Gives what the general
 * way gives (tested against it).
 */
function canonicalTime(v: string): number | null | undefined {
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58 || v.charCodeAt(19) !== 90) {
    return undefined;
  }
  const y = twoDigits(v, 0) * 100 + twoDigits(v, 2);
  const mo = twoDigits(v, 5);
  const day = twoDigits(v, 8);
  const h = twoDigits(v, 11);
  const mi = twoDigits(v, 14);
  const s = twoDigits(v, 17);
  if (Number.isNaN(y + mo + day + h + mi + s) || y < 100) return undefined;
  if (mo < 1 || mo > 12 || day < 1 || h > 23 || mi > 59 || s > 59) return null;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (day > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!)) return null;
  return Date.UTC(y, mo - 1, day, h, mi, s);
}

/** Parse a CloudTrail `eventTime` (or any record time, see parseRecordTime; zone-less = UTC). Returns epoch ms or NaN. */
export function parseEventTime(value: string): number {
  return parseRecordTime(value)?.ms ?? NaN;
}

/** Whether a time is exactly CloudTrail's own form, ISO 8601 with an explicit zone (`2024-04-16T09:20:04Z`). */
export function isIsoWithZone(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(value);
}

/**
 * Parse `responseElements.credentials.expiration`. STS writes it in two forms in CloudTrail:
 * `"Apr 16, 2024, 3:20:04 PM"` (UTC, no zone, as in most records) and ISO 8601 (`2023-12-10T11:10:32+00:00`).
 */
export function parseExpiration(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value !== 'string') return NaN;
  const m = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})\s?(AM|PM)$/.exec(value.trim());
  if (m) {
    const month = MONTHS[m[1]!];
    if (month === undefined) return NaN;
    let hour = Number(m[4]) % 12;
    if (m[7] === 'PM') hour += 12;
    return Date.UTC(Number(m[3]), month, Number(m[2]), hour, Number(m[5]), Number(m[6]));
  }
  // ISO 8601 (a zone-less one read as UTC, never in the examiner's time zone), or a form with an explicit zone.
  const iso = parseRecordTime(value);
  if (iso) return iso.ms;
  return /(?:GMT|UTC|[+-]\d{2}:?\d{2})$/.test(value.trim()) ? Date.parse(value) : NaN;
}

export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
