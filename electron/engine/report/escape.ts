/**
 * Every string in a CloudTrail record can be written by an attacker (user agents, session names, request
 * parameters). In HTML it is escaped; bidirectional-override and other invisible control characters are
 * made visible so that text cannot be reordered or hidden on screen.
 */
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function revealInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16).padStart(4, '0')}}`);
}

export function escapeHtml(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return revealInvisible(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
