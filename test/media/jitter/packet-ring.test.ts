import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PacketRing } from '../../../src/media/jitter/packet-ring.js';

type Op = { op: 'set' | 'take' | 'get'; delta: number } | { op: 'clear' };

describe('PacketRing', () => {
  it('property: behaves like a Map keyed by sequence number whose keys span fewer than `slots` values (lowest/highest like Math.min/max of the keys)', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 10, arbitrary: fc.record({ op: fc.constantFrom('set' as const, 'take' as const, 'get' as const), delta: fc.integer({ min: -40, max: 40 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('set' as const), delta: fc.integer({ min: -100_000, max: 100_000 }) }) },
      { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.array(op, { maxLength: 300 }), (minSlots, start, ops) => {
      const ring = new PacketRing<string>(minSlots);
      expect(ring.slots).toBeGreaterThanOrEqual(minSlots);
      const ref = new Map<number, string>();
      let cursor = start;
      for (const o of ops) {
        if (o.op === 'clear') {
          ring.clear();
          ref.clear();
          continue;
        }
        const seq = cursor + o.delta;
        if (o.op === 'set') {
          const keys = [...ref.keys(), seq];
          const fits = Math.max(...keys) - Math.min(...keys) < ring.slots;
          expect(ring.fits(seq)).toBe(fits);
          if (fits) {
            ring.set(seq, `p${seq}`);
            ref.set(seq, `p${seq}`);
            cursor = seq;
          } else {
            expect(() => ring.set(seq, 'x')).toThrow(RangeError);
          }
        } else if (o.op === 'take') {
          expect(ring.take(seq)).toBe(ref.get(seq));
          ref.delete(seq);
        } else {
          expect(ring.get(seq)).toBe(ref.get(seq));
        }
        expect(ring.size).toBe(ref.size);
        expect(ring.lowest()).toBe(ref.size ? Math.min(...ref.keys()) : undefined);
        expect(ring.highest()).toBe(ref.size ? Math.max(...ref.keys()) : undefined);
      }
      for (const [seq, item] of ref) expect(ring.get(seq)).toBe(item);
    }), { numRuns: 300 });
  });

  it('forgets a taken sequence number, so a later number in the same slot is not mistaken for it', () => {
    const ring = new PacketRing<string>(4);
    ring.set(1, 'a');
    expect(ring.take(1)).toBe('a');
    ring.set(5, 'b');
    expect(ring.get(1)).toBeUndefined();
    expect(ring.take(1)).toBeUndefined();
    expect(ring.get(5)).toBe('b');
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => new PacketRing(0)).toThrow(RangeError);
  });
});
