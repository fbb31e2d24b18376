import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DelayEstimator } from '../../../src/media/jitter/delay-estimator.js';

/** The definition, computed the slow way: a rescan of the whole window for its minimum on every packet. */
class NaiveDelayEstimator {
  #window: number[] = [];
  #lastTransit: number | undefined;
  #lastMediaMs: number | undefined;
  jitterMs = 0;
  peakMs = 0;

  constructor(readonly size: number, readonly decay: number) {}

  update(arrivalMs: number, mediaMs: number): void {
    const transit = arrivalMs - mediaMs;
    if (this.#lastTransit !== undefined) this.jitterMs += (Math.abs(transit - this.#lastTransit) - this.jitterMs) / 16;
    this.#lastTransit = transit;
    this.#window.push(transit);
    if (this.#window.length > this.size) this.#window.shift();
    const relative = transit - Math.min(...this.#window);
    const elapsed = this.#lastMediaMs === undefined ? 0 : Math.max(0, mediaMs - this.#lastMediaMs);
    this.#lastMediaMs = mediaMs;
    this.peakMs = Math.max(relative, this.peakMs - (this.decay * elapsed) / 1000);
  }

  reset(): void {
    this.#window = [];
    this.#lastTransit = undefined;
    this.#lastMediaMs = undefined;
    this.jitterMs = 0;
    this.peakMs = 0;
  }
}

describe('DelayEstimator', () => {
  it('property: its peak and jitter equal a naive rescan of the window on every packet, across resets', () => {
    const step = fc.oneof(
      { weight: 30, arbitrary: fc.record({ delay: fc.double({ min: 0, max: 500, noNaN: true }), frames: fc.integer({ min: -3, max: 5 }) }) },
      { weight: 1, arbitrary: fc.constant('reset' as const) },
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.constantFrom(0, 2, 50, 1e9), fc.array(step, { maxLength: 300 }), (size, decay, steps) => {
      const fast = new DelayEstimator({ windowPackets: size, decayMsPerSecond: decay });
      const naive = new NaiveDelayEstimator(size, decay);
      let media = 0;
      for (const s of steps) {
        if (s === 'reset') {
          fast.reset();
          naive.reset();
          continue;
        }
        media += s.frames * 20;
        fast.update(media + s.delay, media);
        naive.update(media + s.delay, media);
        expect(fast.peakMs).toBe(naive.peakMs);
        expect(fast.jitterMs).toBe(naive.jitterMs);
      }
    }), { numRuns: 300 });
  });

  it('measures a packet’s delay against the fastest packet of the window, and forgets a fast packet once it left the window', () => {
    const est = new DelayEstimator({ windowPackets: 3, decayMsPerSecond: 0 });
    est.update(100, 0); // transit 100: the fastest so far
    est.update(150, 20); // transit 130
    expect(est.peakMs).toBe(30);
    est.update(160, 40); // transit 120
    est.update(190, 60); // transit 130: the 100 left the window, the minimum is now 120
    expect(est.peakMs).toBe(30); // the peak only decays (decay 0 here)
    const fresh = new DelayEstimator({ windowPackets: 3, decayMsPerSecond: 1e9 });
    for (const [arrival, media] of [[100, 0], [150, 20], [160, 40], [190, 60]] as const) fresh.update(arrival, media);
    expect(fresh.peakMs).toBe(10); // 130 − 120, with the old peak decayed away at once
  });

  it('rejects a window that is not a positive integer', () => {
    expect(() => new DelayEstimator({ windowPackets: 0 })).toThrow(RangeError);
  });
});
