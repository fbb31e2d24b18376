/**
 * The last `size` accepted (extended) sequence numbers, oldest forgotten first: what the jitter
 * buffer checks to tell a duplicate from a new packet. A ring of doubles with a linear scan —
 * 128 entries cost 1 KiB per stream, where a Set plus an order list cost about 6.5 KiB, and a
 * scan of 128 numbers per packet is cheaper than the Set's hashing at 50 packets a second.
 */
export class RecentSequences {
  readonly #ring: Float64Array;
  #next = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`invalid size ${size}`);
    this.#ring = new Float64Array(size).fill(NaN);
  }

  has(seq: number): boolean {
    const ring = this.#ring;
    for (let i = 0; i < ring.length; i++) if (ring[i] === seq) return true;
    return false;
  }

  /** Remember `seq` (not already remembered), forgetting the oldest when full. */
  add(seq: number): void {
    this.#ring[this.#next] = seq;
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  clear(): void {
    this.#ring.fill(NaN);
    this.#next = 0;
  }
}
