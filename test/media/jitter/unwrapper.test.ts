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

  it('property: unwrap and peek equal the definition (the reference taken modulo 2^bits on every call), for any values in any order', () => {
    const reference = (bits: number): { unwrap: (v: number) => number; peek: (v: number) => number } => {
      const mod = 2 ** bits;
      let last: number | undefined;
      const extend = (v: number): number => {
        if (last === undefined) return v;
        let d = v - (((last % mod) + mod) % mod);
        if (d > mod / 2) d -= mod;
        else if (d < -mod / 2) d += mod;
        return last + d;
      };
      return {
        unwrap: (v) => {
          const e = extend(v);
          if (last === undefined || e > last) last = e;
          return e;
        },
        peek: extend,
      };
    };
    for (const bits of [16, 32] as const) {
      fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** bits - 1 }), fc.boolean()), { maxLength: 200 }), (steps) => {
        const u = new Unwrapper(bits);
        const r = reference(bits);
        for (const [v, peek] of steps) {
          if (peek) expect(u.peek(v)).toBe(r.peek(v));
          else expect(u.unwrap(v)).toBe(r.unwrap(v));
        }
      }));
    }
  });
});
