import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PlayQueue } from '../../../src/media/session/play-queue.js';

function drain(q: PlayQueue): { frames: Int16Array[]; marks: string[]; order: string[] } {
  const frames: Int16Array[] = [];
  const marks: string[] = [];
  const order: string[] = [];
  for (;;) {
    for (const m of q.takeDueMarks()) { marks.push(m); order.push(`mark:${m}`); }
    const f = q.nextFrame();
    if (!f) break;
    frames.push(f);
    order.push('frame');
  }
  return { frames, marks, order };
}

describe('PlayQueue', () => {
  it('property: frames concatenated equal the pushed audio, cut at frame boundaries', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 20 }), (lengths) => {
      const q = new PlayQueue(160);
      const all: number[] = [];
      let v = 0;
      for (const n of lengths) {
        const chunk = new Int16Array(n).map(() => (v++ % 30000));
        all.push(...chunk);
        q.push(chunk);
      }
      const { frames } = drain(q);
      const whole = Math.floor(all.length / 160);
      expect(frames).toHaveLength(whole);
      expect(frames.every((f) => f.length === 160)).toBe(true);
      const flat = frames.flatMap((f) => [...f]);
      expect(flat).toEqual(all.slice(0, whole * 160));
      expect(q.samples).toBe(all.length - whole * 160);
    }));
  });

  it('a mark comes due after the audio queued before it, flushing a partial frame padded with silence', () => {
    const q = new PlayQueue(160);
    q.push(new Int16Array(250).fill(7));
    q.mark('a');
    q.push(new Int16Array(160).fill(9));
    q.mark('b');
    const { frames, order } = drain(q);
    expect(order).toEqual(['frame', 'frame', 'mark:a', 'frame', 'mark:b']);
    expect([...frames[1]!.subarray(0, 90)].every((s) => s === 7)).toBe(true);
    expect([...frames[1]!.subarray(90)].every((s) => s === 0)).toBe(true);
  });

  it('clear() drops queued audio and returns the dropped marks in order', () => {
    const q = new PlayQueue(160);
    q.push(new Int16Array(480));
    q.mark('x');
    q.push(new Int16Array(100));
    q.mark('y');
    expect(q.clear()).toEqual(['x', 'y']);
    expect(q.empty).toBe(true);
    expect(q.nextFrame()).toBeUndefined();
  });
});
