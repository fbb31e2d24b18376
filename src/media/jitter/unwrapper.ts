/**
 * Extends wrapping RTP counters to monotonic numbers: 16-bit sequence numbers (RFC 3550 §5.1,
 * 65535 → 0) and 32-bit timestamps. A new value is placed in the cycle that puts it closest to
 * the previous one, so a reordered packet from before a wrap stays before it.
 */
export class Unwrapper {
  readonly #modulus: number;
  readonly #half: number;
  #last: number | undefined;
  /** `#last` modulo 2^bits (the value it was extended from), kept to spare two divisions per call. */
  #lastWrapped = 0;

  constructor(bits: 16 | 32) {
    this.#modulus = 2 ** bits;
    this.#half = 2 ** (bits - 1);
  }

  /** The extended value of `value` (which must be within 0 .. 2^bits − 1). */
  unwrap(value: number): number {
    const last = this.#last;
    if (last === undefined) {
      this.#last = value;
      this.#lastWrapped = value;
      return value;
    }
    const extended = last + this.#delta(value);
    // Track the highest value so a late packet does not pull the reference backwards.
    if (extended > last) {
      this.#last = extended;
      this.#lastWrapped = value;
    }
    return extended;
  }

  /** Peek at the extension without updating the reference. */
  peek(value: number): number {
    const last = this.#last;
    if (last === undefined) return value;
    return last + this.#delta(value);
  }

  /** The step from the reference to `value`, within ±half the range. */
  #delta(value: number): number {
    let delta = value - this.#lastWrapped;
    if (delta > this.#half) delta -= this.#modulus;
    else if (delta < -this.#half) delta += this.#modulus;
    return delta;
  }

  reset(): void {
    this.#last = undefined;
  }
}
