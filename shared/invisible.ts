/**
 * Every string in a CloudTrail record can be written by an attacker (user agents, session names, request
 * parameters). Wherever it is shown (HTML and CSV reports, `trace`, the app), bidirectional-override and other
 * invisible control characters are made visible so that text cannot be reordered or hidden on screen.
 *
 * Made visible (as `\u{202e}`): C0 controls but tab, line feed and carriage return; DEL and the C1 controls
 * (U+0080–U+009F, e.g. U+009B, a terminal's CSI); the soft hyphen; the bidi marks, embeddings, overrides and
 * isolates (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069; CVE-2021-42574 "Trojan Source"); zero-width and other
 * invisible format characters (U+180E, U+200B–U+200D, U+2060–U+2064, U+206A–U+206F, U+FEFF, U+FFF9–U+FFFB); the line
 * and paragraph separators (U+2028/9); and the Unicode tag characters (U+E0000–U+E007F, invisible "ASCII smuggling").
 */
const INVISIBLE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;

/** The text with every such character written as `\u{…}`. */
export function revealInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16).padStart(4, '0')}}`);
}
