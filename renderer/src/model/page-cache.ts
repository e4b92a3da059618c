/**
 * The event table's window onto the engine: rows are fetched in pages as the viewport moves, kept while near,
 * dropped when far, so memory stays flat at any number of events. Pure bookkeeping; the component fetches.
 */

/** Page indexes covering rows [first, last], plus `overscan` pages either side, within `total` rows. */
export function pagesFor(first: number, last: number, pageSize: number, total: number, overscan = 1): number[] {
  if (total <= 0 || last < first) return [];
  const lastPage = Math.floor((total - 1) / pageSize);
  const a = Math.max(0, Math.floor(Math.max(0, first) / pageSize) - overscan);
  const b = Math.min(lastPage, Math.floor(Math.min(total - 1, last) / pageSize) + overscan);
  const out: number[] = [];
  for (let p = a; p <= b; p++) out.push(p);
  return out;
}

export class PageCache<T> {
  private readonly pages = new Map<number, T[]>();
  private readonly inflight = new Set<number>();

  constructor(
    readonly pageSize: number,
    readonly maxPages = 16,
  ) {}

  get size(): number {
    return this.pages.size;
  }

  get(index: number): T | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  hasPage(page: number): boolean {
    return this.pages.has(page);
  }

  /** Pages the viewport needs that are neither cached nor on their way; marks them in flight. */
  claim(first: number, last: number, total: number, overscan = 1): number[] {
    const need = pagesFor(first, last, this.pageSize, total, overscan).filter((p) => !this.pages.has(p) && !this.inflight.has(p));
    for (const p of need) this.inflight.add(p);
    return need;
  }

  put(page: number, rows: T[]): void {
    this.inflight.delete(page);
    this.pages.set(page, rows);
  }

  /** A fetch failed: the page may be claimed again. */
  release(page: number): void {
    this.inflight.delete(page);
  }

  /** Keep at most maxPages, dropping those farthest from the row the user is looking at. */
  evict(centerIndex: number): number[] {
    if (this.pages.size <= this.maxPages) return [];
    const center = Math.floor(centerIndex / this.pageSize);
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - center) - Math.abs(a - center) || b - a);
    const dropped = far.slice(0, this.pages.size - this.maxPages);
    for (const p of dropped) this.pages.delete(p);
    return dropped;
  }
}

/**
 * Browsers cap an element's height (Chromium ~33.5M px, Firefox ~17.9M px), so a scroller over millions of rows
 * shows them in blocks of at most this many rows; the table offers the neighbouring blocks.
 */
export function rowsPerBlock(maxPx: number, rowHeight: number): number {
  return Math.max(1, Math.floor(maxPx / rowHeight));
}

/** The block holding absolute row `index`: its first row and its length. */
export function blockFor(index: number, total: number, blockRows: number): { base: number; count: number } {
  if (total <= blockRows) return { base: 0, count: Math.max(0, total) };
  const i = Math.max(0, Math.min(index, total - 1));
  const base = Math.floor(i / blockRows) * blockRows;
  return { base, count: Math.min(blockRows, total - base) };
}

/**
 * Fetches the pages the viewport wants, at most `maxInflight` at a time, nearest first. Each call of `want`
 * replaces the queue, so pages a fast scroll has already left behind are never requested: the engine answers
 * what is on screen, not a backlog.
 */
export class PageLoader<T> {
  readonly cache: PageCache<T>;
  private queue: number[] = [];
  private inflight = new Set<number>();
  private readonly waiters = new Map<number, (() => void)[]>();
  private closed = false;

  constructor(
    private readonly fetchPage: (page: number) => Promise<{ rows: T[]; total: number }>,
    private readonly events: { loaded(total: number, page: number): void; failed(err: unknown): void },
    pageSize: number,
    maxPages = 16,
    private readonly maxInflight = 2,
  ) {
    this.cache = new PageCache<T>(pageSize, maxPages);
  }

  get pending(): number {
    return this.inflight.size + this.queue.length;
  }

  /** The viewport shows rows [first, last]: fetch what is missing around them, drop far pages. */
  want(first: number, last: number, total: number, overscan = 1): void {
    const center = (first + last) / 2 / this.cache.pageSize;
    this.queue = pagesFor(first, last, this.cache.pageSize, total, overscan)
      .filter((p) => !this.cache.hasPage(p) && !this.inflight.has(p))
      .sort((a, b) => Math.abs(a - center) - Math.abs(b - center));
    this.cache.evict(Math.floor((first + last) / 2));
    this.pump();
  }

  /** One page, ahead of the queue (a jump); resolves when it is cached (or failed). */
  load(page: number): Promise<void> {
    if (this.cache.hasPage(page)) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.set(page, [...(this.waiters.get(page) ?? []), resolve]));
    if (!this.inflight.has(page)) {
      this.queue = [page, ...this.queue.filter((p) => p !== page)];
      this.pump();
    }
    return done;
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    for (const ws of this.waiters.values()) for (const w of ws) w();
    this.waiters.clear();
  }

  private pump(): void {
    while (!this.closed && this.inflight.size < this.maxInflight && this.queue.length > 0) {
      const page = this.queue.shift()!;
      if (this.cache.hasPage(page) || this.inflight.has(page)) continue;
      this.inflight.add(page);
      this.fetchPage(page).then(
        (r) => {
          this.inflight.delete(page);
          if (this.closed) return;
          this.cache.put(page, r.rows);
          this.settle(page);
          this.events.loaded(r.total, page);
          this.pump();
        },
        (err: unknown) => {
          this.inflight.delete(page);
          if (this.closed) return;
          this.settle(page);
          this.events.failed(err);
          this.pump();
        },
      );
    }
  }

  private settle(page: number): void {
    for (const w of this.waiters.get(page) ?? []) w();
    this.waiters.delete(page);
  }
}
