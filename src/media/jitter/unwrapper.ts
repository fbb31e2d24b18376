/**
 * Extends wrapping RTP counters to monotonic numbers: 16-bit sequence numbers (RFC 3550 §5.1,
 * 65535 → 0) and 32-bit timestamps. A new value is placed in the cycle that puts it closest to
 * the previous one, so a reordered packet from before a wrap stays before it.
 */
export class Unwrapper {
  readonly #modulus: number;
  readonly #half: number;
  #last: number | undefined;

  constructor(bits: 16 | 32) {
    this.#modulus = 2 ** bits;
    this.#half = 2 ** (bits - 1);
  }

  /** The extended value of `value` (which must be within 0 .. 2^bits − 1). */
  unwrap(value: number): number {
    const last = this.#last;
    if (last === undefined) {
      this.#last = value;
      return value;
    }
    const lastWrapped = ((last % this.#modulus) + this.#modulus) % this.#modulus;
    let delta = value - lastWrapped;
    if (delta > this.#half) delta -= this.#modulus;
    else if (delta < -this.#half) delta += this.#modulus;
    const extended = last + delta;
    // Track the highest value so a late packet does not pull the reference backwards.
    if (extended > last) this.#last = extended;
    return extended;
  }

  /** Peek at the extension without updating the reference. */
  peek(value: number): number {
    const last = this.#last;
    if (last === undefined) return value;
    const lastWrapped = ((last % this.#modulus) + this.#modulus) % this.#modulus;
    let delta = value - lastWrapped;
    if (delta > this.#half) delta -= this.#modulus;
    else if (delta < -this.#half) delta += this.#modulus;
    return last + delta;
  }

  reset(): void {
    this.#last = undefined;
  }
}
