import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReceiverStats } from '../../../src/media/rtp/receiver-stats.js';
import { RtcpSession } from '../../../src/media/rtp/rtcp-session.js';
import { buildBye, buildReport, looksLikeRtcp, ntpMiddle32, ntpNow, parseRtcp } from '../../../src/media/rtp/rtcp.js';

/** A synthetic G.711 stream: 20 ms frames (160 timestamp units), arrival offsets in ms per packet. */
function feed(stats: ReceiverStats, opts: { count: number; firstSeq?: number; drop?: (i: number) => boolean; jitterMs?: (i: number) => number }): void {
  const first = opts.firstSeq ?? 1000;
  for (let i = 0; i < opts.count; i++) {
    if (opts.drop?.(i)) continue;
    const arrivalMs = i * 20 + (opts.jitterMs?.(i) ?? 0);
    stats.update((first + i) & 0xffff, (5000 + i * 160) >>> 0, Math.round(arrivalMs * 8));
  }
}

describe('ReceiverStats (RFC 3550 A.1, A.3, A.8)', () => {
  it('reports 10% loss as fraction 25/256 and the cumulative count', () => {
    const s = new ReceiverStats(1, 8000);
    feed(s, { count: 1000, drop: (i) => i % 10 === 5 });
    const r = s.report();
    expect(r.packetsLost).toBe(100);
    expect(r.fractionLost).toBe(Math.floor((100 * 256) / 1000));
    expect(r.highestSequence).toBe(1999);
  });

  it('computes the fraction per interval: a clean interval after a lossy one reports 0', () => {
    const s = new ReceiverStats(1, 8000);
    feed(s, { count: 200, drop: (i) => i % 4 === 1 });
    expect(s.report().fractionLost).toBe(64);
    for (let i = 200; i < 400; i++) s.update(1000 + i, 5000 + i * 160, i * 160);
    const r = s.report();
    expect(r.fractionLost).toBe(0);
    expect(r.packetsLost).toBe(50);
  });

  it('converges the interarrival jitter to |D| for arrival alternating by 10 ms (J += (|D| − J)/16)', () => {
    const s = new ReceiverStats(1, 8000);
    feed(s, { count: 500, jitterMs: (i) => (i % 2 === 0 ? 0 : 10) });
    expect(s.report().jitter).toBeGreaterThanOrEqual(79);
    expect(s.report().jitter).toBeLessThanOrEqual(80);
    expect(s.jitterMs).toBeCloseTo(10, 0);
  });

  it('reports zero jitter for perfectly paced arrival', () => {
    const s = new ReceiverStats(1, 8000);
    feed(s, { count: 300 });
    expect(s.report().jitter).toBe(0);
  });

  it('counts untimed packets (an RFC 4733 event keeps its start timestamp) as received, without touching the jitter', () => {
    const s = new ReceiverStats(1, 8000);
    // 20 audio packets, 7 event packets all stamped with the event's start, 20 audio packets: one sequence.
    for (let i = 0; i < 47; i++) {
      const event = i >= 20 && i < 27;
      s.update(1000 + i, event ? 20 * 160 : i * 160, i * 160, !event);
    }
    const r = s.report();
    expect(r.packetsLost).toBe(0);
    expect(r.highestSequence).toBe(1046);
    expect(r.jitter).toBe(0);
  });

  it('extends the highest sequence number across the 65535 → 0 wrap', () => {
    const s = new ReceiverStats(1, 8000);
    feed(s, { count: 1000, firstSeq: 65000 });
    const r = s.report();
    expect(r.highestSequence).toBe(65000 + 999);
    expect(r.packetsLost).toBe(0);
  });

  it('property: lost = number of dropped packets for any drop pattern that keeps the first and last', () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { minLength: 3, maxLength: 400 }), fc.integer({ min: 0, max: 65535 }), (drops, first) => {
      drops[0] = false;
      drops[drops.length - 1] = false;
      const s = new ReceiverStats(7, 8000);
      feed(s, { count: drops.length, firstSeq: first, drop: (i) => drops[i]! });
      expect(s.report().packetsLost).toBe(drops.filter(Boolean).length);
    }));
  });
});

describe('RTCP packets (RFC 3550 §6.4, §6.6)', () => {
  it('an SR with report blocks round-trips through serialize and parse, including negative cumulative loss', () => {
    const ntp = ntpNow(1_700_000_000_123);
    const buf = buildReport({
      ssrc: 0xdeadbeef, cname: 'tg@test',
      sender: { ntp, rtpTimestamp: 123456, packetCount: 50, octetCount: 8000 },
      blocks: [{ ssrc: 42, fractionLost: 25, packetsLost: -3, highestSequence: 70000, jitter: 80, lsr: 0x12345678, dlsr: 65536 }],
    });
    expect(looksLikeRtcp(buf)).toBe(true);
    const p = parseRtcp(buf);
    expect(p.senderReports).toEqual([{ ssrc: 0xdeadbeef, ntp, rtpTimestamp: 123456, packetCount: 50, octetCount: 8000 }]);
    expect(p.blocks).toEqual([{ reporter: 0xdeadbeef, ssrc: 42, fractionLost: 25, packetsLost: -3, highestSequence: 70000, jitter: 80, lsr: 0x12345678, dlsr: 65536 }]);
    expect(p.byes).toEqual([]);
  });

  it('an RR compound with BYE lists the leaving SSRC', () => {
    const p = parseRtcp(buildBye({ ssrc: 99, cname: 'x', blocks: [] }));
    expect(p.byes).toEqual([99]);
    expect(p.senderReports).toEqual([]);
  });

  it('RTP packets are not mistaken for RTCP on a muxed port (RFC 5761 §4)', () => {
    const rtp = Buffer.from([0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(looksLikeRtcp(rtp)).toBe(false);
    const rtpMarkerPt0 = Buffer.from([0x80, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(looksLikeRtcp(rtpMarkerPt0)).toBe(false);
  });
});

describe('RtcpSession', () => {
  it('reports the synthetic stream\'s loss and jitter in its RR and the peer reads them back', () => {
    let mono = 0;
    const rx = new RtcpSession({ ssrc: 1, cname: 'rx', clockRate: 8000, now: () => mono });
    for (let i = 0; i < 250; i++) {
      if (i % 20 === 7) continue; // 5% loss
      mono = i * 20 + (i % 2 ? 4 : 0); // ±4 ms alternating → jitter → 4 ms
      rx.onRtpReceived(555, 100 + i, 9000 + i * 160, mono);
    }
    const tx = new RtcpSession({ ssrc: 555, cname: 'tx', clockRate: 8000 });
    tx.onRtcpReceived(rx.report());
    expect(tx.remoteView?.packetsLost).toBe(13);
    expect(tx.remoteView?.fractionLost).toBeCloseTo(13 / 250, 2);
    expect(tx.remoteView?.jitterMs).toBeGreaterThan(3.5);
    expect(tx.remoteView?.jitterMs).toBeLessThan(4.1);
  });

  it('sends an SR only when it sent RTP since the last report', () => {
    const s = new RtcpSession({ ssrc: 3, cname: 'a', clockRate: 8000 });
    expect(parseRtcp(s.report()).senderReports).toHaveLength(0);
    s.onRtpSent(160, 1000);
    const sr = parseRtcp(s.report()).senderReports;
    expect(sr).toHaveLength(1);
    expect(sr[0]).toMatchObject({ ssrc: 3, packetCount: 1, octetCount: 160 });
  });

  it('computes the round-trip time from LSR/DLSR (§6.4.1)', () => {
    let wallA = 1_700_000_000_000;
    let monoB = 0;
    const a = new RtcpSession({ ssrc: 10, cname: 'a', clockRate: 8000, wallNow: () => wallA });
    const b = new RtcpSession({ ssrc: 20, cname: 'b', clockRate: 8000, now: () => monoB });
    a.onRtpSent(160, 0);
    b.onRtpReceived(10, 1, 0, 0);
    const sr = a.report(); // sent at wallA
    wallA += 30; // 30 ms one way
    monoB = 1000;
    b.onRtcpReceived(sr, monoB);
    monoB += 250; // B holds it 250 ms before reporting (DLSR)
    const rr = b.report();
    wallA += 250 + 30; // 30 ms back
    a.onRtcpReceived(rr);
    expect(a.remoteView?.rttMs).toBeGreaterThan(55);
    expect(a.remoteView?.rttMs).toBeLessThan(65);
  });

  it('ntpMiddle32 takes bits 16..47 of the NTP timestamp', () => {
    expect(ntpMiddle32(0x0001_0002_0003_0004n)).toBe(0x0002_0003);
  });
});
