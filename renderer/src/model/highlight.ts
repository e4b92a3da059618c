/**
 * The raw record, shown as text with the fields the chain relied on marked. Pure: a JSON re-indenter that keeps
 * every token exactly as the evidence has it (numbers are not re-parsed, string escapes are not re-written —
 * JSON.parse/stringify would round large numbers), and a scanner that finds the text span of a dotted field
 * path (`userIdentity.accessKeyId`, `resources.0.ARN`) in it. Rendering wraps those spans in elements; no HTML
 * is ever built from record text.
 */

interface Token {
  kind: 'punct' | 'string' | 'atom';
  start: number;
  end: number;
}

function tokenize(text: string): Token[] | null {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++;
      continue;
    }
    const ch = text[i]!;
    if ('{}[]:,'.includes(ch)) {
      out.push({ kind: 'punct', start: i, end: i + 1 });
      i++;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= n) return null;
      out.push({ kind: 'string', start: i, end: j + 1 });
      i = j + 1;
    } else if (/[-0-9a-z]/.test(ch)) {
      let j = i + 1;
      while (j < n && /[-+.0-9a-zA-Z]/.test(text[j]!)) j++;
      const atom = text.slice(i, j);
      if (!/^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?)$/.test(atom)) return null;
      out.push({ kind: 'atom', start: i, end: j });
      i = j;
    } else return null;
  }
  return out;
}

/** Re-indent JSON text (2 spaces, like JSON.stringify(v, null, 2)) keeping each token verbatim; null if not JSON. */
export function prettyJson(raw: string): string | null {
  const toks = tokenize(raw);
  if (!toks || toks.length === 0) return null;
  const parts: string[] = [];
  const stack: string[] = [];
  const nl = () => '\n' + '  '.repeat(stack.length);
  for (let t = 0; t < toks.length; t++) {
    const tok = toks[t]!;
    const s = raw.slice(tok.start, tok.end);
    if (tok.kind !== 'punct') {
      parts.push(s);
      continue;
    }
    const next = toks[t + 1];
    const nextText = next ? raw.slice(next.start, next.end) : '';
    switch (s) {
      case '{':
      case '[': {
        const close = s === '{' ? '}' : ']';
        if (nextText === close) {
          parts.push(s + close);
          t++;
        } else {
          stack.push(close);
          parts.push(s + nl());
        }
        break;
      }
      case '}':
      case ']':
        if (stack.pop() !== s) return null;
        parts.push(nl() + s);
        break;
      case ',':
        if (stack.length === 0) return null;
        parts.push(',' + nl());
        break;
      case ':':
        parts.push(': ');
        break;
    }
  }
  if (stack.length !== 0) return null;
  const text = parts.join('');
  return highlightSpans(text, []) === null ? null : text;
}

export interface Span {
  start: number;
  end: number;
  path: string;
}

/**
 * The spans of `prettyJson` text that hold the members named by `fieldPaths` (key through value). Nested
 * matches collapse into their outermost span. Paths not in the record are simply absent. Null if not JSON.
 */
export function highlightSpans(prettyJsonText: string, fieldPaths: readonly string[]): Span[] | null {
  const toks = tokenize(prettyJsonText);
  if (!toks || toks.length === 0) return null;
  const wanted = new Set(fieldPaths);
  const found: Span[] = [];
  let t = 0;
  const text = prettyJsonText;
  const str = (tok: Token) => text.slice(tok.start, tok.end);

  // Recursive descent over the token list; returns the end offset of the value or -1 on a syntax error.
  function value(path: string[], depth: number): number {
    const tok = toks![t];
    if (!tok || depth > 512) return -1;
    const s = str(tok);
    if (tok.kind !== 'punct') {
      t++;
      return tok.end;
    }
    if (s !== '{' && s !== '[') return -1;
    const isObj = s === '{';
    const close = isObj ? '}' : ']';
    t++;
    let index = 0;
    if (toks![t] && str(toks![t]!) === close) return toks![t++]!.end;
    for (;;) {
      let memberStart: number;
      let seg: string;
      if (isObj) {
        const key = toks![t];
        if (!key || key.kind !== 'string' || !toks![t + 1] || str(toks![t + 1]!) !== ':') return -1;
        try {
          seg = JSON.parse(str(key)) as string;
        } catch {
          return -1;
        }
        memberStart = key.start;
        t += 2;
      } else {
        seg = String(index);
        memberStart = toks![t]?.start ?? -1;
      }
      const childPath = [...path, seg];
      const end = value(childPath, depth + 1);
      if (end < 0) return -1;
      const joined = childPath.join('.');
      if (wanted.has(joined)) found.push({ start: memberStart, end, path: joined });
      index++;
      const sep = toks![t];
      if (!sep) return -1;
      const ss = str(sep);
      t++;
      if (ss === close) return sep.end;
      if (ss !== ',') return -1;
    }
  }

  if (value([], 0) < 0 || t !== toks.length) return null;
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const outer: Span[] = [];
  for (const s of found) {
    const last = outer[outer.length - 1];
    if (last && s.start < last.end) continue;
    outer.push(s);
  }
  return outer;
}

export interface Segment {
  text: string;
  mark: string | null;
}

/** Text cut at span edges: what the component renders, marked segments in <mark>. */
export function segments(text: string, spans: readonly Span[]): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const s of spans) {
    if (s.start < at || s.end > text.length) continue;
    if (s.start > at) out.push({ text: text.slice(at, s.start), mark: null });
    out.push({ text: text.slice(s.start, s.end), mark: s.path });
    at = s.end;
  }
  if (at < text.length) out.push({ text: text.slice(at), mark: null });
  return out;
}
