import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Unwrapper } from '../../../src/media/jitter/unwrapper.js';

describe('Unwrapper', () => {
  it('extends 16-bit sequence numbers across the 65535 → 0 wrap', () => {
    const u = new Unwrapper(16);
    expect([65534, 65535, 0, 1].map((s) => u.unwrap(s))).toEqual([65534, 65535, 65536, 65537]);
  });

  it('keeps a packet reordered across the wrap before it', () => {
    const u = new Unwrapper(16);
    expect(u.unwrap(65535)).toBe(65535);
    expect(u.unwrap(1)).toBe(65537);
    expect(u.unwrap(0)).toBe(65536);
    expect(u.unwrap(65534)).toBe(65534);
    expect(u.unwrap(2)).toBe(65538);
  });

  it('extends 32-bit RTP timestamps across 2^32', () => {
    const u = new Unwrapper(32);
    expect(u.unwrap(4294967136)).toBe(4294967136);
    expect(u.unwrap(64)).toBe(2 ** 32 + 64);
  });

  it('recovers the true distance between any two steps smaller than half the range (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.array(fc.integer({ min: -1000, max: 3000 }), { maxLength: 200 }), (start, steps) => {
        const u = new Unwrapper(16);
        let truth = start;
        let highest = start;
        expect(u.unwrap(start)).toBe(start);
        for (const step of steps) {
          // Stay within half the range of the highest value seen (what the unwrapper anchors on).
          if (truth + step < highest - 30000) continue;
          truth += step;
          highest = Math.max(highest, truth);
          expect(u.unwrap(((truth % 65536) + 65536) % 65536)).toBe(truth);
        }
      }),
    );
  });
});
