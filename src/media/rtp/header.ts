/**
 * The RTP fixed header (RFC 3550 §5.1) on the per-packet hot path. werift-rtp's RtpHeader builds
 * every field with Object.defineProperty and a bit reader, which dominated the media profile at a
 * few hundred streams (see docs/benchmarks.md, "Media sessions"); this reads and writes the 12-byte header
 * in place. Tests cross-check it against werift-rtp.
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *    |                           timestamp                           |
 *    |           synchronization source (SSRC) identifier            |
 *    |            contributing source (CSRC) identifiers             |  (CC × 32 bits)
 */

export interface RtpHeaderView {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Offset of the payload (after CSRCs and the §5.3.1 extension). */
  payloadOffset: number;
  /** Payload end (before §5.1 padding). */
  payloadEnd: number;
}

/** Parse a datagram's RTP header; undefined if it is not a well-formed version-2 RTP packet. */
export function readRtpHeader(buf: Buffer): RtpHeaderView | undefined {
  if (buf.length < 12) return undefined;
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return undefined;
  let offset = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    // §5.3.1: 16-bit profile id, 16-bit length in 32-bit words, then the extension.
    if (buf.length < offset + 4) return undefined;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  let end = buf.length;
  if (b0 & 0x20) end -= buf[buf.length - 1]!;
  if (offset > end) return undefined;
  const b1 = buf[1]!;
  return {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payloadOffset: offset,
    payloadEnd: end,
  };
}

/** A new packet: 12-byte header (no CSRC, no extension, no padding) followed by the payload. */
export function writeRtpPacket(payloadType: number, marker: boolean, sequenceNumber: number, timestamp: number, ssrc: number, payload: Uint8Array): Buffer {
  const out = allocRtpPacket(payloadType, marker, sequenceNumber, timestamp, ssrc, payload.length);
  out.set(payload, 12);
  return out;
}

/** A new packet with the same header and room for `payloadBytes` of payload at offset 12, left for the caller to fill. */
export function allocRtpPacket(payloadType: number, marker: boolean, sequenceNumber: number, timestamp: number, ssrc: number, payloadBytes: number): Buffer {
  const out = Buffer.allocUnsafe(12 + payloadBytes);
  // Byte stores rather than writeUInt16BE/writeUInt32BE, whose argument checks cost more than the stores.
  out[0] = 0x80;
  out[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  out[2] = (sequenceNumber >>> 8) & 0xff;
  out[3] = sequenceNumber & 0xff;
  out[4] = timestamp >>> 24;
  out[5] = (timestamp >>> 16) & 0xff;
  out[6] = (timestamp >>> 8) & 0xff;
  out[7] = timestamp & 0xff;
  out[8] = ssrc >>> 24;
  out[9] = (ssrc >>> 16) & 0xff;
  out[10] = (ssrc >>> 8) & 0xff;
  out[11] = ssrc & 0xff;
  return out;
}
