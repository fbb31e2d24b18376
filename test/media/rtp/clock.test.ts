import { describe, expect, it } from 'vitest';
import { MediaClock, type ClockTick } from '../../../src/media/rtp/clock.js';

describe('MediaClock', () => {
  it('catches up on the ticks missed during a stall, each with its own index and deadline', async () => {
    const clock = new MediaClock({ periodMs: 20 });
    const ticks: ClockTick[] = [];
    await new Promise<void>((resolve) => {
      const stop = clock.subscribe((t) => {
        ticks.push(t);
        if (t.index === 2) { const until = performance.now() + 75; while (performance.now() < until) { /* stall the loop */ } }
        if (t.index === 10) { stop(); resolve(); }
      });
    });
    expect(ticks.map((t) => t.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]!.deadline - ticks[i - 1]!.deadline).toBeCloseTo(20, 6);
    expect(clock.running).toBe(false);
  });

  it('a listener that throws does not stop the clock for the others', async () => {
    const clock = new MediaClock({ periodMs: 5 });
    const stopBad = clock.subscribe(() => { throw new Error('bad'); });
    let n = 0;
    await new Promise<void>((resolve) => {
      const stop = clock.subscribe(() => { if (++n === 5) { stop(); stopBad(); resolve(); } });
    });
    expect(n).toBe(5);
  });

  it.each([
    ['a catch-up reader (the native UDP pump) runs the overdue ticks back to back, reading before each, at most 3 at a time', true, [2, 3, 4, 'other work', 'other work', 'other work', 5]],
    ['without a reader, each overdue tick waits for an event-loop turn (socket reads between them)', false, [2, 'other work', 3, 'other work', 4]],
  ] as const)('after a stall, %s', async (_title, canRead, expected) => {
    const clock = new MediaClock({ periodMs: 20 });
    let reads = 0;
    clock.socketReader = () => { reads++; return canRead; };
    const seen: (number | string)[] = [];
    await new Promise<void>((resolve) => {
      const stop = clock.subscribe((t) => {
        if (t.index < 2) return;
        seen.push(t.index);
        // other work that was due during the stall (a socket read, a timer)
        setImmediate(() => seen.push('other work'));
        if (t.index === 2) { const until = performance.now() + 75; while (performance.now() < until) { /* stall the loop */ } }
        if (t.index === 5) { stop(); resolve(); }
      });
    });
    expect(seen.slice(0, expected.length)).toEqual(expected);
    expect(reads).toBeGreaterThan(0);
  });
});
