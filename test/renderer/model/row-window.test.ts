/** The event table's windowing arithmetic (renderer/src/model/row-window.ts). */
import { describe, expect, it } from 'vitest';
import { rowRange, scrollTopFor } from '../../../renderer/src/model/row-window';

const g = { row: 22, head: 22, overscan: 2 };

describe('rowRange', () => {
  it('gives the rows under the header at the top, with the overscan below only', () => {
    // 220 px of viewport: the header's 22, then rows 0–8 (9 × 22 = 198).
    expect(rowRange(1000, 0, 220, g)).toEqual({ first: 0, last: 8 + 2 });
  });

  it('follows the scroll offset: a row partly in view is drawn', () => {
    // Scrolled by 5 rows and a half: row 5 is half hidden under the header, row 14 partly at the bottom.
    expect(rowRange(1000, 5.5 * 22, 220, g)).toEqual({ first: 5 - 2, last: 14 + 2 });
  });

  it('stays within the rows there are, and gives none for no rows or no viewport', () => {
    expect(rowRange(5, 0, 2200, g)).toEqual({ first: 0, last: 4 });
    expect(rowRange(1000, 990 * 22, 220, g)).toEqual({ first: 988, last: 999 });
    expect(rowRange(0, 0, 220, g)).toEqual({ first: 0, last: -1 });
    expect(rowRange(1000, 0, 0, g)).toEqual({ first: 0, last: -1 });
  });

  it('costs the same for a million rows as for ten (no per-row work)', () => {
    expect(rowRange(1_450_000, 1_000_000 * 22, 880, g)).toEqual({ first: 999_998, last: 1_000_038 + 2 });
  });
});

describe('scrollTopFor', () => {
  it('does not scroll for a row whole in view (auto), and scrolls to the nearest edge otherwise', () => {
    // Viewport 220 at offset 220: rows 10–18 whole in view below the header.
    expect(scrollTopFor(10, 220, 220, g)).toBeNull();
    expect(scrollTopFor(18, 220, 220, g)).toBeNull();
    // Row 9 is under the header: brought just below it. Row 19 is past the bottom: brought to the bottom edge.
    expect(scrollTopFor(9, 220, 220, g)).toBe(9 * 22);
    expect(scrollTopFor(19, 220, 220, g)).toBe(22 + 20 * 22 - 220);
  });

  it('puts a row just under the header (start), at the bottom (end) or in the middle of the rows (center)', () => {
    expect(scrollTopFor(100, 0, 220, g, 'start')).toBe(100 * 22);
    expect(scrollTopFor(100, 0, 220, g, 'end')).toBe(22 + 101 * 22 - 220);
    // The rows' part of the viewport is 198 px: row 100's middle at 99 px below the header.
    const top = scrollTopFor(100, 0, 220, g, 'center')!;
    expect(22 + 100 * 22 + 11 - (top + 22)).toBe(99);
  });

  it('never scrolls above the top', () => {
    expect(scrollTopFor(0, 500, 220, g, 'center')).toBe(0);
    expect(scrollTopFor(0, 500, 220, g, 'end')).toBe(0);
  });
});
