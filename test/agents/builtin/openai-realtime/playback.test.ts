import { describe, expect, it } from 'vitest';
import { PlaybackTracker } from '../../../../src/agents/builtin/openai-realtime/playback.js';

describe('PlaybackTracker (barge-in truncation)', () => {
  it('truncates at what left the socket: received minus still queued', () => {
    const t = new PlaybackTracker();
    t.queued('item_1', 2000);
    t.queued('item_1', 3000);
    expect(t.interrupt(3200, false)).toEqual({ itemId: 'item_1', audioEndMs: 1800, receivedMs: 5000 });
  });

  it('never truncates past what was received, nor below 0 while older audio still plays', () => {
    const t = new PlaybackTracker();
    t.queued('item_1', 400);
    // 600 ms queued: 200 ms of an earlier item still ahead of this one.
    expect(t.interrupt(600, true)).toMatchObject({ audioEndMs: 0 });
    t.queued('item_2', 400);
    expect(t.interrupt(0, true)).toMatchObject({ itemId: 'item_2', audioEndMs: 400 });
  });

  it('an item played to the end and no longer streaming needs no truncation', () => {
    const t = new PlaybackTracker();
    t.queued('item_1', 1000);
    expect(t.interrupt(0, false)).toBeUndefined();
    expect(t.interrupt(0, false)).toBeUndefined();
  });

  it('late deltas of an interrupted item are dropped; a new item plays', () => {
    const t = new PlaybackTracker();
    t.queued('item_1', 1000);
    t.interrupt(500, true);
    expect(t.accept('item_1')).toBe(false);
    expect(t.accept('item_2')).toBe(true);
  });
});
