/**
 * Which rows of a table of fixed-height rows are in view, and where to scroll to show one: arithmetic, no layout.
 * A row's place is its index times the row height, so a table of a million rows costs no more to window than one of
 * ten (a general virtualizer lays out every row whenever the count changes: 94 ms at 1M rows, docs/architecture.md).
 *
 * The scroller's content is a header `head` pixels tall (sticky: it covers the top of the viewport), then the rows.
 */

export interface RowWindowGeometry {
  /** Row height (px). */
  row: number;
  /** Height of the sticky header above the rows (px). */
  head: number;
  /** Rows drawn beyond the viewport on either side. */
  overscan: number;
}

/** The rows to draw, [first, last] (first > last: none), for a scroll offset and viewport height. */
export function rowRange(count: number, scrollTop: number, viewport: number, g: RowWindowGeometry): { first: number; last: number } {
  if (count <= 0 || viewport <= 0) return { first: 0, last: -1 };
  // Row i's box is [head + i·row, head + (i+1)·row) in content coordinates; what shows of the rows is
  // [scrollTop + head, scrollTop + viewport) (the sticky header covers the viewport's top).
  const top = Math.max(0, scrollTop);
  const bottom = Math.max(0, scrollTop + viewport - g.head);
  const firstVisible = Math.min(count - 1, Math.floor(top / g.row));
  const lastVisible = Math.min(count - 1, Math.max(firstVisible, Math.ceil(bottom / g.row) - 1));
  return { first: Math.max(0, firstVisible - g.overscan), last: Math.min(count - 1, lastVisible + g.overscan) };
}

export type RowAlign = 'auto' | 'start' | 'center' | 'end';

/**
 * The scroll offset that shows row `index` (below the sticky header), or null when it is in view already
 * (`auto`). `start`: the row just under the header; `end`: at the bottom edge; `center`: in the middle of the rows'
 * part of the viewport; `auto`: the nearest edge, or no scroll when the row is whole in view.
 */
export function scrollTopFor(index: number, scrollTop: number, viewport: number, g: RowWindowGeometry, align: RowAlign = 'auto'): number | null {
  const rowTop = g.head + index * g.row; // in content coordinates
  const atStart = rowTop - g.head;
  const atEnd = rowTop + g.row - viewport;
  let target: number;
  switch (align) {
    case 'start':
      target = atStart;
      break;
    case 'end':
      target = atEnd;
      break;
    case 'center':
      target = rowTop + g.row / 2 - g.head - (viewport - g.head) / 2;
      break;
    default:
      if (rowTop >= scrollTop + g.head && rowTop + g.row <= scrollTop + viewport) return null;
      target = rowTop < scrollTop + g.head ? atStart : atEnd;
  }
  return Math.max(0, Math.round(target));
}
