import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RecentSequences } from '../../../src/media/jitter/recent-sequences.js';

/**
 * Extended sequence numbers as the jitter buffer checks them: a highest number moving forward
 * from anywhere (negative after a reordered wrap, or far up) by steps and gaps, and
 * each packet at most `misorder` behind the highest (later packets are rejected before the check).
 */
function arrivals(misorder: number): fc.Arbitrary<number[]> {
  const step = fc.oneof(
    { weight: 20, arbitrary: fc.record({ advance: fc.integer({ min: 0, max: 3 }), back: fc.integer({ min: 0, max: misorder }) }) },
    { weight: 2, arbitrary: fc.record({ advance: fc.integer({ min: 4, max: 3000 }), back: fc.constant(0) }) },
  );
  return fc.tuple(fc.integer({ min: -70_000, max: 2 ** 40 }), fc.array(step, { maxLength: 400 })).map(([start, steps]) => {
    let highest = start;
    return steps.map(({ advance, back }) => {
      highest += advance;
      return highest - back;
    });
  });
}

describe('RecentSequences', () => {
  it('property: for packets at most `size − 1` behind the highest, tells a seen number exactly like a Set of everything added (reordering, duplicates, gaps, wrap)', () => {
    const cases = fc.integer({ min: 1, max: 200 }).chain((size) => fc.tuple(fc.constant(size), arrivals(size - 1)));
    fc.assert(fc.property(cases, ([size, seqs]) => {
      const recent = new RecentSequences(size);
      const seen = new Set<number>();
      let highest = -Infinity;
      for (const seq of seqs) {
        highest = Math.max(highest, seq);
        expect(recent.has(seq)).toBe(seen.has(seq));
        if (!seen.has(seq)) {
          recent.add(seq);
          seen.add(seq);
        }
        // Everything within reach of the next packet is still known.
        for (let back = 0; back < size; back += Math.max(1, size >> 3)) expect(recent.has(highest - back)).toBe(seen.has(highest - back));
      }
    }), { numRuns: 200 });
  });

  it('property: never reports a number it was not given', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.integer({ min: -200_000, max: 200_000 }), { maxLength: 300 }), fc.array(fc.integer({ min: -200_000, max: 200_000 }), { maxLength: 50 }), (size, added, probes) => {
      const recent = new RecentSequences(size);
      for (const seq of added) recent.add(seq);
      const given = new Set(added);
      for (const probe of [...probes, ...added]) if (recent.has(probe)) expect(given.has(probe)).toBe(true);
    }));
  });

  it('forgets a number once a number congruent to it modulo its (power-of-two) size is added, however few came between', () => {
    const recent = new RecentSequences(100); // 128 slots
    recent.add(5);
    for (let seq = 6; seq < 5 + 128; seq++) recent.add(seq);
    expect(recent.has(5)).toBe(true);
    recent.add(5 + 128);
    expect(recent.has(5)).toBe(false);
    expect(recent.has(5 + 128)).toBe(true);
  });

  it('forgets everything on clear(), and never reports a sequence number it was not given', () => {
    const r = new RecentSequences(4);
    expect(r.has(0)).toBe(false);
    expect(r.has(Number.NaN)).toBe(false);
    r.add(0);
    r.add(65_537);
    r.add(-1);
    expect(r.has(0)).toBe(true);
    expect(r.has(-1)).toBe(true);
    r.clear();
    expect(r.has(0)).toBe(false);
    expect(r.has(65_537)).toBe(false);
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => new RecentSequences(0)).toThrow(RangeError);
    expect(() => new RecentSequences(1.5)).toThrow(RangeError);
  });
});
