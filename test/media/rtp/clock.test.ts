import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it, vi } from 'vitest';
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

  it('runs a tick\'s listeners by phase: every playout one, then every send one, then every flush one, whatever the order they subscribed in', async () => {
    const clock = new MediaClock({ periodMs: 5 });
    const seen: string[] = [];
    const stops: (() => void)[] = [];
    await new Promise<void>((resolve) => {
      stops.push(clock.subscribe((t) => { seen.push(`flush ${t.index}`); if (t.index === 2) resolve(); }, 'flush'));
      stops.push(clock.subscribe((t) => seen.push(`send-a ${t.index}`)));
      stops.push(clock.subscribe((t) => seen.push(`playout-a ${t.index}`), 'playout'));
      stops.push(clock.subscribe((t) => seen.push(`send-b ${t.index}`), 'send'));
      stops.push(clock.subscribe((t) => seen.push(`playout-b ${t.index}`), 'playout'));
    });
    for (const stop of stops) stop();
    expect(seen).toEqual([0, 1, 2].flatMap((i) => [`playout-a ${i}`, `playout-b ${i}`, `send-a ${i}`, `send-b ${i}`, `flush ${i}`]));
    expect(clock.subscribers).toBe(0);
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

  // Fake timers and a time source the test moves: a 75 ms stall inside tick 2 and nothing else late,
  // whatever the machine's load (on real timers a late tick 1 turns tick 2 into a catch-up tick).
  it.each([
    ['a catch-up reader (the native UDP pump) runs the overdue ticks back to back, reading before each, at most 3 at a time', true, [2, 3, 4, 'other work', 'other work', 'other work', 5]],
    ['without a reader, each overdue tick waits for an event-loop turn (socket reads between them)', false, [2, 'other work', 3, 'other work', 4]],
  ] as const)('after a stall, %s', async (_title, canRead, expected) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
    try {
      let stalled = 0;
      const clock = new MediaClock({ periodMs: 20, now: () => Date.now() + stalled });
      let reads = 0;
      clock.socketReader = () => { reads++; return canRead; };
      const seen: (number | string)[] = [];
      let stop: () => void = () => undefined;
      stop = clock.subscribe((t) => {
        if (t.index < 2) return;
        seen.push(t.index);
        // other work that was due during the stall (a socket read, a timer)
        setImmediate(() => seen.push('other work'));
        if (t.index === 2) stalled += 75; // the loop is stuck for 75 ms inside this tick
        if (t.index === 5) stop();
      });
      await vi.advanceTimersByTimeAsync(200);
      expect(seen.slice(0, expected.length)).toEqual(expected);
      expect(reads).toBeGreaterThan(0);
      expect(clock.running).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
  it('reads the sockets before every tick: a datagram that arrived while the loop was busy elsewhere is seen by the next tick (issue 19)', async () => {
    const bind = async (): Promise<Socket> => {
      const s = createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      return s;
    };
    const [busy, media, sender] = await Promise.all([bind(), bind(), bind()]);
    let mediaReceived = 0;
    media.on('message', () => { mediaReceived++; });
    const clock = new MediaClock({ periodMs: 20 });
    clock.socketReader = () => false; // Node's dgram: no synchronous read
    let seenByTick1 = -1;
    try {
      await new Promise<void>((resolve) => {
        const stop = clock.subscribe((t) => {
          if (t.index === 0) {
            // Other I/O keeps the loop busy past tick 1's deadline; the media packet lands meanwhile.
            busy.once('message', () => {
              sender.send(Buffer.from([1]), media.address().port, '127.0.0.1');
              const until = t.deadline + 25;
              while (performance.now() < until) { /* busy past the deadline */ }
            });
            sender.send(Buffer.from([0]), busy.address().port, '127.0.0.1');
          } else {
            seenByTick1 = mediaReceived;
            stop();
            resolve();
          }
        });
      });
    } finally {
      for (const s of [busy, media, sender]) s.close();
    }
    expect(seenByTick1).toBe(1);
  });
});
