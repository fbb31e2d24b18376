import { describe, expect, it } from 'vitest';
import { RtpPacket } from 'werift-rtp';
import { createMediaSession } from '../../../src/media/session/session.js';
import { allocator, LO, pcmuTo, timedReceiver } from './helpers.js';

/** Keep the event loop busy: 3 ms busy chunks from timers and setImmediate, ~40% of the time. */
function loadEventLoop(): () => void {
  let on = true;
  const busy = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end) { /* spin */ } };
  const iv = setInterval(() => busy(3), 7);
  const immediate = (): void => { if (!on) return; busy(1); setTimeout(() => setImmediate(immediate), 3); };
  immediate();
  return () => { on = false; clearInterval(iv); };
}

describe('MediaSession pacing (one frame per ptime from a drift-free clock)', () => {
  it('sends 500 frames 20 ms apart over 10 s under event-loop load, with no cumulative drift', async () => {
    const rx = await timedReceiver();
    const ports = await allocator();
    const stopLoad = loadEventLoop();
    const session = await createMediaSession({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO, clock: undefined });
    await new Promise((r) => setTimeout(r, 10_400));
    stopLoad();
    await session.close();
    const { at, packets } = await rx.stop();

    const rtp = packets.map((p) => RtpPacket.deSerialize(p)).filter((p) => p.header.payloadType === 0);
    const times = at.filter((_, i) => packets[i]![1] !== 200 && packets[i]![1] !== 201);
    expect(rtp.length).toBeGreaterThanOrEqual(500);
    const n = 500;
    const spacing = (times[n - 1]! - times[0]!) / (n - 1);
    expect(Math.abs(spacing - 20)).toBeLessThan(2);
    // No cumulative drift: packet i leaves at start + i·20 ms. On this shared 2-core machine the
    // process can be descheduled for 100+ ms (load average 14 seen), which delays packets but does
    // not move the clock: the earliest packets of the last second must still be on the grid that
    // the first second set. A chained-setTimeout pacer drifts ≥ 1 ms per packet and fails this.
    const offsets = times.slice(0, n).map((t, i) => t - times[0]! - i * 20);
    const onGrid = (xs: number[]): number => Math.min(...xs);
    expect(Math.abs(onGrid(offsets.slice(n - 50)) - onGrid(offsets.slice(0, 50)))).toBeLessThan(4);
    // RTP numbering is continuous: sequence +1 and timestamp +160 per packet (RFC 3550 §5.1).
    for (let i = 1; i < n; i++) {
      expect((rtp[i]!.header.sequenceNumber - rtp[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
      expect((rtp[i]!.header.timestamp - rtp[i - 1]!.header.timestamp) >>> 0).toBe(160);
    }
    expect(session.stats().framesSent).toBeGreaterThanOrEqual(500);
  }, 30_000);
});
