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
 *
 * Also what XML 1.0 forbids (its `Char` production), so that an SVG or XHTML export stays well-formed: lone
 * surrogates (U+D800–U+DFFF not in a pair) and U+FFFE/U+FFFF (the C0 controls are above already); and, with them,
 * the other Unicode noncharacters (U+FDD0–U+FDEF and the last two code points of every plane), which HTML counts
 * as parse errors and no font draws.
 */
const INVISIBLE = new RegExp(
  '[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f' +
    '\\ufeff\\ufff9-\\ufffb\\u{e0000}-\\u{e007f}' +
    // XML-forbidden and noncharacters. With the `u` flag a surrogate range matches only a surrogate outside a pair.
    '\\ud800-\\udfff\\ufdd0-\\ufdef\\ufffe\\uffff' +
    Array.from({ length: 16 }, (_, p) => `\\u{${(p + 1).toString(16)}fffe}\\u{${(p + 1).toString(16)}ffff}`).join('') +
    ']',
  'gu',
);

/** The text with every such character written as `\u{…}`. */
export function revealInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16).padStart(4, '0')}}`);
}

/**
 * JSON text (from `JSON.stringify`) with every such character written as a JSON escape (`\u202e`, a pair for one
 * beyond U+FFFF): a person reading the file sees it, a JSON parser still gets the exact string back (raw records
 * stay byte for byte what was ingested). Safe on any JSON text: these characters can only occur inside its strings.
 */
export function escapeInvisibleInJson(json: string): string {
  return json.replace(INVISIBLE, (c) => {
    let out = '';
    for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}
