/**
 * What the table's search box means, and how a record is checked against it exactly.
 *
 * - `path:glob` terms (`requestParameters.secretId:prod/*`, `userIdentity.arn:"arn:aws:iam::1:role/a b"`): the
 *   value at that path of the record (keys compared without ASCII case; arrays are looked through at every step; an
 *   object or array at the end stands for every value under it) matches the glob as a whole: `*` any run of
 *   characters, `?` one, ASCII case ignored. A path is a dotted path (`a.b`), or one of CloudTrail's top-level
 *   fields (`eventName:Get*`); anything else with a colon in it (`arn:aws:…`, a time) is free text.
 * - The rest of the box is one free-text phrase, as typed: it matches an event when it is a substring of one of the
 *   table's columns (event name and source, principal ARN, source IP, user agent, key, eventID — as before), or
 *   when it occurs in the record's text anywhere (request and response parameters included) on whole tokens — the
 *   phrase neither starts nor ends inside a run of letters and digits of the record (`prod-east-checkout-api`
 *   finds `secret:prod-east-checkout-api/credentials-UrtZNl`; `checkout-ap` does not, in the raw text).
 *
 * Terms are ANDed. Whole tokens are what makes the raw text searchable from an index: every token of a match is a
 * whole token of the record, so a block whose filter (ingest/block-filter.ts) lacks one holds no match.
 */
import { asciiLower, isTokenUnit, tokensOf } from '../ingest/block-filter';

export type SearchTerm =
  | { kind: 'text'; text: string; key: string }
  | { kind: 'field'; path: string[]; pattern: string; key: string };

/** CloudTrail's top-level record fields: `eventName:x` is a field term, `arn:x` is not. */
const TOP_LEVEL = new Set(
  [
    'eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent',
    'errorCode', 'errorMessage', 'requestParameters', 'responseElements', 'additionalEventData', 'requestID', 'eventID',
    'readOnly', 'resources', 'eventType', 'apiVersion', 'managementEvent', 'recipientAccountId', 'sharedEventID',
    'serviceEventDetails', 'vpcEndpointId', 'vpcEndpointAccountId', 'eventCategory', 'tlsDetails',
    'sessionCredentialFromConsole', 'insightDetails', 'edgeDeviceDetails', 'annotation',
  ].map((k) => k.toLowerCase()),
);

const FIELD_TERM = /(^|\s)([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*):("(?:[^"\\]|\\.)*"|\S*)/g;

/** The terms of a search box's text (none for blank text). */
export function parseSearch(input: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  const rest: string[] = [];
  let last = 0;
  for (const m of input.matchAll(FIELD_TERM)) {
    const path = m[2]!;
    if (!path.includes('.') && !TOP_LEVEL.has(path.toLowerCase())) continue;
    let pattern = m[3]!;
    if (pattern.length >= 2 && pattern.startsWith('"') && pattern.endsWith('"')) pattern = pattern.slice(1, -1).replace(/\\(.)/g, '$1');
    const at = m.index + m[1]!.length;
    rest.push(input.slice(last, at));
    last = at + m[0].length - m[1]!.length;
    const segments = path.split('.');
    terms.push({ kind: 'field', path: segments, pattern, key: `f\0${asciiLower(segments.join('.'))}\0${asciiLower(pattern)}` });
  }
  rest.push(input.slice(last));
  // Without field terms the phrase is the text as typed (trimmed); with them, what is left between them.
  const text = terms.length === 0 ? input.trim() : rest.map((s) => s.trim()).filter((s) => s !== '').join(' ');
  if (text !== '') terms.unshift({ kind: 'text', text, key: `t\0${asciiLower(text)}` });
  return terms;
}

/** Whether a free-text phrase reaches the raw record: it needs a letter or digit (a token) to be looked up. */
export function searchesRaw(term: SearchTerm): boolean {
  return term.kind === 'field' || tokensOf(term.text).length > 0;
}

/**
 * Whether a term is free text of one token and nothing else (`Decrypt`, not `kms:Decrypt` or `Decrypt,`): its every
 * match is a whole token of the record, found either inside a column value (the column search's match, a substring
 * of the value) or outside them, which is all a block filter is asked for (block-filter.ts, "Column values apart").
 */
export function isBareToken(term: SearchTerm): boolean {
  if (term.kind !== 'text' || term.text === '') return false;
  for (let i = 0; i < term.text.length; i++) if (!isTokenUnit(term.text.charCodeAt(i))) return false;
  return true;
}

/** Tokens a number's text can have (`1e+21`, `100`): not required of a block, since raw and parsed numbers differ. */
const NUMBER_TOKEN = /^[0-9e]+$/;

/**
 * Tokens every record that matches the term holds (lower-cased): a block whose filter lacks one holds no match.
 * A free-text phrase: all of its tokens. A field term: its path's tokens (the keys are in the record's text) and
 * the tokens of the glob that no wildcard cuts.
 */
export function requiredTokens(term: SearchTerm): string[] {
  if (term.kind === 'text') return [...new Set(tokensOf(term.text))];
  const out = new Set<string>();
  for (const seg of term.path) for (const t of tokensOf(seg)) out.add(t);
  const p = term.pattern;
  let segStart = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i < p.length && p[i] !== '*' && p[i] !== '?') continue;
    // A literal run [segStart, i): its tokens not touching a wildcard at either end.
    let start = -1;
    for (let j = segStart; j <= i; j++) {
      const tok = j < i && isTokenUnit(p.charCodeAt(j));
      if (tok && start < 0) start = j;
      else if (!tok && start >= 0) {
        const cutAtStart = start === segStart && segStart > 0;
        const cutAtEnd = j === i && i < p.length;
        const t = asciiLower(p.slice(start, j));
        if (!cutAtStart && !cutAtEnd && !NUMBER_TOKEN.test(t)) out.add(t);
        start = -1;
      }
    }
    segStart = i + 1;
  }
  return [...out];
}

/** Whether a free-text phrase occurs in a record's searchable text on whole tokens (ASCII case ignored). */
export function textMatches(phrase: string, searchable: string): boolean {
  const needle = asciiLower(phrase);
  if (needle === '') return false;
  const hay = asciiLower(searchable);
  const first = needle.charCodeAt(0);
  const last = needle.charCodeAt(needle.length - 1);
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) {
    if (isTokenUnit(first) && at > 0 && isTokenUnit(hay.charCodeAt(at - 1))) continue;
    const end = at + needle.length;
    if (isTokenUnit(last) && end < hay.length && isTokenUnit(hay.charCodeAt(end))) continue;
    return true;
  }
  return false;
}

/** A glob as an anchored regular expression over ASCII-lower-cased text. */
export function globRegExp(pattern: string): RegExp {
  const body = asciiLower(pattern).replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : `\\${c}`));
  return new RegExp(`^${body}$`);
}

/** The leaf values (strings, numbers, booleans, null) at a path of a parsed record. */
export function valuesAt(record: unknown, path: readonly string[]): unknown[] {
  const out: unknown[] = [];
  const leaves = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) leaves(x);
    else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) leaves(x);
    else out.push(v);
  };
  const walk = (v: unknown, i: number): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, i);
      return;
    }
    if (i === path.length) {
      leaves(v);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const want = asciiLower(path[i]!);
    for (const [k, x] of Object.entries(v)) if (asciiLower(k) === want) walk(x, i + 1);
  };
  walk(record, 0);
  return out;
}

/** Whether a parsed record has a value at the term's path that matches its glob. */
export function fieldMatches(term: Extract<SearchTerm, { kind: 'field' }>, record: unknown, re: RegExp = globRegExp(term.pattern)): boolean {
  return valuesAt(record, term.path).some((v) => re.test(asciiLower(String(v))));
}

/** A field of a parsed record as a table cell: text as is, other values as JSON, several joined; null: none. */
export function fieldText(record: unknown, path: readonly string[]): string | null {
  const values = valuesAt(record, path);
  if (values.length === 0) return null;
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}
