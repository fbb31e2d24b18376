import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JitterBuffer } from '../../../src/media/jitter/jitter-buffer.js';
import type { JitterBufferOptions, JitterPacket } from '../../../src/media/jitter/types.js';
import { NaiveJitterBuffer } from './naive-jitter-buffer.js';

interface Sent { seq: number; timestamp: number; ssrc: number; marker: boolean; arrivalMs: number }

/** A stream with losses, duplicates, arbitrary delays, and now and then a new SSRC or a sequence/timestamp jump. */
const streams = fc.record({
  firstSeq: fc.integer({ min: 0, max: 65535 }),
  firstTs: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  steps: fc.array(fc.record({
    delay: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 30 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 400 }) }),
    lost: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    dup: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
    marker: fc.integer({ min: 0, max: 29 }).map((n) => n === 0),
    jump: fc.oneof(
      { weight: 60, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('ssrc' as const, 'seq' as const, 'ts' as const), by: fc.integer({ min: 2, max: 5000 }) }) },
      // A burst of loss: sequence number and timestamp move on together.
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('gap' as const), by: fc.integer({ min: 2, max: 400 }) }) },
    ),
  }), { minLength: 1, maxLength: 250 }),
});

type Stream = typeof streams extends fc.Arbitrary<infer T> ? T : never;

function sent(s: Stream): Sent[] {
  const out: Sent[] = [];
  let seq = s.firstSeq;
  let ts = s.firstTs;
  let ssrc = 0x1234;
  s.steps.forEach((step, i) => {
    if (step.jump?.kind === 'ssrc') ssrc = (ssrc + step.jump.by) >>> 0;
    if (step.jump?.kind === 'seq') seq = (seq + step.jump.by) & 0xffff;
    if (step.jump?.kind === 'ts' || step.jump?.kind === 'gap') ts = (ts + step.jump.by * 160) >>> 0;
    if (step.jump?.kind === 'gap') seq = (seq + step.jump.by) & 0xffff;
    const p = { seq, timestamp: ts, ssrc, marker: step.marker, arrivalMs: i * 20 + step.delay };
    if (!step.lost) out.push(p);
    if (step.dup) out.push({ ...p, arrivalMs: p.arrivalMs + 3 });
    seq = (seq + 1) & 0xffff;
    ts = (ts + 160) >>> 0;
  });
  return out.sort((a, b) => a.arrivalMs - b.arrivalMs);
}

const optionSets: Partial<JitterBufferOptions>[] = [
  {},
  { minDepthMs: 40, maxDepthMs: 200 },
  // Small limits, so capacity overflow and the ring's span limit are exercised.
  { capacity: 5, maxMisorder: 10, maxDropout: 300 },
  { capacity: 3, maxMisorder: 2, maxDropout: 40, shrinkIntervalMs: 100 },
];

describe('JitterBuffer against the naive reference (Map + Math.min, a Set for duplicates)', () => {
  it('property: the same frames, misses, events and statistics after every push and pop', () => {
    fc.assert(fc.property(streams, fc.constantFrom(...optionSets), (stream, options) => {
      const fast = new JitterBuffer({ clockRate: 8000, ...options });
      const naive = new NaiveJitterBuffer({ clockRate: 8000, ...options });
      const events: { fast: unknown[]; naive: unknown[] } = { fast: [], naive: [] };
      for (const name of ['reset', 'depth', 'underrun'] as const) {
        fast.on(name, (...args: unknown[]) => events.fast.push([name, ...args]));
        naive.on(name, (...args: unknown[]) => events.naive.push([name, ...args]));
      }
      const packets = sent(stream);
      let q = 0;
      const end = stream.steps.length * 20 + 600;
      for (let now = 10; now <= end; now += 20) {
        while (q < packets.length && packets[q]!.arrivalMs <= now) {
          const s = packets[q++]!;
          const p: JitterPacket = { ...s, payloadType: 0, payload: Buffer.from([s.seq & 0xff]) };
          fast.push(p);
          naive.push({ ...p });
          expect(fast.stats()).toEqual(naive.stats());
        }
        const a = fast.pop(now);
        const b = naive.pop(now);
        expect(a).toEqual(b);
        expect(fast.stats()).toEqual(naive.stats());
        expect(fast.targetDepthMs).toBe(naive.targetDepthMs);
      }
      expect(events.fast).toEqual(events.naive);
    }), { numRuns: 400 });
  });
});
