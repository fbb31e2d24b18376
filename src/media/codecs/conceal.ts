/**
 * Repeat-and-fade packet loss concealment for codecs without their own PLC (ITU-T G.711
 * Appendix I describes a pitch-based scheme; this is the simpler frame repetition): each
 * consecutive lost frame repeats the last good audio with a linear fade, reaching silence after
 * `fadeFrames` lost frames.
 */
import { pcmFrame } from './pcm-frame.js';

export class RepeatFadeConcealer {
  /** A copy of the last good frame: the caller may reuse or hand on the array it decoded into. */
  #last: Int16Array = new Int16Array(0);
  #lost = 0;
  readonly #fadeFrames: number;

  constructor(options: { fadeFrames?: number } = {}) {
    this.#fadeFrames = options.fadeFrames ?? 3;
  }

  /** Remember a decoded frame (ends a concealment run). */
  good(pcm: Int16Array): void {
    if (this.#last.length !== pcm.length) this.#last = new Int16Array(pcm.length);
    this.#last.set(pcm);
    this.#lost = 0;
  }

  conceal(samples: number): Int16Array {
    const out = pcmFrame(samples);
    const src = this.#last;
    if (src.length === 0 || this.#lost >= this.#fadeFrames) {
      this.#lost++;
      return out;
    }
    const total = this.#fadeFrames * samples;
    const start = this.#lost * samples;
    for (let i = 0; i < samples; i++) {
      const gain = 1 - (start + i) / total;
      out[i] = Math.round(src[i % src.length]! * gain);
    }
    this.#lost++;
    return out;
  }

  reset(): void {
    this.#last = new Int16Array(0);
    this.#lost = 0;
  }
}
