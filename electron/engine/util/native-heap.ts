/**
 * Give the C allocator's free memory back to the system.
 *
 * SQLite's page cache and sorters, the parse workers' buffers and zlib's state live in the C heap. When a load or a
 * correlation frees them, glibc keeps the pages in its arenas for the next allocation instead of returning them, so
 * the process stays as large as its busiest moment: the 1M-event case correlated in a plain process held 173 MB after
 * it, of which a forced collection, `PRAGMA shrink_memory` and closing the connection gave back nothing, and
 * `malloc_trim(0)` 75 MB in 30 ms (docs/benchmarks.md). Node has no call for it; it is reached through koffi (a
 * foreign-function library with prebuilt binaries for every platform Electron runs on).
 *
 * Linux with glibc only: macOS's and Windows' allocators return freed memory themselves, and musl has no
 * `malloc_trim`. Elsewhere, or when the library cannot be loaded, a trim does nothing and says why
 * (`nativeHeapTrim().reason`); it never throws.
 */

type Trim = (pad: number) => number;

interface TrimState {
  trim: Trim | null;
  reason: string | null;
}

let state: TrimState | undefined;

function load(): TrimState {
  if (process.platform !== 'linux') return { trim: null, reason: `not needed on ${process.platform}: its allocator returns freed memory itself` };
  // libc.so.6 is glibc's: musl has neither that file nor the call, and a failed load is reported below, not thrown.
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only where it is used (Linux, glibc)
    const koffi = require('koffi') as typeof import('koffi');
    const fn = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as unknown as Trim;
    return { trim: fn, reason: null };
  } catch (err) {
    return { trim: null, reason: `glibc's malloc_trim could not be loaded (not glibc?): ${(err as Error).message}` };
  }
}

/** Whether trims do anything in this process, and if not, why. */
export function nativeHeapTrim(): { available: boolean; reason: string | null } {
  state ??= load();
  return { available: state.trim !== null, reason: state.reason };
}

/** Counts, for tests and benchmarks: trims asked for, and those that ran. */
export const nativeHeapStats = { requested: 0, ran: 0 };

/**
 * Return the free pages of every arena of this process (all threads') to the system. Returns whether it ran. Costs
 * a walk of the arenas' free lists: ~30 ms for a few hundred MB, during which other threads' allocations wait.
 */
export function trimNativeHeap(): boolean {
  nativeHeapStats.requested++;
  state ??= load();
  if (!state.trim) return false;
  state.trim(0);
  nativeHeapStats.ran++;
  return true;
}

/**
 * Trims at most once per `intervalMs`, for long loops (a load's writer): the memory a load frees between two trims
 * is what it can keep, not everything it ever freed.
 */
export class PeriodicHeapTrim {
  private last: number;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.last = now();
  }

  /** Trim if the interval has passed since the last trim (or since this was made). */
  tick(): boolean {
    const t = this.now();
    if (t - this.last < this.intervalMs) return false;
    this.last = t;
    return trimNativeHeap();
  }
}
