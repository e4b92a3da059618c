/**
 * Duplicate keys in a JSON record. `JSON.parse('{"eventName":"A","eventName":"B"}')` keeps `"B"` without a word,
 * while other readers keep the first value or refuse the text: whoever wrote the evidence can make two tools
 * (PodTrail and the analyst's `jq`, or the UI and a report) show different facts for the same record. A record
 * with a repeated key, at any depth, is therefore refused by the normalisers with the key's path — the chain
 * rules read deep fields (`responseElements.credentials.accessKeyId`, session tags in `requestParameters`), and
 * the raw text is shown as proof, so every part of it must read one way only.
 *
 * The text has already been parsed successfully by `JSON.parse`, so it is valid JSON: this walk only tracks
 * structure and object keys. Strings are skipped with `indexOf` (a 1 MiB user agent costs one native search),
 * keys are compared as JSON.parse reads them (`"event\u004eame"` is `eventName`).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

interface Frame {
  object: boolean;
  /** Keys seen so far: a list while short (cheaper than a Set for the usual dozen keys), then a Set. */
  keys: string[] | Set<string> | null;
  expectKey: boolean;
  lastKey: string;
  index: number;
}

const SET_AFTER = 16;

function seen(frame: Frame, key: string): boolean {
  const keys = frame.keys!;
  if (Array.isArray(keys)) {
    for (let k = 0; k < keys.length; k++) if (keys[k] === key) return true;
    if (keys.length < SET_AFTER) keys.push(key);
    else frame.keys = new Set([...keys, key]);
    return false;
  }
  if (keys.has(key)) return true;
  keys.add(key);
  return false;
}

/** Where the closing quote of the string opened at `open` is. */
function stringEnd(text: string, open: number): number {
  let j = open + 1;
  for (;;) {
    j = text.indexOf('"', j);
    if (j === -1) return text.length; // not valid JSON; the caller parsed it, so this does not happen
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
    j++;
  }
}

function pathOf(stack: Frame[], key: string): string {
  let path = '';
  for (let f = 0; f < stack.length - 1; f++) {
    const frame = stack[f]!;
    path += frame.object ? (path ? '.' : '') + frame.lastKey : `[${frame.index}]`;
  }
  return path ? `${path}.${key}` : key;
}

/** The path of the first key that occurs twice in one object (`userIdentity.accessKeyId`), or null. */
export function findDuplicateKey(text: string): string | null {
  const stack: Frame[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    switch (c) {
      case QUOTE: {
        const end = stringEnd(text, i);
        const top = stack[stack.length - 1];
        if (top && top.object && top.expectKey) {
          let key = text.slice(i + 1, end);
          if (key.includes('\\')) key = JSON.parse(text.slice(i, end + 1)) as string;
          if (seen(top, key)) return pathOf(stack, key);
          top.lastKey = key;
          top.expectKey = false;
        }
        i = end;
        break;
      }
      case 0x7b: // {
        stack.push({ object: true, keys: [], expectKey: true, lastKey: '', index: 0 });
        break;
      case 0x5b: // [
        stack.push({ object: false, keys: null, expectKey: false, lastKey: '', index: 0 });
        break;
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop();
        break;
      case 0x2c: {
        // ,
        const top = stack[stack.length - 1];
        if (top) {
          if (top.object) top.expectKey = true;
          else top.index++;
        }
        break;
      }
      default:
        break;
    }
  }
  return null;
}

/** Keys of a parsed JSON value, at every depth (one per distinct key of each object). */
function parsedKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) n += parsedKeys(value[i]);
    return n;
  }
  const o = value as Record<string, unknown>;
  for (const k in o) n += 1 + parsedKeys(o[k]);
  return n;
}

/**
 * An upper bound on the keys written in JSON text: the unescaped quotes followed (after white space) by a colon.
 * Every key's closing quote is one; the only others are opening quotes of strings that start with white space and
 * a colon (`":x"`), which only make the bound larger.
 */
function keyBound(text: string): number {
  let n = 0;
  for (let j = text.indexOf('"'); j !== -1; j = text.indexOf('"', j + 1)) {
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 1) continue;
    let m = j + 1;
    let c = text.charCodeAt(m);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++m);
    if (c === 0x3a) n++;
  }
  return n;
}

/**
 * The message a normaliser rejects a record with, or null when every key is unique.
 *
 * `parsed`, when given, must be `JSON.parse(text)` itself, unmodified. Then a cheap count settles the usual case:
 * `JSON.parse` keeps one key per distinct name, so its keys number the text's keys less its duplicates, and the
 * text's keys are at most `written` (`keys`, the colons outside strings the scanner counted while splitting the
 * records, which is exactly the keys of valid JSON; or else `keyBound(text)`); when the two are equal there is no
 * duplicate. Otherwise (a duplicate, or for `keyBound` a string that starts with a colon) the text is walked key by
 * key to name the duplicate's path.
 */
export function duplicateKeyProblem(text: string, parsed?: unknown, keys?: number): string | null {
  if (parsed !== undefined && (keys ?? keyBound(text)) === parsedKeys(parsed)) return null;
  const path = findDuplicateKey(text);
  if (path === null) return null;
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return `duplicate key ${JSON.stringify(shown)}: JSON readers disagree on its value (JSON.parse keeps the last one), so the record is refused`;
}
