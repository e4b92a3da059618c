/** Time helpers. Every time PodTrail prints is UTC with an explicit `Z`. */

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

/** Parse a CloudTrail `eventTime` (ISO 8601, UTC). Returns epoch ms or NaN. */
export function parseEventTime(value: string): number {
  // CloudTrail writes `2024-04-16T09:20:04Z`; accept fractional seconds and explicit offsets too.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) return NaN;
  return Date.parse(value);
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
  const iso = Date.parse(value);
  return Number.isNaN(iso) ? NaN : iso;
}

export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
