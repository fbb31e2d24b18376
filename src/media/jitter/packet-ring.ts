/**
 * The jitter buffer's packets, keyed by extended sequence number: a ring of slots indexed by the
 * number modulo its size (a power of two), each slot holding one number and its item. Lookup,
 * insert and removal are one array access; the lowest and highest held numbers are found by a
 * walk from the previous ones, which the buffer's in-order playout keeps to a step or two. It
 * replaces a Map plus `Math.min(...keys())`.
 *
 * The held numbers must span fewer than `slots` values (`fits`): the caller drops the oldest
 * before storing a number that would not fit.
 */
export class PacketRing<T> {
  readonly slots: number;
  readonly #mask: number;
  readonly #seqs: Float64Array;
  readonly #items: (T | undefined)[];
  #size = 0;
  /** Lower and upper bounds of the held numbers (exact after `lowest()` / `highest()`). */
  #low = 0;
  #high = 0;

  constructor(minSlots: number) {
    if (!Number.isInteger(minSlots) || minSlots <= 0 || minSlots > 2 ** 24) throw new RangeError(`invalid size ${minSlots}`);
    this.slots = 2 ** Math.ceil(Math.log2(minSlots));
    this.#mask = this.slots - 1;
    this.#seqs = new Float64Array(this.slots).fill(NaN);
    this.#items = new Array<T | undefined>(this.slots).fill(undefined);
  }

  /** Items held. */
  get size(): number {
    return this.#size;
  }

  get(seq: number): T | undefined {
    const i = seq & this.#mask;
    return this.#seqs[i] === seq ? this.#items[i] : undefined;
  }

  /** Remove and return the item of `seq`, if held. */
  take(seq: number): T | undefined {
    const i = seq & this.#mask;
    if (this.#seqs[i] !== seq) return undefined;
    const item = this.#items[i];
    if (item === undefined) return undefined;
    this.#items[i] = undefined;
    this.#seqs[i] = NaN;
    this.#size--;
    return item;
  }

  /** Whether `seq` can be stored: the held numbers and `seq` span fewer than `slots` values. */
  fits(seq: number): boolean {
    if (this.#size === 0) return true;
    return Math.max(seq, this.highest()!) - Math.min(seq, this.lowest()!) < this.slots;
  }

  /** Store (or replace) the item of `seq`; throws RangeError when it does not fit. */
  set(seq: number, item: T): void {
    if (!this.fits(seq)) throw new RangeError(`sequence ${seq} does not fit the ring`);
    const i = seq & this.#mask;
    if (this.#items[i] === undefined) {
      if (this.#size === 0) {
        this.#low = seq;
        this.#high = seq;
      } else {
        if (seq < this.#low) this.#low = seq;
        if (seq > this.#high) this.#high = seq;
      }
      this.#size++;
    }
    this.#seqs[i] = seq;
    this.#items[i] = item;
  }

  /** The lowest held number (undefined when empty). */
  lowest(): number | undefined {
    if (this.#size === 0) return undefined;
    let s = this.#low;
    while (!this.#holds(s)) s++;
    this.#low = s;
    return s;
  }

  /** The highest held number (undefined when empty). */
  highest(): number | undefined {
    if (this.#size === 0) return undefined;
    let s = this.#high;
    while (!this.#holds(s)) s--;
    this.#high = s;
    return s;
  }

  clear(): void {
    if (this.#size === 0) return;
    this.#seqs.fill(NaN);
    this.#items.fill(undefined);
    this.#size = 0;
  }

  #holds(seq: number): boolean {
    const i = seq & this.#mask;
    return this.#seqs[i] === seq && this.#items[i] !== undefined;
  }
}
