/** Keyboard: `/` search, `j`/`k` move, Enter opens the chain, `e` export, Escape leaves a field. Pure. */
export type KeyAction = 'focus-search' | 'next' | 'prev' | 'open' | 'export' | 'blur' | 'close';

export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** The event target is an input, textarea, select or contenteditable. */
  editing: boolean;
  /** The event target is a button or link, where Enter already means "activate". */
  onControl?: boolean;
}

export function keyAction(k: KeyInput): KeyAction | null {
  if (k.editing) return k.key === 'Escape' ? 'blur' : null;
  if (k.ctrlKey || k.metaKey || k.altKey) return null;
  switch (k.key) {
    case '/':
      return 'focus-search';
    case 'j':
    case 'ArrowDown':
      return 'next';
    case 'k':
    case 'ArrowUp':
      return 'prev';
    case 'Enter':
      return k.onControl ? null : 'open';
    case 'e':
      return 'export';
    case 'Escape':
      return 'close';
    default:
      return null;
  }
}

export function isEditable(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const el = target as HTMLElement;
  const tag = el.tagName.toLowerCase();
  return tag === 'input' || tag === 'textarea' || tag === 'select' || el.isContentEditable === true;
}

export function isControl(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const tag = (target as HTMLElement).tagName.toLowerCase();
  return tag === 'button' || tag === 'a' || tag === 'summary';
}
