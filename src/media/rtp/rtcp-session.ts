/**
 * Per-session RTCP state (RFC 3550 §6): what we sent (for SR sender info), what we received (one
 * ReceiverStats per remote SSRC, for report blocks), the last SR heard (for LSR/DLSR, §6.4.1),
 * and what the peer says about our stream (its loss, jitter, and the round-trip time).
 */
import { ReceiverStats } from './receiver-stats.js';
import { buildBye, buildReport, ntpMiddle32, ntpNow, parseRtcp, roundTripMs, type ParsedRtcp, type RtcpReport } from './rtcp.js';

export interface RemoteView {
  fractionLost: number;
  packetsLost: number;
  jitterMs: number;
  rttMs?: number;
}

export interface RtcpSessionOptions {
  ssrc: number;
  cname: string;
  clockRate: number;
  /** Monotonic ms clock (performance.now); injectable for tests. */
  now?: () => number;
  /** Wall clock ms for NTP timestamps (Date.now); injectable for tests. */
  wallNow?: () => number;
}

export class RtcpSession {
  readonly ssrc: number;
  readonly cname: string;
  readonly clockRate: number;
  readonly #now: () => number;
  readonly #wallNow: () => number;
  #packetsSent = 0;
  #octetsSent = 0;
  #sentSinceReport = false;
  #lastRtpTimestamp = 0;
  #lastSentAt = 0;
  #sources = new Map<number, ReceiverStats>();
  #lastSr = new Map<number, { middle: number; arrivedAt: number }>();
  #remote: RemoteView | undefined;
  #byeReceived = false;

  constructor(options: RtcpSessionOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.cname = options.cname;
    this.clockRate = options.clockRate;
    this.#now = options.now ?? (() => performance.now());
    this.#wallNow = options.wallNow ?? (() => Date.now());
  }

  get remoteView(): RemoteView | undefined { return this.#remote; }
  get byeReceived(): boolean { return this.#byeReceived; }
  get packetsSent(): number { return this.#packetsSent; }

  /** The stats of the (single) main remote source: the one with most packets. */
  get mainSource(): ReceiverStats | undefined {
    let best: ReceiverStats | undefined;
    for (const s of this.#sources.values()) if (!best || s.received > best.received) best = s;
    return best;
  }

  /** Account an RTP packet we sent (payload octets, §6.4.1 sender's octet count). */
  onRtpSent(payloadBytes: number, rtpTimestamp: number): void {
    this.#packetsSent++;
    this.#octetsSent += payloadBytes;
    this.#sentSinceReport = true;
    this.#lastRtpTimestamp = rtpTimestamp;
    this.#lastSentAt = this.#now();
  }

  /**
   * Account a received RTP packet (arrival on the monotonic clock); `timed` false keeps it out of
   * the jitter (ReceiverStats.update). Returns false if A.1 rejected it.
   */
  onRtpReceived(ssrc: number, seq: number, rtpTimestamp: number, arrivalMs = this.#now(), timed = true): boolean {
    let s = this.#sources.get(ssrc);
    if (!s) {
      s = new ReceiverStats(ssrc, this.clockRate);
      this.#sources.set(ssrc, s);
    }
    return s.update(seq, rtpTimestamp, Math.round((arrivalMs * this.clockRate) / 1000), timed);
  }

  /** Read an incoming RTCP datagram. */
  onRtcpReceived(buf: Buffer, arrivalMs = this.#now()): ParsedRtcp {
    const parsed = parseRtcp(buf);
    for (const sr of parsed.senderReports) this.#lastSr.set(sr.ssrc, { middle: ntpMiddle32(sr.ntp), arrivedAt: arrivalMs });
    for (const b of parsed.blocks) {
      if (b.ssrc >>> 0 !== this.ssrc) continue;
      const rtt = roundTripMs(b, ntpNow(this.#wallNow()));
      this.#remote = {
        fractionLost: b.fractionLost / 256,
        packetsLost: b.packetsLost,
        jitterMs: (b.jitter / this.clockRate) * 1000,
        ...(rtt !== undefined ? { rttMs: rtt } : this.#remote?.rttMs !== undefined ? { rttMs: this.#remote.rttMs } : {}),
      };
    }
    if (parsed.byes.length > 0) this.#byeReceived = true;
    return parsed;
  }

  #report(): RtcpReport {
    const now = this.#now();
    const blocks = [...this.#sources.values()].map((s) => {
      const sr = this.#lastSr.get(s.ssrc);
      // DLSR in 1/65536 s since that SR arrived (§6.4.1).
      const dlsr = sr ? Math.floor(((now - sr.arrivedAt) / 1000) * 65536) : 0;
      return { ...s.report(), lsr: sr?.middle ?? 0, dlsr };
    });
    const report: RtcpReport = { ssrc: this.ssrc, blocks, cname: this.cname };
    if (this.#sentSinceReport) {
      // The RTP timestamp of "now", extrapolated from the last packet sent (§6.4.1).
      const rtpTimestamp = (this.#lastRtpTimestamp + Math.round(((now - this.#lastSentAt) * this.clockRate) / 1000)) >>> 0;
      report.sender = { ntp: ntpNow(this.#wallNow()), rtpTimestamp, packetCount: this.#packetsSent, octetCount: this.#octetsSent };
    }
    this.#sentSinceReport = false;
    return report;
  }

  /** The periodic SR or RR compound packet. */
  report(): Buffer {
    return buildReport(this.#report());
  }

  /** The final compound packet with BYE. */
  bye(): Buffer {
    return buildBye(this.#report());
  }

  /** Forget remote sources (the peer changed, e.g. re-INVITE to another media server). */
  resetSources(): void {
    this.#sources.clear();
    this.#lastSr.clear();
  }
}

/** RFC 3550 §6.3.1 randomises each interval to [0.5, 1.5] × T so reports do not synchronise. */
export function randomizedInterval(baseMs: number, random = Math.random): number {
  return baseMs * (0.5 + random());
}
