/**
 * Labels for archive members. Member names are chosen by whoever built the archive, and nothing is extracted, so a
 * name is only ever display text and a manifest key (`<archive>!/<label>`); these functions make sure it cannot
 * pass for another path.
 */

/**
 * An archive member's name as a label, percent-encoded wherever it could mislead:
 * - `..` and `.` segments are written `%2E%2E` and `%2E`, and a leading or doubled `/` as `%2F`, so a label never
 *   climbs out of, or restarts at the root of, its archive (`x.zip!/%2E%2E/%2E%2E/etc/passwd`);
 * - `!` is written `%21`, so a member can never look like a member of another archive (`a.zip!/b.zip!/c`), and
 *   the archive is always what comes before the last `!/`;
 * - `\` (a Windows separator), `#`, `%`, control characters and Unicode bidirectional controls are encoded too.
 * The encoding is reversible (percent-decoding gives the exact name back), so two different names never share a
 * label; a name that occurs twice in one archive (zip and tar both allow it) gets `#2`, `#3`, … on its later copies.
 */
export function memberLabel(name: string): string {
  const segments = name.split('/');
  let out = labelSegment(segments[0]!);
  for (let s = 1; s < segments.length; s++) {
    // A `/` after an empty segment (at the start, or doubled) is part of the name, not a separator.
    out += (segments[s - 1] === '' ? '%2F' : '/') + labelSegment(segments[s]!);
  }
  return out;
}

function labelSegment(seg: string): string {
  if (seg === '.') return '%2E';
  if (seg === '..') return '%2E%2E';
  return seg.replace(UNSAFE_IN_LABEL, (c) => encodeURIComponent(c).replace(/!/g, '%21'));
}

// The escape itself (`%`), what could forge structure (`!`, `#`, `\`), and what could hide or reorder text
// (C0 and C1 controls, Unicode bidirectional controls).
const UNSAFE_IN_LABEL = /[%!#\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Labels for the members of one archive, numbering repeated names. */
export class MemberLabels {
  private readonly seen = new Map<string, number>();
  constructor(private readonly archive: string) {}
  next(name: string): string {
    const label = memberLabel(name);
    const n = (this.seen.get(label) ?? 0) + 1;
    this.seen.set(label, n);
    return `${this.archive}!/${label}${n > 1 ? `#${n}` : ''}`;
  }
}
