/**
 * The one check every API input passes before anything runs it: the method exists, the value is no deeper than
 * `MAX_INPUT_DEPTH`, and it fits the method's zod schema (shared/api.ts). The host (host.ts) checks here before a
 * call crosses to its worker, since `postMessage` clones recursively and a value nested 100 000 deep overflows the
 * stack there; the worker's dispatcher checks again (case-service.ts), for callers that reach it directly.
 */
import { API, isApiName, type ApiResult } from '../../../shared/api';

/** Deepest nesting an API input may have. The deepest schema (events.locate → query → filters → …) needs 4. */
export const MAX_INPUT_DEPTH = 32;

/**
 * Whether a JSON-like value nests objects or arrays more than `limit` deep (a bare value is depth 0, `[]` is 1).
 * Iterative, so it measures values too deep for any recursive walk; it stops at the first branch past the limit.
 */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

export const tooDeep = (name: string) => `${name}: input nested deeper than ${MAX_INPUT_DEPTH} levels`;

/** The input as the method's schema parses it, or the error to answer with. */
export function validateApiInput(name: string, input: unknown): ApiResult<unknown> {
  if (!isApiName(name)) return { ok: false, error: { code: 'unknown-method', message: `unknown method ${name}` } };
  if (exceedsDepth(input, MAX_INPUT_DEPTH)) return { ok: false, error: { code: 'bad-input', message: tooDeep(name) } };
  const parsed = API[name].input.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: { code: 'bad-input', message: `${name}: ${issue?.path.join('.') || 'input'}: ${issue?.message}` } };
  }
  return { ok: true, value: parsed.data };
}
