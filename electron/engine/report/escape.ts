/** Escaping for the HTML report; `revealInvisible` (shared/invisible.ts) makes invisible characters visible. */
import { revealInvisible } from '../../../shared/invisible';

export { revealInvisible };

export function escapeHtml(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return revealInvisible(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
