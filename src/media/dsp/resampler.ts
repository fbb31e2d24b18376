/**
 * Streaming sample-rate converter between 8, 16, 24 and 48 kHz (any integer rates work): a
 * polyphase FIR (windowed sinc, Kaiser window; see ./filter-design.ts for taps, cutoff and
 * stopband) that computes only the output samples it keeps. The last K−1 input samples are
 * carried across calls, so audio processed in 20 ms chunks is identical to audio processed at
 * once: no clicks at frame boundaries. One instance per stream direction.
 */
import { resamplerFilter, type PolyphaseFilter } from './filter-design.js';

export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  readonly #f: PolyphaseFilter | undefined;
  /** History (K−1 samples) followed by the current chunk. */
  #buf: Float64Array;
  /** Position of the next output sample in the upsampled domain, relative to the chunk start. */
  #t = 0;

  constructor(fromRate: number, toRate: number) {
    if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
      throw new RangeError(`invalid rates ${fromRate} → ${toRate}`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.#f = fromRate === toRate ? undefined : resamplerFilter(fromRate, toRate);
    this.#buf = new Float64Array((this.#f?.K ?? 1) - 1 + 960);
  }

  /** Output samples by which the signal is delayed (the filter's group delay). */
  get delaySamples(): number {
    return this.#f?.delayOut ?? 0;
  }

  /** The filter in use (undefined when the rates are equal). */
  get filter(): Readonly<PolyphaseFilter> | undefined {
    return this.#f;
  }

  process(input: Int16Array): Int16Array {
    const f = this.#f;
    if (!f) return input.slice();
    const { L, M, K, phases } = f;
    const hist = K - 1;
    if (this.#buf.length < hist + input.length) {
      const grown = new Float64Array(hist + input.length);
      grown.set(this.#buf.subarray(0, hist));
      this.#buf = grown;
    }
    const buf = this.#buf;
    for (let i = 0; i < input.length; i++) buf[hist + i] = input[i]!;

    const limit = input.length * L;
    const count = this.#t < limit ? Math.ceil((limit - this.#t) / M) : 0;
    const out = new Int16Array(count);
    const t = this.#t;
    // Position of output k in the upsampled domain: t + k·M = i·L + p (input index i, phase p).
    let i = Math.floor(t / L);
    let p = t - i * L;
    const step = Math.floor(M / L);
    const stepPhase = M - step * L;
    const K4 = K & ~3;
    for (let k = 0; k < count; k++) {
      const base = p * K;
      const x = hist + i;
      // Four partial sums: shorter dependency chains for the JIT.
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let j = 0;
      for (; j < K4; j += 4) {
        a0 += phases[base + j]! * buf[x - j]!;
        a1 += phases[base + j + 1]! * buf[x - j - 1]!;
        a2 += phases[base + j + 2]! * buf[x - j - 2]!;
        a3 += phases[base + j + 3]! * buf[x - j - 3]!;
      }
      for (; j < K; j++) a0 += phases[base + j]! * buf[x - j]!;
      const v = Math.round(a0 + a1 + (a2 + a3));
      out[k] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      i += step;
      p += stepPhase;
      if (p >= L) {
        p -= L;
        i++;
      }
    }
    this.#t = t + count * M - limit;
    // Keep the last K−1 samples for the next chunk.
    buf.copyWithin(0, input.length, input.length + hist);
    return out;
  }

  /** Drain the filter (its group delay worth of output, from zero input) and reset the state. */
  flush(): Int16Array {
    const f = this.#f;
    if (!f) return new Int16Array(0);
    const tail = this.process(new Int16Array(Math.ceil((f.taps - 1) / 2 / f.L) + 1));
    this.reset();
    return tail;
  }

  reset(): void {
    this.#buf.fill(0);
    this.#t = 0;
  }
}
