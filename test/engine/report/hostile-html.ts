/**
 * What a report on hostile evidence must hold to (shared by the report tests): the report's executable surface is
 * the template's, nothing more; no invisible character reaches it raw; every CSV cell is neutralised.
 */
import { expect } from 'vitest';

/** Characters that must never reach a report raw (they are shown as `\u{…}` instead). */
export const INVISIBLE_RAW = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;
export const FORMULA_START = /^[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]/;

/** The report template's own elements (html.ts, chain-svg.ts). Anything else in a report came from evidence. */
export const TEMPLATE_TAGS = new Set([
  'html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'p', 'div', 'span', 'strong', 'code', 'pre', 'br', 'ul', 'ol', 'li',
  'table', 'tr', 'th', 'td', 'details', 'summary', 'svg', 'rect', 'text', 'line', 'polygon',
]);
const VOID_TAGS = new Set(['meta', 'br', 'rect', 'line', 'polygon']);

export const decode = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** Every tag of an HTML text: its name, attributes, and whether it closes. */
export function tags(html: string) {
  return [...html.matchAll(/<(\/?)([A-Za-z][\w:-]*)([^>]*)>/g)].map((m) => ({
    close: m[1] === '/',
    name: m[2]!.toLowerCase(),
    attrs: [...m[3]!.matchAll(/([^\s=/"']+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/g)].map((a) => ({ name: a[1]!.toLowerCase(), value: a[2]!.replace(/^["']|["']$/g, '') })),
  }));
}

/** What a reader sees: the text between the tags, entities decoded (style and title contents included). */
export const visibleText = (html: string) => decode(html.replace(/<[^>]*>/g, ''));

/** The report's executable surface is the template's, nothing more. */
export function expectNoExecutableMarkup(html: string): void {
  const all = tags(html);
  expect(all.filter((t) => !TEMPLATE_TAGS.has(t.name)).map((t) => t.name), 'elements from evidence').toEqual([]);
  for (const t of all) {
    for (const a of t.attrs) {
      expect(a.name.startsWith('on'), `<${t.name} ${a.name}>`).toBe(false);
      expect(['href', 'src', 'srcdoc', 'xlink:href', 'action', 'formaction', 'style', 'autofocus'], `<${t.name} ${a.name}>`).not.toContain(a.name);
      expect(a.value, `<${t.name} ${a.name}>`).not.toMatch(/javascript:|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
    }
  }
  expect(all.filter((t) => t.name === 'style' && !t.close)).toHaveLength(1);
  expect(all.filter((t) => t.name === 'meta' && t.attrs.some((a) => a.value.toLowerCase() === 'content-security-policy'))).toHaveLength(1);
  // Balanced: no field closed an element early or left one open.
  const stack: string[] = [];
  for (const t of all) {
    if (VOID_TAGS.has(t.name)) continue;
    if (!t.close) stack.push(t.name);
    else expect(stack.pop(), `</${t.name}>`).toBe(t.name);
  }
  expect(stack).toEqual([]);
  expect(html).not.toMatch(INVISIBLE_RAW);
  expect(html.trimEnd().endsWith('</html>')).toBe(true);
}
