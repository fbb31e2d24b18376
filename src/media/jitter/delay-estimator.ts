/**
 * Network delay variation, for the jitter buffer's adaptive depth.
 *
 * - `jitterMs`: the RFC 3550 §6.4.1 / A.8 interarrival jitter J (smoothed with gain 1/16).
 * - `peakMs`: the delay of a packet relative to the fastest packet of the last `windowPackets`
 *   packets (its "relative transit"); the peak follows any increase at once and decays by
 *   `decayMsPerSecond` of media time, so the buffer grows quickly and shrinks slowly.
 *
 * The window minimum is kept as a monotonic deque (the classic sliding-window minimum): the
 * transits still in the window that no later transit undercuts, in arrival order, each with its
 * packet number. The front is the minimum; each packet enters and leaves the deque once, so an
 * update is O(1) amortized instead of a scan of the whole window.
 */
export interface DelayEstimatorOptions {
  windowPackets?: number;
  decayMsPerSecond?: number;
}

export class DelayEstimator {
  readonly #size: number;
  /** The deque, a ring of `size` slots: transit and packet number of each entry. */
  readonly #dequeValue: Float64Array;
  readonly #dequeIndex: Float64Array;
  #head = 0;
  #length = 0;
  /** Packets seen since the last reset (the next one's number). */
  #packets = 0;
  #lastTransit: number | undefined;
  #lastMediaMs: number | undefined;
  #jitter = 0;
  #peak = 0;
  readonly #decay: number;

  constructor(options: DelayEstimatorOptions = {}) {
    const size = options.windowPackets ?? 100;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`invalid windowPackets ${size}`);
    this.#size = size;
    this.#dequeValue = new Float64Array(size);
    this.#dequeIndex = new Float64Array(size);
    this.#decay = options.decayMsPerSecond ?? 2;
  }

  get jitterMs(): number {
    return this.#jitter;
  }

  get peakMs(): number {
    return this.#peak;
  }

  /** One in-order packet: its arrival time and its media time (RTP timestamp in ms, unwrapped). */
  update(arrivalMs: number, mediaMs: number): void {
    const transit = arrivalMs - mediaMs;
    if (this.#lastTransit !== undefined) {
      const d = Math.abs(transit - this.#lastTransit);
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#lastTransit = transit;

    const relative = transit - this.#slideMin(transit);

    const elapsed = this.#lastMediaMs === undefined ? 0 : Math.max(0, mediaMs - this.#lastMediaMs);
    this.#lastMediaMs = mediaMs;
    this.#peak = Math.max(relative, this.#peak - (this.#decay * elapsed) / 1000);
  }

  /** Add `transit` to the window and return the window's minimum. */
  #slideMin(transit: number): number {
    const size = this.#size;
    const values = this.#dequeValue;
    const index = this.#dequeIndex;
    const n = this.#packets++;
    // The front left the window: it was packet n − size or older.
    if (this.#length > 0 && index[this.#head]! <= n - size) {
      this.#head = this.#head + 1 === size ? 0 : this.#head + 1;
      this.#length--;
    }
    // Entries not below the new transit can never be the minimum again (it outlives them).
    while (this.#length > 0) {
      let back = this.#head + this.#length - 1;
      if (back >= size) back -= size;
      if (values[back]! < transit) break;
      this.#length--;
    }
    let at = this.#head + this.#length;
    if (at >= size) at -= size;
    values[at] = transit;
    index[at] = n;
    this.#length++;
    return values[this.#head]!;
  }

  reset(): void {
    this.#head = 0;
    this.#length = 0;
    this.#packets = 0;
    this.#lastTransit = undefined;
    this.#lastMediaMs = undefined;
    this.#jitter = 0;
    this.#peak = 0;
  }
}
