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
});
