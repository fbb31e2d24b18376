/**
 * Minimal reader for the classic pcap format (not pcapng), enough to replay RTP from captures:
 * 24-byte global header, then 16-byte record headers; Ethernet (link type 1) / IPv4 / UDP.
 */
import { readFileSync } from 'node:fs';

export interface RtpFromPcap {
  timeMs: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payloadType: number;
  payload: Buffer;
}

export function readRtpFromPcap(path: string): RtpFromPcap[] {
  const data = readFileSync(path);
  const magic = data.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4;
  if (!le && data.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error(`${path}: not a pcap file`);
  const u32 = (o: number): number => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`${path}: link type ${linkType}, expected Ethernet`);
  const out: RtpFromPcap[] = [];
  let off = 24;
  while (off + 16 <= data.length) {
    const sec = u32(off);
    const usec = u32(off + 4);
    const caplen = u32(off + 8);
    const frame = data.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    if (frame.readUInt16BE(12) !== 0x0800) continue; // IPv4 only
    const ip = frame.subarray(14);
    const ihl = (ip[0]! & 0x0f) * 4;
    if (ip[9] !== 17) continue; // UDP
    const rtp = ip.subarray(ihl + 8, ip.readUInt16BE(2));
    if (rtp.length < 12 || rtp[0]! >> 6 !== 2) continue;
    const cc = rtp[0]! & 0x0f;
    out.push({
      timeMs: sec * 1000 + usec / 1000,
      seq: rtp.readUInt16BE(2),
      timestamp: rtp.readUInt32BE(4),
      ssrc: rtp.readUInt32BE(8),
      marker: (rtp[1]! & 0x80) !== 0,
      payloadType: rtp[1]! & 0x7f,
      payload: Buffer.from(rtp.subarray(12 + cc * 4)),
    });
  }
  return out;
}
