import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dtmfPackets } from '../../../src/media/dtmf/sender.js';
import { parseTelephoneEvent } from '../../../src/media/dtmf/telephone-event.js';

describe('dtmfPackets (RFC 4733 §2.5.1)', () => {
  it('sends a 100 ms digit as 5 packets every 20 ms plus two copies of the end packet', () => {
    const plan = dtmfPackets('5', { timestamp: 12345, durationMs: 100 });
    expect(plan.map((p) => p.offsetMs)).toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(plan.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    const events = plan.map((p) => parseTelephoneEvent(p.payload));
    expect(events.map((e) => e.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(events.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
    expect(events.every((e) => e.event === 5 && e.volume === 10)).toBe(true);
    expect(plan.every((p) => p.timestamp === 12345)).toBe(true);
  });

  it('follows the clock rate and ptime of the negotiated format', () => {
    const plan = dtmfPackets('#', { timestamp: 0, durationMs: 60, ptimeMs: 30, clockRate: 48000 });
    expect(plan.map((p) => parseTelephoneEvent(p.payload).duration)).toEqual([1440, 2880, 2880, 2880]);
  });

  it('for any digit and duration: one marker first, same timestamp, non-decreasing durations, exactly 3 end packets (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...'0123456789*#ABCD'), fc.integer({ min: 1, max: 8000 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (digit, durationMs, timestamp) => {
        const plan = dtmfPackets(digit, { timestamp, durationMs });
        expect(plan[0]!.marker).toBe(true);
        expect(plan.filter((p) => p.marker)).toHaveLength(1);
        expect(plan.every((p) => p.timestamp === timestamp)).toBe(true);
        const ev = plan.map((p) => parseTelephoneEvent(p.payload));
        for (let i = 1; i < ev.length; i++) expect(ev[i]!.duration).toBeGreaterThanOrEqual(ev[i - 1]!.duration);
        expect(plan.every((p) => p.offsetMs % 20 === 0)).toBe(true);
        expect(ev.filter((e) => e.end)).toHaveLength(3);
        expect(ev.slice(-3).every((e) => e.end && e.duration === ev.at(-1)!.duration)).toBe(true);
        expect(ev.at(-1)!.duration).toBeGreaterThanOrEqual(durationMs * 8);
      }),
    );
  });

  it('splits an event longer than 0xFFFF ticks into segments (§2.5.1.3): 2 s at 48 kHz', () => {
    const plan = dtmfPackets('7', { timestamp: 1000, durationMs: 2000, clockRate: 48000 });
    const ev = plan.map((p) => parseTelephoneEvent(p.payload));
    const stamps = [...new Set(plan.map((p) => p.timestamp))];
    expect(stamps).toEqual([1000, 1000 + 0xffff]);
    // The first segment ends at exactly 0xFFFF, the second carries the rest.
    expect(Math.max(...ev.filter((_, i) => plan[i]!.timestamp === 1000).map((e) => e.duration))).toBe(0xffff);
    expect(ev.at(-1)!.duration).toBe(96000 - 0xffff);
    expect(ev.filter((e) => e.end)).toHaveLength(3);
  });
});
