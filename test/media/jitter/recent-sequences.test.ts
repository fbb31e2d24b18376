import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RecentSequences } from '../../../src/media/jitter/recent-sequences.js';

describe('RecentSequences', () => {
  it('property: remembers exactly the last `size` distinct sequence numbers added, like a Set with an order list', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 16 }), fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 200 }), (size, seqs) => {
      const r = new RecentSequences(size);
      const set = new Set<number>();
      const order: number[] = [];
      for (const seq of seqs) {
        expect(r.has(seq)).toBe(set.has(seq));
        if (set.has(seq)) continue; // the jitter buffer adds only sequence numbers it has not seen
        r.add(seq);
        set.add(seq);
        order.push(seq);
        if (order.length > size) set.delete(order.shift()!);
      }
      for (let probe = 0; probe < 70_000; probe += 997) expect(r.has(probe)).toBe(set.has(probe));
    }));
  });

  it('forgets everything on clear(), and never reports a sequence number it was not given', () => {
    const r = new RecentSequences(4);
    expect(r.has(0)).toBe(false);
    expect(r.has(Number.NaN)).toBe(false);
    r.add(0);
    r.add(65_536);
    expect(r.has(0)).toBe(true);
    r.clear();
    expect(r.has(0)).toBe(false);
    expect(r.has(65_536)).toBe(false);
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => new RecentSequences(0)).toThrow(RangeError);
  });
});
