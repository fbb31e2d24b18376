/**
 * Which recent (extended) sequence numbers were accepted: what the jitter buffer checks to tell a
 * duplicate from a new packet. A ring indexed by the sequence number modulo its size (a power of
 * two ≥ `size`), each slot holding the last number added there, so `has` and `add` are one array
 * access each, where a ring in arrival order needed a scan of every entry per packet.
 *
 * What it remembers: `seq` is reported until a number congruent to it modulo the ring size is
 * added. So among numbers added within any `size` consecutive values it answers exactly like a
 * Set of everything added — the jitter buffer only asks about packets no further than its
 * MAX_MISORDER (< `size`) behind the highest, so it never forgets a packet it could still be asked
 * about, however many packets arrive in between. It never reports a number that was not added.
 * 1 KiB per stream at 128 entries.
 */
export class RecentSequences {
  readonly #ring: Float64Array;
  readonly #mask: number;

  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0 || size > 2 ** 30) throw new RangeError(`invalid size ${size}`);
    const slots = 2 ** Math.ceil(Math.log2(size));
    this.#ring = new Float64Array(slots).fill(NaN);
    this.#mask = slots - 1;
  }

  /** Whether `seq` (an integer, |seq| < 2^53) was added and not since displaced. */
  has(seq: number): boolean {
    // `&` takes the low 32 bits of the integer, so this is seq mod the ring size for negative and large seq too.
    return this.#ring[seq & this.#mask] === seq;
  }

  /** Remember `seq`, displacing the number added before in its slot. */
  add(seq: number): void {
    this.#ring[seq & this.#mask] = seq;
  }

  clear(): void {
    this.#ring.fill(NaN);
  }
}
