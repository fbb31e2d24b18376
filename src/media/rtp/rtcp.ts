/**
 * RTCP packets (RFC 3550 §6): compound SR/RR + SDES CNAME reports, BYE, and parsing of what the
 * peer sends. SR, RR and SDES use werift-rtp's classes; BYE (§6.6), which werift lacks, is here.
 */
import {
  RtcpPacketConverter, RtcpReceiverInfo, RtcpRrPacket, RtcpSenderInfo, RtcpSourceDescriptionPacket, RtcpSrPacket,
  SourceDescriptionChunk, SourceDescriptionItem,
} from 'werift-rtp';
import type { ReceptionReport } from './receiver-stats.js';

/** Seconds from 1900-01-01 (NTP epoch) to 1970-01-01. */
const NTP_UNIX_OFFSET = 2208988800n;
const RTCP_BYE = 203;
const SDES_CNAME = 1;

/** A report block plus the LSR/DLSR fields (RFC 3550 §6.4.1), in 1/65536 s units. */
export interface ReportBlock extends ReceptionReport {
  lsr: number;
  dlsr: number;
}

export interface SenderInfo {
  /** 64-bit NTP timestamp of when the report was sent. */
  ntp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface RtcpReport {
  ssrc: number;
  /** Present if we sent RTP since the last report: the packet is an SR, else an RR (§6.4). */
  sender?: SenderInfo;
  blocks: ReportBlock[];
  cname: string;
}

export interface ParsedRtcp {
  senderReports: (SenderInfo & { ssrc: number })[];
  /** Report blocks from SRs and RRs, with the SSRC of the reporter. */
  blocks: (ReportBlock & { reporter: number })[];
  /** SSRCs that said goodbye (§6.6). */
  byes: number[];
}

/** Wall-clock time as a 64-bit NTP timestamp (RFC 3550 §4). */
export function ntpNow(nowMs = Date.now()): bigint {
  const ms = BigInt(Math.floor(nowMs));
  const seconds = ms / 1000n + NTP_UNIX_OFFSET;
  const fraction = ((ms % 1000n) << 32n) / 1000n;
  return (seconds << 32n) | fraction;
}

/** The middle 32 bits of an NTP timestamp: the LSR field and RTT arithmetic unit (1/65536 s). */
export function ntpMiddle32(ntp: bigint): number {
  return Number((ntp >> 16n) & 0xffffffffn);
}

function sdes(ssrc: number, cname: string): Buffer {
  return new RtcpSourceDescriptionPacket({
    chunks: [new SourceDescriptionChunk({ source: ssrc, items: [new SourceDescriptionItem({ type: SDES_CNAME, text: cname })] })],
  }).serialize();
}

function receiverInfo(b: ReportBlock): RtcpReceiverInfo {
  return new RtcpReceiverInfo({
    ssrc: b.ssrc, fractionLost: b.fractionLost & 0xff, packetsLost: b.packetsLost & 0xffffff,
    highestSequence: b.highestSequence >>> 0, jitter: b.jitter >>> 0, lsr: b.lsr >>> 0, dlsr: b.dlsr >>> 0,
  });
}

/** A compound packet: SR or RR first, then SDES with CNAME (RFC 3550 §6.1). */
export function buildReport(report: RtcpReport): Buffer {
  const reports = report.blocks.slice(0, 31).map(receiverInfo);
  const first = report.sender
    ? new RtcpSrPacket({
      ssrc: report.ssrc,
      senderInfo: new RtcpSenderInfo({
        ntpTimestamp: report.sender.ntp, rtpTimestamp: report.sender.rtpTimestamp >>> 0,
        packetCount: report.sender.packetCount >>> 0, octetCount: report.sender.octetCount >>> 0,
      }),
      reports,
    }).serialize()
    : new RtcpRrPacket({ ssrc: report.ssrc, reports }).serialize();
  return Buffer.concat([first, sdes(report.ssrc, report.cname)]);
}

/** RFC 3550 §6.6 BYE for one SSRC (no reason text). */
export function byePacket(ssrc: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80 | 1; // V=2, P=0, SC=1
  b[1] = RTCP_BYE;
  b.writeUInt16BE(1, 2); // length in 32-bit words minus one
  b.writeUInt32BE(ssrc >>> 0, 4);
  return b;
}

/** The compound packet sent on close: a final report, then BYE (§6.1 — BYE goes last). */
export function buildBye(report: RtcpReport): Buffer {
  return Buffer.concat([buildReport(report), byePacket(report.ssrc)]);
}

/** RFC 5761 §4: in a muxed stream, second-byte values 192–223 are RTCP packet types. */
export function looksLikeRtcp(buf: Buffer): boolean {
  return buf.length >= 8 && (buf[0]! >> 6) === 2 && buf[1]! >= 192 && buf[1]! <= 223;
}

function signed24(v: number): number {
  return v & 0x800000 ? v - 0x1000000 : v;
}

function toBlock(r: RtcpReceiverInfo, reporter: number): ReportBlock & { reporter: number } {
  return {
    reporter, ssrc: r.ssrc, fractionLost: r.fractionLost, packetsLost: signed24(r.packetsLost),
    highestSequence: r.highestSequence, jitter: r.jitter, lsr: r.lsr, dlsr: r.dlsr,
  };
}

/** Parse a (compound) RTCP datagram. Throws only on a structurally broken first header. */
export function parseRtcp(buf: Buffer): ParsedRtcp {
  const out: ParsedRtcp = { senderReports: [], blocks: [], byes: [] };
  // BYE is not decoded by werift: walk the headers for it ourselves.
  for (let pos = 0; pos + 4 <= buf.length;) {
    const count = buf[pos]! & 0x1f;
    const type = buf[pos + 1]!;
    const len = (buf.readUInt16BE(pos + 2) + 1) * 4;
    if (type === RTCP_BYE) {
      for (let i = 0; i < count && pos + 4 + 4 * i + 4 <= buf.length; i++) out.byes.push(buf.readUInt32BE(pos + 4 + 4 * i));
    }
    pos += len;
  }
  for (const p of RtcpPacketConverter.deSerialize(buf)) {
    if (p instanceof RtcpSrPacket) {
      out.senderReports.push({
        ssrc: p.ssrc, ntp: p.senderInfo.ntpTimestamp, rtpTimestamp: p.senderInfo.rtpTimestamp,
        packetCount: p.senderInfo.packetCount, octetCount: p.senderInfo.octetCount,
      });
      for (const r of p.reports) out.blocks.push(toBlock(r, p.ssrc));
    } else if (p instanceof RtcpRrPacket) {
      for (const r of p.reports) out.blocks.push(toBlock(r, p.ssrc));
    }
  }
  return out;
}

/**
 * RFC 3550 §6.4.1 round-trip time from a report block about our stream: A − LSR − DLSR, where A
 * is the arrival time (middle 32 bits of NTP). Returns ms, or undefined when no SR was reported.
 */
export function roundTripMs(block: { lsr: number; dlsr: number }, arrivalNtp: bigint): number | undefined {
  if (block.lsr === 0) return undefined;
  const a = ntpMiddle32(arrivalNtp);
  const rtt = (a - block.lsr - block.dlsr) >>> 0;
  if (rtt > 0x7fffffff) return undefined;
  return (rtt / 65536) * 1000;
}
