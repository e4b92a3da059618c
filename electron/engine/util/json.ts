/** Null-safe accessors for untrusted parsed JSON: every nested field of a log record may be absent or mistyped. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function obj(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function arr(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

/** `get(record, 'userIdentity', 'sessionContext', 'sessionIssuer', 'arn')` without throwing. */
export function get(value: unknown, ...path: string[]): Json | undefined {
  let cur: unknown = value;
  for (const key of path) {
    const o = obj(cur);
    if (!o || !Object.prototype.hasOwnProperty.call(o, key)) return undefined;
    cur = o[key];
  }
  return cur as Json | undefined;
}

export function getStr(value: unknown, ...path: string[]): string | undefined {
  return str(get(value, ...path));
}
