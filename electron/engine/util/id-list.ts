/**
 * Event row ids gathered one at a time (a search's hits): an Int32Array that doubles as it fills. A JavaScript array
 * of numbers takes 8 bytes an id in V8's heap, which keeps the room once grown; a search for a word of millions of
 * events at 40M events held ~210 MB more at its peak than before it (docs/benchmarks.md).
 */
export class IdList {
  private a: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.a = new Int32Array(Math.max(1, capacity));
  }

  push(id: number): void {
    if (this.length === this.a.length) this.grow(this.length + 1);
    this.a[this.length++] = id;
  }

  pushAll(ids: ArrayLike<number>): void {
    if (this.length + ids.length > this.a.length) this.grow(this.length + ids.length);
    if (ids instanceof Int32Array) this.a.set(ids, this.length);
    else for (let i = 0; i < ids.length; i++) this.a[this.length + i] = ids[i]!;
    this.length += ids.length;
  }

  /** The ids in the order given, in an array of their own length. */
  toArray(): Int32Array {
    return this.a.slice(0, this.length);
  }

  /** The ids ascending and distinct, in an array of their own length (sorted in place: the list is spent). */
  sortedDistinct(): Int32Array {
    const a = this.a.subarray(0, this.length).sort();
    let n = 0;
    for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[i - 1]) a[n++] = a[i]!;
    const out = this.a.slice(0, n);
    this.a = new Int32Array(1);
    this.length = 0;
    return out;
  }

  private grow(need: number): void {
    let size = this.a.length * 2;
    while (size < need) size *= 2;
    const b = new Int32Array(size);
    b.set(this.a.subarray(0, this.length));
    this.a = b;
  }
}
