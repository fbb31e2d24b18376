import { describe, expect, it } from 'vitest';
import { LiveBacklog } from '../../../src/media/session/live-backlog.js';

describe('LiveBacklog (the live-audio rule of a play queue)', () => {
  it('admits frames while the queue is at most one frame above the target; drops (and counts) a frame that would go behind more', () => {
    const b = new LiveBacklog({ targetMs: 100 });
    expect([b.admit(20, 80), b.admit(20, 100), b.admit(20, 120), b.admit(20, 121), b.admit(20, 200)]).toEqual([true, true, true, false, false]);
    expect(b.dropped).toBe(2);
  });

  it('a backlog of a frame above the target that stands for drainAfterMs loses one frame; a dip below it restarts the count', () => {
    const b = new LiveBacklog({ drainAfterMs: 100 });
    expect([20, 20, 20, 20].map((q) => b.admit(20, q))).toEqual([true, true, true, true]);
    expect(b.admit(20, 0)).toBe(true); // the backlog went: start again
    expect([20, 20, 20, 20].map((q) => b.admit(20, q))).toEqual([true, true, true, true]);
    expect(b.admit(20, 20)).toBe(false); // 100 ms standing
    expect(b.dropped).toBe(1);
    expect(b.admit(20, 20)).toBe(true); // counting again from the drop
  });
});
