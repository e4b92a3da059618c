import { describe, expect, it } from 'vitest';
import { PageCache, PageLoader, blockFor, pagesFor, rowsPerBlock } from '../../../renderer/src/model/page-cache';

describe('pagesFor', () => {
  it('covers the visible rows plus overscan, within the total', () => {
    expect(pagesFor(390, 420, 200, 1_000_000, 1)).toEqual([0, 1, 2, 3]);
    expect(pagesFor(0, 30, 200, 50, 1)).toEqual([0]);
    expect(pagesFor(999_990, 1_000_020, 200, 1_000_000, 1)).toEqual([4998, 4999]);
    expect(pagesFor(0, 10, 200, 0)).toEqual([]);
  });
});

describe('PageCache', () => {
  it('claims each missing page once, until it arrives or fails', () => {
    const c = new PageCache<number>(200);
    expect(c.claim(0, 30, 10_000, 0)).toEqual([0]);
    expect(c.claim(0, 30, 10_000, 0)).toEqual([]);
    c.release(0);
    expect(c.claim(0, 30, 10_000, 0)).toEqual([0]);
    c.put(0, Array.from({ length: 200 }, (_, i) => i));
    expect(c.get(199)).toBe(199);
    expect(c.get(200)).toBeUndefined();
    expect(c.claim(150, 260, 10_000, 0)).toEqual([1]);
  });

  it('drops the pages farthest from where the user is looking', () => {
    const c = new PageCache<number>(10, 3);
    for (const p of [0, 1, 2, 50, 51]) c.put(p, [p]);
    expect(c.evict(505).sort((a, b) => a - b)).toEqual([0, 1]);
    expect(c.hasPage(2) && c.hasPage(50) && c.hasPage(51)).toBe(true);
    expect(c.size).toBe(3);
  });

  it('serves a million-row table from a bounded number of pages', () => {
    const c = new PageCache<number>(200, 16);
    for (let first = 0; first < 1_000_000; first += 37_000) {
      for (const p of c.claim(first, first + 40, 1_000_000)) c.put(p, new Array(200).fill(p));
      c.evict(first);
      expect(c.size).toBeLessThanOrEqual(16);
      expect(c.get(first)).toBe(Math.floor(first / 200));
    }
  });
});

describe('blocks', () => {
  it('splits tables taller than a browser allows into blocks', () => {
    const rows = rowsPerBlock(32_000_000, 22);
    expect(rows).toBe(1_454_545);
    expect(blockFor(10, 1000, rows)).toEqual({ base: 0, count: 1000 });
    expect(blockFor(2_000_000, 3_000_000, 1_000_000)).toEqual({ base: 2_000_000, count: 1_000_000 });
    expect(blockFor(2_999_999, 2_500_000, 1_000_000)).toEqual({ base: 2_000_000, count: 500_000 });
  });
});

describe('PageLoader', () => {
  function setup(maxInflight = 2) {
    const requests: { page: number; resolve: (total: number) => void; reject: (e: Error) => void }[] = [];
    const loaded: number[] = [];
    const failures: unknown[] = [];
    const loader = new PageLoader<number>(
      (page) =>
        new Promise((resolve, reject) =>
          requests.push({ page, resolve: (total) => resolve({ rows: Array.from({ length: 10 }, (_, i) => page * 10 + i), total }), reject }),
        ),
      { loaded: (_t, p) => loaded.push(p), failed: (e) => failures.push(e) },
      10,
      8,
      maxInflight,
    );
    return { loader, requests, loaded, failures };
  }
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('asks for at most maxInflight pages at once, nearest to the viewport first', async () => {
    const { loader, requests } = setup(2);
    loader.want(50, 59, 1000, 2);
    expect(requests.map((r) => r.page)).toEqual([5, 6]);
    requests[0]!.resolve(1000);
    await tick();
    expect(requests.map((r) => r.page)).toEqual([5, 6, 4]);
    expect(loader.cache.get(55)).toBe(55);
  });

  it('forgets pages a fast scroll left behind instead of fetching a backlog', async () => {
    const { loader, requests } = setup(1);
    loader.want(0, 9, 100_000, 2);
    loader.want(5000, 5009, 100_000, 0);
    loader.want(90_000, 90_009, 100_000, 0);
    requests[0]!.resolve(100_000);
    await tick();
    expect(requests.map((r) => r.page)).toEqual([0, 9000]);
  });

  it('loads a jump target ahead of the queue and resolves when it arrives', async () => {
    const { loader, requests } = setup(1);
    loader.want(0, 9, 1000, 3);
    let done = false;
    void loader.load(70).then(() => (done = true));
    requests[0]!.resolve(1000);
    await tick();
    expect(requests[1]!.page).toBe(70);
    requests[1]!.resolve(1000);
    await tick();
    expect(done).toBe(true);
    expect(loader.cache.get(705)).toBe(705);
  });

  it('reports a failed page and lets it be asked for again', async () => {
    const { loader, requests, failures } = setup(1);
    loader.want(0, 9, 1000, 0);
    requests[0]!.reject(new Error('engine stopped'));
    await tick();
    expect(failures).toHaveLength(1);
    loader.want(0, 9, 1000, 0);
    expect(requests.map((r) => r.page)).toEqual([0, 0]);
  });

  it('ignores answers that arrive after it was closed (the query changed)', async () => {
    const { loader, requests, loaded } = setup(1);
    loader.want(0, 9, 1000, 0);
    loader.close();
    requests[0]!.resolve(1000);
    await tick();
    expect(loaded).toEqual([]);
    expect(loader.cache.get(0)).toBeUndefined();
  });
});
