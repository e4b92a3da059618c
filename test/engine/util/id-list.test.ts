import { describe, expect, it } from 'vitest';
import { IdList } from '../../../electron/engine/util/id-list';

describe('IdList', () => {
  it('keeps every id pushed, in order, as it grows past its room', () => {
    const list = new IdList(2);
    const want: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const id = (i * 7919) % 1009;
      list.push(id);
      want.push(id);
    }
    list.pushAll(Int32Array.from([5, 3, 2_000_000_000]));
    list.pushAll([9, 9]);
    want.push(5, 3, 2_000_000_000, 9, 9);
    expect(list.length).toBe(want.length);
    expect([...list.toArray()]).toEqual(want);
  });

  it('gives its ids ascending and distinct, in an array of their own length', () => {
    const list = new IdList(1);
    list.pushAll(Int32Array.from([4, 1, 4, 3, 1, 0, 70_000, 3]));
    for (let i = 0; i < 5000; i++) list.push(i % 7);
    const ids = list.sortedDistinct();
    expect([...ids]).toEqual([0, 1, 2, 3, 4, 5, 6, 70_000]);
    expect(ids.buffer.byteLength).toBe(8 * 4);
    expect(new IdList().sortedDistinct().length).toBe(0);
  });
});
