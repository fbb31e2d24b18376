import { afterEach, describe, expect, it } from 'vitest';
import { RtpPacket } from 'werift-rtp';
import { parseRtcp } from '../../../src/media/rtp/rtcp.js';
import { applyAnswer, createOffer, negotiateAnswer } from '../../../src/media/sdp/negotiate.js';
import { MediaSessionError } from '../../../src/media/session/errors.js';
import { createMediaSession } from '../../../src/media/session/session.js';
import { Resampler } from '../../../src/media/dsp/resampler.js';
import { encodeUlaw } from '../../../src/media/codecs/g711.js';
import type { MediaSession } from '../../../src/media/session/types.js';
import type { PortAllocator } from '../../../src/media/ports.js';
import { allocator, LO, ManualClock, pcmuTo, udpPeer, until } from './helpers.js';

const open: MediaSession[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** Two sessions wired to each other through real offer/answer on loopback. */
async function pair(ports: PortAllocator, codecs: ('PCMU' | 'PCMA' | 'G722' | 'opus')[] = ['PCMU']): Promise<[MediaSession, MediaSession]> {
  const la = ports.allocate();
  const lb = ports.allocate();
  const offer = createOffer({ codecs, localAddress: LO, localPort: la.port });
  const answer = negotiateAnswer(offer.sdp, { codecs, localAddress: LO, localPort: lb.port });
  const a = await createMediaSession({ lease: la, negotiated: applyAnswer(offer, answer.sdp), localAddress: LO, id: 'a' });
  const b = await createMediaSession({ lease: lb, negotiated: answer, localAddress: LO, id: 'b' });
  open.push(a, b);
  return [a, b];
}

/** One PCMU session sending to a bare UDP peer that records every packet; both closed after the test. */
async function sessionToPeer(): Promise<{ s: MediaSession; peer: Awaited<ReturnType<typeof udpPeer>> }> {
  const ports = await allocator(1);
  const peer = await udpPeer();
  closers.push(peer.close);
  const s = await createMediaSession({ lease: ports.allocate(), negotiated: pcmuTo(peer.port), localAddress: LO });
  open.push(s);
  return { s, peer };
}

function tone(samples: number, rate: number, hz = 440, amp = 8000): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate)));
}

describe('MediaSession', () => {
  it('delivers played audio to the peer session as audio events at the codec rate', async () => {
    const ports = await allocator(2);
    const [a, b] = await pair(ports);
    const got: Int16Array[] = [];
    const rates = new Set<number>();
    b.on('audio', (f) => { rates.add(f.sampleRate); got.push(f.samples); });
    a.play(tone(8000, 8000), 8000);
    await until(() => got.filter((f) => f.some((s) => Math.abs(s) > 4000)).length >= 40);
    expect([...rates]).toEqual([8000]);
    expect(got.every((f) => f.length === 160)).toBe(true);
  });

  it('reports a mark once the audio queued before it has been sent, and clear() reports pending marks as cleared', async () => {
    const ports = await allocator(2);
    const [a] = await pair(ports);
    const marks: { name: string; cleared: boolean; queuedMs: number }[] = [];
    a.on('mark', (name, info) => marks.push({ name, cleared: info.cleared, queuedMs: a.queuedMs }));
    a.play(tone(1600, 8000), 8000); // 200 ms
    a.mark('first');
    expect(a.queuedMs).toBe(180); // the session was idle: the spurt's first frame left at once
    await until(() => marks.length === 1);
    expect(marks[0]).toEqual({ name: 'first', cleared: false, queuedMs: 0 });

    a.play(tone(80000, 8000), 8000); // 10 s
    a.mark('never-played');
    a.clear();
    expect(marks[1]).toEqual({ name: 'never-played', cleared: true, queuedMs: 0 });
    expect(a.queuedMs).toBe(0);
  });

  it('sets the marker bit on the first packet of each talk spurt (RFC 3551 §4.1)', async () => {
    const { s, peer } = await sessionToPeer();
    await until(() => peer.packets.length >= 3);
    s.play(tone(800, 8000), 8000); // 5 frames
    await until(() => peer.packets.length >= 15);
    const pkts = peer.packets.map((p) => RtpPacket.deSerialize(p));
    const loud = pkts.findIndex((p) => p.payload.some((b) => b < 0x70));
    expect(loud).toBeGreaterThan(0);
    expect(pkts[loud]!.header.marker).toBe(true);
    expect(pkts.filter((p) => p.header.marker)).toHaveLength(1);
  });

  describe('a talk spurt\'s first frame goes out at once, not at the next tick (issue 11)', () => {
    /** A session on a hand-stepped clock sending to a UDP peer; `sent()` is what left the socket so far. */
    async function stepped(idle: 'silence' | 'none') {
      const ports = await allocator(1);
      const peer = await udpPeer();
      closers.push(peer.close);
      const clock = new ManualClock();
      const s = await createMediaSession({ lease: ports.allocate(), negotiated: pcmuTo(peer.port), localAddress: LO, clock, idle });
      open.push(s);
      const sent = (): number => s.stats().packetsOut;
      const received = async (n: number): Promise<RtpPacket[]> => {
        await until(() => peer.packets.length >= n);
        return peer.packets.map((p) => RtpPacket.deSerialize(p));
      };
      return { s, clock, sent, received };
    }
    const flushMicrotasks = (): Promise<void> => new Promise((r) => setImmediate(r));

    it('idle silence: the first frame leaves without a tick, with the marker bit and the next sequence number and timestamp; the spurt goes on one frame per tick; the first empty tick after it sends nothing, and the stream stays one packet per tick with consecutive timestamps', async () => {
      const { s, clock, sent, received } = await stepped('silence');
      clock.step();
      clock.step();
      expect(sent()).toBe(2); // idle silence
      const marks: string[] = [];
      s.on('mark', (name) => marks.push(name));
      s.play(tone(160, 8000), 8000);
      s.mark('first-frame');
      s.play(tone(320, 8000), 8000);
      await flushMicrotasks();
      expect(sent()).toBe(3); // no tick: the spurt's first frame
      expect(marks).toEqual(['first-frame']);
      clock.step();
      clock.step();
      expect(sent()).toBe(5);
      clock.step(); // nothing queued: gives the early frame's slot back
      expect(sent()).toBe(5);
      clock.step();
      clock.step();
      expect(sent()).toBe(7); // 7 ticks, 7 packets
      const p = await received(7);
      const loud = p.map((x) => x.payload.some((b) => b < 0x70));
      expect(loud).toEqual([false, false, true, true, true, false, false]);
      expect(p.map((x) => x.header.marker)).toEqual([false, false, true, false, false, false, false]);
      for (let i = 1; i < p.length; i++) {
        expect((p[i]!.header.sequenceNumber - p[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
        expect((p[i]!.header.timestamp - p[i - 1]!.header.timestamp) >>> 0).toBe(160);
      }
    });

    it('idle none: timestamps stay on the clock across spurts (the gap between spurts advances them by the ticks it lasted)', async () => {
      const { s, clock, sent, received } = await stepped('none');
      clock.step(); // tick 0: nothing
      s.play(tone(320, 8000), 8000); // 2 frames, the first at once (tick 1's slot)
      await flushMicrotasks();
      clock.step(); // tick 1: frame 2
      clock.step(); // tick 2: gives the slot back
      clock.step(); // tick 3: nothing
      s.play(tone(160, 8000), 8000); // at once (tick 4's slot)
      await flushMicrotasks();
      clock.step(); // tick 4: gives the slot back
      clock.step(); // tick 5: nothing
      s.play(tone(160, 8000), 8000); // at once (tick 6's slot)
      await flushMicrotasks();
      expect(sent()).toBe(4);
      const p = await received(4);
      const ts0 = p[0]!.header.timestamp;
      expect(p.map((x) => (x.header.timestamp - ts0) >>> 0)).toEqual([0, 160, 3 * 160, 5 * 160]);
      expect(p.map((x) => x.header.marker)).toEqual([true, false, true, true]);
      expect(s.stats().framesSent).toBe(4);
    });

    it('audio at another rate goes out as if resampled at once, frame by frame, with its mark after it; queuedMs counts what is not resampled yet', async () => {
      const { s, clock, sent, received } = await stepped('none');
      const marks: string[] = [];
      s.on('mark', (name) => marks.push(name));
      // One second of a 24 kHz answer in two deltas, then a mark: 50 frames at 8 kHz.
      const answer = tone(24_000, 24_000, 440);
      s.play(answer.subarray(0, 12_000), 24_000);
      s.play(answer.subarray(12_000), 24_000);
      s.mark('end');
      await flushMicrotasks();
      expect(sent()).toBe(1); // the spurt's first frame, at once
      expect(s.queuedMs).toBeGreaterThan(900);
      expect(s.queuedMs).toBeLessThanOrEqual(980);
      let ticks = 0;
      while (!marks.includes('end') && ticks < 60) { clock.step(); ticks++; await flushMicrotasks(); }
      expect(marks).toEqual(['end']);
      expect(s.queuedMs).toBe(0);
      // The same audio resampled in one go, cut into frames, the last one padded with silence.
      const reference = new Resampler(24_000, 8_000).process(answer);
      const frames = Math.ceil(reference.length / 160);
      const padded = new Int16Array(frames * 160);
      padded.set(reference);
      const expected = encodeUlaw(padded);
      expect(sent()).toBe(frames);
      const p = await received(frames);
      expect(Buffer.concat(p.map((x) => x.payload))).toEqual(Buffer.from(expected));
    });

    it('audio queued while the session is sending waits for its tick (only a spurt\'s first frame is early)', async () => {
      const { s, clock, sent } = await stepped('silence');
      clock.step();
      s.play(tone(160, 8000), 8000);
      await flushMicrotasks();
      expect(sent()).toBe(2);
      s.play(tone(160, 8000), 8000); // the spurt is on: no second early frame
      await flushMicrotasks();
      expect(sent()).toBe(2);
      clock.step();
      expect(sent()).toBe(3);
    });
  });

  it('sends RFC 4733 digits that the peer session reports as dtmf events', async () => {
    const ports = await allocator(2);
    const [a, b] = await pair(ports);
    const digits: { digit: string; durationMs: number }[] = [];
    b.on('dtmf', (d) => digits.push(d));
    await a.sendDtmf('12#', { durationMs: 100 });
    await until(() => digits.length === 3);
    expect(digits.map((d) => d.digit).join('')).toBe('12#');
    for (const d of digits) expect(d.durationMs).toBe(100);
    expect(a.stats().dtmfOut).toBe(3);
    expect(b.stats().dtmfIn).toBe(3);
  });

  it('RFC 3550 A.3: the RFC 4733 packets of the peer\'s stream count as received, so digits are not packet loss (issue 19)', async () => {
    const ports = await allocator(2);
    const [a, b] = await pair(ports);
    const digits: string[] = [];
    b.on('dtmf', (d) => digits.push(d.digit));
    await a.sendDtmf('123', { durationMs: 100 });
    await until(() => digits.length === 3);
    // Audio again after the digits: the counters have seen the whole stream up to here.
    const after = b.stats().packetsIn + 5;
    await until(() => b.stats().packetsIn >= after);
    const st = b.stats();
    expect(st.packetsLost).toBe(0);
    expect(st.dtmfIn).toBe(3);
  });

  it('sendDtmf rejects with MEDIA_NO_TELEPHONE_EVENT when none was negotiated', async () => {
    const { s } = await sessionToPeer();
    await expect(s.sendDtmf('1')).rejects.toBeInstanceOf(MediaSessionError);
    await expect(s.sendDtmf('1')).rejects.toMatchObject({ code: 'MEDIA_NO_TELEPHONE_EVENT' });
  });

  it('stops sending while on hold and resumes with continuous timestamps', async () => {
    const { s, peer } = await sessionToPeer();
    await until(() => peer.packets.length >= 5);
    s.setDirection(true);
    // every packet sent before the hold has arrived; then a 300 ms window (15 ticks) must stay silent
    const atHold = s.stats().packetsOut;
    await until(() => peer.packets.length >= atHold);
    await new Promise((r) => setTimeout(r, 300));
    expect(peer.packets.length).toBe(atHold);
    s.setDirection(false);
    await until(() => peer.packets.length >= atHold + 5);
    const pkts = peer.packets.map((p) => RtpPacket.deSerialize(p));
    const i = pkts.length - 5;
    const gapTicks = (pkts[i]!.header.timestamp - pkts[0]!.header.timestamp) >>> 0;
    const gapSeq = (pkts[i]!.header.sequenceNumber - pkts[0]!.header.sequenceNumber) & 0xffff;
    // The timestamp kept running during hold (more ticks than packets), the sequence did not skip.
    expect(gapSeq).toBe(i);
    expect(gapTicks).toBeGreaterThan(gapSeq * 160 + 160 * 10);
  });

  it('a re-INVITE SDP with a=sendonly (peer holds us) stops our sending', async () => {
    const { s, peer } = await sessionToPeer();
    await until(() => peer.packets.length >= 3);
    s.updateRemote(`v=0\r\no=x 1 2 IN IP4 ${LO}\r\ns=-\r\nc=IN IP4 ${LO}\r\nt=0 0\r\nm=audio ${peer.port} RTP/AVP 0\r\na=sendonly\r\n`);
    expect(s.negotiated.remoteHold).toBe(true);
    // every packet sent before the re-INVITE has arrived; then a 200 ms window (10 ticks) must stay silent
    const n = s.stats().packetsOut;
    await until(() => peer.packets.length >= n);
    await new Promise((r) => setTimeout(r, 200));
    expect(peer.packets.length).toBe(n);
  });

  it('sends RTCP SR/RR reports and a BYE on close; close() is idempotent and releases the port', async () => {
    const ports = await allocator(1);
    const rtp = await udpPeer();
    closers.push(rtp.close);
    const rtcpPeer = await udpPeer();
    closers.push(rtcpPeer.close);
    const lease = ports.allocate();
    const s = await createMediaSession({
      lease, localAddress: LO, rtcpIntervalMs: 200,
      negotiated: pcmuTo(rtp.port, { remoteRtcp: { address: LO, port: rtcpPeer.port } }),
    });
    const stats: number[] = [];
    s.on('stats', (st) => stats.push(st.packetsOut));
    await until(() => rtcpPeer.packets.length >= 2);
    const sr = parseRtcp(rtcpPeer.packets[rtcpPeer.packets.length - 1]!);
    expect(sr.senderReports).toHaveLength(1);
    expect(sr.senderReports[0]!.packetCount).toBeGreaterThan(0);
    expect(stats.length).toBeGreaterThanOrEqual(1);
    let closes = 0;
    s.on('close', () => closes++);
    await Promise.all([s.close(), s.close()]);
    await s.close();
    expect(closes).toBe(1);
    await until(() => rtcpPeer.packets.some((p) => parseRtcp(p).byes.length > 0));
    expect(lease.released).toBe(true);
    expect(s.closed).toBe(true);
  });

  // The jitter figure on the wall clock depends on the machine's load; its computation (RFC 3550
  // §6.4.1, J += (|D| − J)/16) is tested with exact arrival times in test/media/rtp/rtcp.test.ts.
  it('reports zero loss, a jitter figure and the latched source for a clean loopback stream', async () => {
    const ports = await allocator(2);
    const [a, b] = await pair(ports);
    await until(() => b.stats().packetsIn > 20 && a.stats().packetsIn > 20);
    const st = b.stats();
    expect(st.packetsLost).toBe(0);
    expect(st.latchedSource?.port).toBe(a.localPort);
    expect(Number.isFinite(st.jitterMs) && st.jitterMs >= 0).toBe(true);
  });

  it('a listener that throws does not stop the media', async () => {
    const ports = await allocator(2);
    const [a, b] = await pair(ports);
    let n = 0;
    b.on('audio', () => { n++; throw new Error('consumer bug'); });
    a.play(tone(4000, 8000), 8000);
    await until(() => n >= 10);
  });
});
