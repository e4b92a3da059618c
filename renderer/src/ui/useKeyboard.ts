/** The window's keys: / search, j/k (arrows) move, Enter opens the chain, e export, Escape closes or leaves a field. */
import { useEffect, useRef } from 'react';
import { isControl, isEditable, keyAction } from '../model/keys';

export interface KeyHandlers {
  focusSearch(): void;
  move(delta: 1 | -1): void;
  /** null when there is nothing to open (no selected row). */
  open: (() => void) | null;
  exportReport: (() => void) | null;
  close(): void;
}

export function useKeyboard(handlers: KeyHandlers): void {
  const h = useRef(handlers);
  useEffect(() => {
    h.current = handlers;
  });
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      const action = keyAction({ key: ev.key, ctrlKey: ev.ctrlKey, metaKey: ev.metaKey, altKey: ev.altKey, editing: isEditable(ev.target), onControl: isControl(ev.target) });
      const k = h.current;
      switch (action) {
        case null:
          return;
        case 'focus-search':
          ev.preventDefault();
          k.focusSearch();
          return;
        case 'next':
        case 'prev':
          ev.preventDefault();
          k.move(action === 'next' ? 1 : -1);
          return;
        case 'open':
          if (k.open) {
            ev.preventDefault();
            k.open();
          }
          return;
        case 'export':
          if (k.exportReport) {
            ev.preventDefault();
            k.exportReport();
          }
          return;
        case 'blur':
          (ev.target as HTMLElement).blur();
          return;
        case 'close':
          k.close();
          return;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
