import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { MediaSession } from '../../../src/media/index.js';
import { relayMedia } from '../../../src/gateway/transfer/relay.js';

/** A PCMU leg with a play queue that sends one 20 ms frame per tick, as a MediaSession does. */
class FakeLeg extends EventEmitter {
  readonly negotiated = { codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 } };
  closed = false;
  queued = 0;
  sent: number[] = [];
  get queuedMs(): number { return (this.queued / 8000) * 1000; }
  setOutputRate(): void { /* one rate here */ }
  play(pcm: Int16Array): void { this.queued += pcm.length; this.sent.push(pcm[0]!); }
  tick(): void { this.queued = Math.max(0, this.queued - 160); }
  frame(n: number): void { this.emit('audio', { samples: new Int16Array(160).fill(n), sampleRate: 8000 }); }
  sendDtmf(): Promise<void> { return Promise.resolve(); }
}

const legs = (): [FakeLeg, FakeLeg] => [new FakeLeg(), new FakeLeg()];

describe('relayMedia keeps the delay a stall would add from lasting', () => {
  it('relays every frame while each arrives after the previous one was sent', () => {
    const [a, b] = legs();
    const relay = relayMedia(a as unknown as MediaSession, b as unknown as MediaSession);
    for (let n = 1; n <= 200; n++) { a.frame(n); b.tick(); }
    expect(b.sent).toHaveLength(200);
    expect(relay.dropped).toEqual({ aToB: 0, bToA: 0 });
  });

  it('drops the frames of a stall beyond one frame of backlog (maxBacklogMs 20)', () => {
    const [a, b] = legs();
    const relay = relayMedia(a as unknown as MediaSession, b as unknown as MediaSession);
    a.frame(1); b.tick();
    // a stall of the relaying thread: four frames arrive together
    for (let n = 2; n <= 5; n++) a.frame(n);
    expect(b.sent).toEqual([1, 2, 3]);
    expect(relay.dropped.aToB).toBe(2);
  });

  it('drains a standing backlog of one frame by dropping one frame after drainAfterMs', () => {
    const [a, b] = legs();
    const relay = relayMedia(a as unknown as MediaSession, b as unknown as MediaSession, { drainAfterMs: 200 });
    a.frame(0); a.frame(0); // one frame of backlog from now on
    let backlogTicks = 0;
    for (let n = 1; n <= 50; n++) {
      b.tick();
      if (b.queuedMs >= 20) backlogTicks++;
      a.frame(n);
    }
    expect(relay.dropped.aToB).toBe(1);
    expect(backlogTicks).toBeLessThanOrEqual(11);
    expect(b.queuedMs).toBe(20);
  });

  it('stops relaying after stop()', () => {
    const [a, b] = legs();
    const relay = relayMedia(a as unknown as MediaSession, b as unknown as MediaSession);
    relay.stop();
    a.frame(1);
    expect(b.sent).toEqual([]);
  });
});
