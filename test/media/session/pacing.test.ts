import { describe, expect, it } from 'vitest';
import { RtpPacket } from 'werift-rtp';
import { createMediaSession } from '../../../src/media/session/session.js';
import { allocator, LO, pcmuTo, udpPeer, until } from './helpers.js';

/** Keep the event loop busy: 3 ms busy chunks from timers and setImmediate, ~40% of the time. */
function loadEventLoop(): () => void {
  let on = true;
  const busy = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end) { /* spin */ } };
  const iv = setInterval(() => busy(3), 7);
  const immediate = (): void => { if (!on) return; busy(1); setTimeout(() => setImmediate(immediate), 3); };
  immediate();
  return () => { on = false; clearInterval(iv); };
}

// Spacing and drift on the wall clock depend on the machine and its load: they are measured in
// bench/media/pacing.bench.ts (docs/benchmarks.md). The clock's deadlines themselves (each tick
// exactly one period after the last, catch-up after a stall) are tested in test/media/rtp/clock.test.ts.
describe('MediaSession pacing (one frame per ptime from the media clock)', () => {
  it('under event-loop load, every frame it counts as sent reaches the peer, with sequence +1 and timestamp +160 from one packet to the next (RFC 3550 §5.1)', async () => {
    const peer = await udpPeer();
    const ports = await allocator();
    const stopLoad = loadEventLoop();
    const session = await createMediaSession({ lease: ports.allocate(), negotiated: pcmuTo(peer.port), localAddress: LO });
    try {
      await until(() => peer.packets.length >= 150, 20_000);
    } finally {
      stopLoad();
    }
    await session.close();
    const sent = session.stats().framesSent;
    await until(() => peer.packets.length >= sent);
    await peer.close();
    const rtp = peer.packets.map((p) => RtpPacket.deSerialize(p));
    expect(rtp.every((p) => p.header.payloadType === 0)).toBe(true);
    expect(rtp).toHaveLength(sent);
    expect(session.stats().packetsOut).toBe(sent);
    for (let i = 1; i < rtp.length; i++) {
      expect((rtp[i]!.header.sequenceNumber - rtp[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
      expect((rtp[i]!.header.timestamp - rtp[i - 1]!.header.timestamp) >>> 0).toBe(160);
    }
  }, 30_000);
});
