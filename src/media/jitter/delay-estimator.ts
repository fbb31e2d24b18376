/**
 * Network delay variation, for the jitter buffer's adaptive depth.
 *
 * - `jitterMs`: the RFC 3550 §6.4.1 / A.8 interarrival jitter J (smoothed with gain 1/16).
 * - `peakMs`: the delay of a packet relative to the fastest packet of the last `windowPackets`
 *   packets (its "relative transit"); the peak follows any increase at once and decays by
 *   `decayMsPerSecond` of media time, so the buffer grows quickly and shrinks slowly.
 */
export interface DelayEstimatorOptions {
  windowPackets?: number;
  decayMsPerSecond?: number;
}

export class DelayEstimator {
  readonly #window: Float64Array;
  #count = 0;
  #pos = 0;
  #lastTransit: number | undefined;
  #lastMediaMs: number | undefined;
  #jitter = 0;
  #peak = 0;
  readonly #decay: number;

  constructor(options: DelayEstimatorOptions = {}) {
    this.#window = new Float64Array(options.windowPackets ?? 100);
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

    this.#window[this.#pos] = transit;
    this.#pos = (this.#pos + 1) % this.#window.length;
    if (this.#count < this.#window.length) this.#count++;
    let min = Infinity;
    for (let i = 0; i < this.#count; i++) if (this.#window[i]! < min) min = this.#window[i]!;
    const relative = transit - min;

    const elapsed = this.#lastMediaMs === undefined ? 0 : Math.max(0, mediaMs - this.#lastMediaMs);
    this.#lastMediaMs = mediaMs;
    this.#peak = Math.max(relative, this.#peak - (this.#decay * elapsed) / 1000);
  }

  reset(): void {
    this.#count = 0;
    this.#pos = 0;
    this.#lastTransit = undefined;
    this.#lastMediaMs = undefined;
    this.#jitter = 0;
    this.#peak = 0;
  }
}
