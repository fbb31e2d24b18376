/**
 * Reading the RTP in a classic pcap file (the format rtpengine's `--recording-method=pcap` writes:
 * link type 101, raw IPv4, or 1, Ethernet), for tests that check what a recording holds.
 */
export interface PcapRtp {
  srcPort: number;
  dstPort: number;
  ssrc: number;
  seq: number;
  timestamp: number;
  payloadType: number;
  payload: Buffer;
}

export function readPcapRtp(file: Buffer): PcapRtp[] {
  if (file.length < 24) throw new Error(`not a pcap file (${file.length} bytes)`);
  const magic = file.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && file.readUInt32BE(0) !== 0xa1b2c3d4 && file.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a pcap file (magic)');
  const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const linkType = u32(20);
  const out: PcapRtp[] = [];
  for (let off = 24; off + 16 <= file.length;) {
    const incl = u32(off + 8);
    const pkt = file.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const ip = linkType === 1 ? pkt.subarray(14) : pkt;
    if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    const rtp = udp.subarray(8);
    if (rtp.length < 12 || rtp[0]! >> 6 !== 2) continue;
    const cc = rtp[0]! & 0x0f;
    out.push({
      srcPort: udp.readUInt16BE(0), dstPort: udp.readUInt16BE(2),
      payloadType: rtp[1]! & 0x7f, seq: rtp.readUInt16BE(2), timestamp: rtp.readUInt32BE(4), ssrc: rtp.readUInt32BE(8),
      payload: Buffer.from(rtp.subarray(12 + cc * 4)),
    });
  }
  return out;
}
