/**
 * The receiver's per-SSRC state for SRTP (RFC 3711 §3.3.1, §3.3.2, Appendix A): the rollover
 * counter and highest sequence number (s_l) for index estimation, and a 64-packet sliding replay
 * window behind the highest authenticated index. `estimate` and `check` come before
 * authentication; `accept` only after the packet authenticated (§3.3: "update the rollover counter
 * and the highest sequence number only after authentication").
 */
const WINDOW = 64;

export class ReplayWindow {
  #initialised = false;
  /** Highest authenticated packet index (48 bits in a double; exact up to 2^53). */
  #highest = 0;
  /** Bit k set: index `highest - k` was received (k < 64). Two 32-bit halves. */
  #maskLo = 0;
  #maskHi = 0;

  /** RFC 3711 Appendix A: the packet index i = 2^16 * v + SEQ, v the guessed ROC. */
  estimate(seq: number): number {
    // §3.3.1: the first packet's SEQ is taken as s_l with ROC 0.
    if (!this.#initialised) return seq;
    const roc = Math.floor(this.#highest / 0x10000);
    const sl = this.#highest % 0x10000;
    let v = roc;
    if (sl < 32768) {
      if (seq - sl > 32768) v = roc - 1;
    } else if (sl - 32768 > seq) {
      v = roc + 1;
    }
    if (v < 0) v = 0;
    return v * 0x10000 + seq;
  }

  /** False when `index` was already received or is behind the window (§3.3.2). */
  check(index: number): boolean {
    if (!this.#initialised || index > this.#highest) return true;
    const delta = this.#highest - index;
    if (delta >= WINDOW) return false;
    return delta < 32 ? (this.#maskLo & (1 << delta)) === 0 : (this.#maskHi & (1 << (delta - 32))) === 0;
  }

  /** Record an authenticated packet. */
  accept(index: number): void {
    if (!this.#initialised) {
      this.#initialised = true;
      this.#highest = index;
      this.#maskLo = 1;
      this.#maskHi = 0;
      return;
    }
    if (index > this.#highest) {
      const shift = index - this.#highest;
      if (shift >= WINDOW) {
        this.#maskLo = 0;
        this.#maskHi = 0;
      } else if (shift >= 32) {
        this.#maskHi = (this.#maskLo << (shift - 32)) >>> 0;
        this.#maskLo = 0;
      } else {
        this.#maskHi = ((this.#maskHi << shift) | (this.#maskLo >>> (32 - shift))) >>> 0;
        this.#maskLo = (this.#maskLo << shift) >>> 0;
      }
      this.#maskLo = (this.#maskLo | 1) >>> 0;
      this.#highest = index;
      return;
    }
    const delta = this.#highest - index;
    if (delta < 32) this.#maskLo = (this.#maskLo | (1 << delta)) >>> 0;
    else if (delta < WINDOW) this.#maskHi = (this.#maskHi | (1 << (delta - 32))) >>> 0;
  }

  /** The rollover counter of the highest index (for tests and stats). */
  get roc(): number {
    return Math.floor(this.#highest / 0x10000);
  }
}
