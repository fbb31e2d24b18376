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

/** The queue's contract written the plain way: a list of frames and marks (no ring, no reuse). */
class ModelQueue {
  items: ({ frame: number[] } | { mark: string })[] = [];
  partial: number[] = [];
  constructor(readonly n: number) {}
  push(pcm: number[]): void {
    for (const s of pcm) {
      this.partial.push(s);
      if (this.partial.length === this.n) { this.items.push({ frame: this.partial }); this.partial = []; }
    }
  }
  mark(name: string): void {
    if (this.partial.length > 0) { while (this.partial.length < this.n) this.partial.push(0); this.items.push({ frame: this.partial }); this.partial = []; }
    this.items.push({ mark: name });
  }
  takeDueMarks(): string[] {
    const out: string[] = [];
    while (this.items[0] && 'mark' in this.items[0]) out.push((this.items.shift() as { mark: string }).mark);
    return out;
  }
  nextFrame(): number[] | undefined {
    const it = this.items[0];
    if (!it || !('frame' in it)) return undefined;
    this.items.shift();
    return it.frame;
  }
  clear(): string[] {
    const marks = this.items.flatMap((it) => ('mark' in it ? [it.mark] : []));
    this.items = [];
    this.partial = [];
    return marks;
  }
  get samples(): number { return this.items.filter((it) => 'frame' in it).length * this.n + this.partial.length; }
}

type Op = { op: 'push'; n: number } | { op: 'mark' } | { op: 'take' } | { op: 'clear' };

describe('PlayQueue (ring of samples)', () => {
  it('property: any sequence of push, mark, take and clear gives the frames, marks and sizes of the plain frame-list model', () => {
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.record({ op: fc.constant('push' as const), n: fc.integer({ min: 0, max: 400 }) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('mark' as const) }) },
      { weight: 6, arbitrary: fc.record({ op: fc.constant('take' as const) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 120 }), fc.boolean(), (ops: Op[], reuse) => {
      const q = new PlayQueue(160);
      const m = new ModelQueue(160);
      const out = new Int16Array(160);
      let v = 1;
      let marks = 0;
      for (const o of ops) {
        if (o.op === 'push') {
          const chunk = Array.from({ length: o.n }, () => (v++ % 30000) + 1);
          q.push(Int16Array.from(chunk));
          m.push(chunk);
        } else if (o.op === 'mark') {
          q.mark(`m${marks}`);
          m.mark(`m${marks++}`);
        } else if (o.op === 'take') {
          expect([...q.takeDueMarks()]).toEqual(m.takeDueMarks());
          const f = reuse ? q.nextFrame(out) : q.nextFrame();
          const g = m.nextFrame();
          expect(f && [...f]).toEqual(g);
          if (f && reuse) expect(f).toBe(out);
        } else {
          expect(q.clear()).toEqual(m.clear());
        }
        expect(q.samples).toBe(m.samples);
        expect(q.empty).toBe(m.items.length === 0 && m.partial.length === 0);
      }
    }), { numRuns: 300 });
  });

  it('audio written across the end of the ring comes out in order', () => {
    const q = new PlayQueue(160);
    q.push(Int16Array.from({ length: 700 }, (_, i) => i));
    for (let i = 0; i < 4; i++) q.nextFrame();
    q.push(Int16Array.from({ length: 700 }, (_, i) => 700 + i));
    q.mark('end');
    expect(q.capacity).toBe(8 * 160);
    const got: number[] = [];
    for (let f = q.nextFrame(); f; f = q.nextFrame()) got.push(...f);
    expect(got.slice(0, 760)).toEqual(Array.from({ length: 760 }, (_, i) => 640 + i));
    expect(got.slice(760)).toEqual(new Array(800 - 760).fill(0));
    expect(q.takeDueMarks()).toEqual(['end']);
  });

  it('a steady stream (the echo agent: a delay line of 10 frames, one frame in and one out per tick) keeps the ring at a fixed size', () => {
    const q = new PlayQueue(160);
    q.push(new Int16Array(1600));
    const out = new Int16Array(160);
    q.push(new Int16Array(160));
    const settled = q.capacity;
    for (let i = 0; i < 5000; i++) {
      q.nextFrame(out);
      q.push(new Int16Array(160).fill(i));
    }
    expect(q.capacity).toBe(settled);
    expect(settled).toBeLessThanOrEqual(16 * 160);
    expect(q.frames).toBe(11);
  });

  it('after a long prompt has been sent the ring shrinks back to its initial size', () => {
    const q = new PlayQueue(160);
    const initial = q.capacity;
    q.push(new Int16Array(8000 * 30));
    expect(q.capacity).toBeGreaterThanOrEqual(8000 * 30);
    while (q.nextFrame()) { /* send it all */ }
    expect(q.capacity).toBe(initial);
  });

  it('nextFrame(out) fills and returns the caller\'s buffer; without one it returns a new array each time', () => {
    const q = new PlayQueue(4);
    q.push(Int16Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    const out = new Int16Array(4);
    expect(q.nextFrame(out)).toBe(out);
    expect([...out]).toEqual([1, 2, 3, 4]);
    const a = q.nextFrame()!;
    const b = q.nextFrame()!;
    expect(a).not.toBe(b);
    expect([...a, ...b]).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
  });
});
