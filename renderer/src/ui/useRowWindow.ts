/**
 * The rows of the event table in view (model/row-window.ts): follows the scroller's offset and height, and draws
 * again only when the first row in view or the height changes.
 */
import { useCallback, useLayoutEffect, useState, type RefObject } from 'react';
import { rowRange, scrollTopFor, type RowAlign, type RowWindowGeometry } from '../model/row-window';

export interface RowWindow {
  /** Rows to draw, [first, last] (first > last: none). */
  first: number;
  last: number;
  /** Height of all the rows (px). */
  totalSize: number;
  /** Scroll so that row `index` is in view (see `scrollTopFor`). */
  scrollToIndex(index: number, align?: RowAlign): void;
}

/** `g`: one object for the table's life (a module constant). */
export function useRowWindow(scroller: RefObject<HTMLElement | null>, count: number, g: RowWindowGeometry): RowWindow {
  // The scroll offset rounded down to a whole row: a scroll within a row changes nothing drawn.
  const [view, setView] = useState({ rowTop: 0, height: 0 });
  const { row } = g;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const read = () => {
      const rowTop = Math.floor(el.scrollTop / row) * row;
      const height = el.clientHeight;
      setView((v) => (v.rowTop === rowTop && v.height === height ? v : { rowTop, height }));
    };
    read();
    el.addEventListener('scroll', read, { passive: true });
    const ro = new ResizeObserver(read);
    ro.observe(el);
    return () => {
      el.removeEventListener('scroll', read);
      ro.disconnect();
    };
  }, [scroller, row]);
  // (rowTop is at most a row above the real offset: one row more may be drawn at the top, never one fewer.)
  const { first, last } = rowRange(count, view.rowTop, view.height + row, g);
  const scrollToIndex = useCallback(
    (index: number, align: RowAlign = 'auto') => {
      const el = scroller.current;
      if (!el) return;
      const top = scrollTopFor(index, el.scrollTop, el.clientHeight, g, align);
      if (top !== null) el.scrollTop = top;
    },
    [scroller, g],
  );
  return { first, last, totalSize: Math.max(0, count) * row, scrollToIndex };
}
