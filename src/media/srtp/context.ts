/**
 * One direction of an SRTP session (RFC 3711): the session keys derived from one master key and
 * salt, and the per-SSRC rollover counters and replay windows. A call has two: `outbound` (our
 * key, what we send) and `inbound` (the peer's key, what we receive) — see ./session.ts.
 *
 * SRTP packet (§3.1): the RTP header in clear, the payload encrypted with AES-CM (§4.1.1), then
 * the authentication tag: HMAC-SHA1 over header || encrypted payload || ROC, truncated (§4.2).
 * SRTCP packet (§3.4): the first 8 bytes in clear, the rest encrypted, then E-flag || 31-bit index,
 * then the tag over everything before it.
 *
 * Written on node:crypto rather than taken from werift-rtp 0.8.9, which has no
 * AES_CM_128_HMAC_SHA1_32 (its tag length is fixed at 10), no replay protection, advances the
 * receive ROC on any packet before it authenticated, and builds a cipher per packet (slower:
 * bench/media/srtp.bench.ts). The tests cross-check both ways against werift-rtp for _80.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SrtpRejection } from './errors.js';
import { KDF_LABEL, deriveSessionKey } from './kdf.js';
import { AesCmKeystream } from './keystream.js';
import { ReplayWindow } from './replay.js';
import type { SrtpSuite } from './suites.js';

/** RFC 3711 §3.3.1: 2^48 packets per master key for SRTP, §3.4: 2^31 for SRTCP. */
const SRTCP_INDEX_LIMIT = 0x80000000;

/** Length of the RTP header (fixed part, CSRCs, §5.3.1 extension), or -1 if malformed. */
function rtpHeaderLength(buf: Buffer, end: number): number {
  if (end < 12 || buf[0]! >> 6 !== 2) return -1;
  let offset = 12 + (buf[0]! & 0x0f) * 4;
  if (buf[0]! & 0x10) {
    if (end < offset + 4) return -1;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  return offset > end ? -1 : offset;
}

export class SrtpContext {
  readonly suite: SrtpSuite;
  readonly #rtpCipher: AesCmKeystream;
  readonly #rtpAuthKey: Buffer;
  readonly #rtcpCipher: AesCmKeystream;
  readonly #rtcpAuthKey: Buffer;
  /** The sender's index per SSRC: the same estimate as the receiver's, without the replay check. */
  readonly #senders = new Map<number, ReplayWindow>();
  readonly #receivers = new Map<number, ReplayWindow>();
  readonly #rtcpReceivers = new Map<number, ReplayWindow>();
  #srtcpIndex = 0;
  readonly #roc = Buffer.alloc(4);

  constructor(suite: SrtpSuite, masterKey: Buffer, masterSalt: Buffer) {
    this.suite = suite;
    this.#rtpCipher = new AesCmKeystream(
      deriveSessionKey(masterKey, masterSalt, KDF_LABEL.rtpEncryption, 16),
      deriveSessionKey(masterKey, masterSalt, KDF_LABEL.rtpSalt, 14),
    );
    this.#rtpAuthKey = deriveSessionKey(masterKey, masterSalt, KDF_LABEL.rtpAuthentication, 20);
    this.#rtcpCipher = new AesCmKeystream(
      deriveSessionKey(masterKey, masterSalt, KDF_LABEL.rtcpEncryption, 16),
      deriveSessionKey(masterKey, masterSalt, KDF_LABEL.rtcpSalt, 14),
    );
    this.#rtcpAuthKey = deriveSessionKey(masterKey, masterSalt, KDF_LABEL.rtcpAuthentication, 20);
  }

  /** RTP → SRTP. Returns a new buffer (the input is left as it was); undefined if not RTP. */
  protectRtp(packet: Buffer): Buffer | undefined {
    const headerLength = rtpHeaderLength(packet, packet.length);
    if (headerLength < 0) return undefined;
    const seq = packet.readUInt16BE(2);
    const ssrc = packet.readUInt32BE(8);
    // §3.3.1: the sender's ROC counts wraps of its own sequence numbers; a packet sent again
    // out of order (a retransmission) keeps the index it had.
    let sent = this.#senders.get(ssrc);
    if (!sent) {
      sent = new ReplayWindow();
      this.#senders.set(ssrc, sent);
    }
    const index = sent.estimate(seq);
    sent.accept(index);
    const roc = Math.floor(index / 0x10000);
    const tagLength = this.suite.rtpTagLength;
    const out = Buffer.allocUnsafe(packet.length + tagLength);
    packet.copy(out);
    this.#rtpCipher.xor(out.subarray(headerLength, packet.length), ssrc, index);
    this.#rtpTag(out, packet.length, roc).copy(out, packet.length, 0, tagLength);
    return out;
  }

  /**
   * SRTP → RTP, in place: the returned buffer is a view of `packet` without the tag, its payload
   * decrypted. A string says why the packet was refused (§3.3: authenticate, then replay-check).
   */
  unprotectRtp(packet: Buffer): Buffer | SrtpRejection {
    const tagLength = this.suite.rtpTagLength;
    const end = packet.length - tagLength;
    const headerLength = rtpHeaderLength(packet, end);
    if (headerLength < 0) return 'malformed';
    const seq = packet.readUInt16BE(2);
    const ssrc = packet.readUInt32BE(8);
    let window = this.#receivers.get(ssrc);
    if (!window) {
      window = new ReplayWindow();
      this.#receivers.set(ssrc, window);
    }
    const index = window.estimate(seq);
    if (!window.check(index)) return 'replay';
    const roc = Math.floor(index / 0x10000);
    const expected = this.#rtpTag(packet, end, roc);
    if (!timingSafeEqual(expected.subarray(0, tagLength), packet.subarray(end))) return 'auth';
    window.accept(index);
    const plain = packet.subarray(0, end);
    this.#rtpCipher.xor(plain.subarray(headerLength), ssrc, index);
    return plain;
  }

  /** RTCP → SRTCP (§3.4), every packet encrypted (E = 1). A new buffer; undefined if too short. */
  protectRtcp(packet: Buffer): Buffer | undefined {
    if (packet.length < 8) return undefined;
    if (this.#srtcpIndex >= SRTCP_INDEX_LIMIT) return undefined;
    const index = this.#srtcpIndex++;
    const ssrc = packet.readUInt32BE(4);
    const tagLength = this.suite.rtcpTagLength;
    const out = Buffer.allocUnsafe(packet.length + 4 + tagLength);
    packet.copy(out);
    this.#rtcpCipher.xor(out.subarray(8, packet.length), ssrc, index);
    out.writeUInt32BE((0x80000000 | index) >>> 0, packet.length);
    const tag = createHmac('sha1', this.#rtcpAuthKey).update(out.subarray(0, packet.length + 4)).digest();
    tag.copy(out, packet.length + 4, 0, tagLength);
    return out;
  }

  /** SRTCP → RTCP, in place (a view without the index and tag), or why it was refused. */
  unprotectRtcp(packet: Buffer): Buffer | SrtpRejection {
    const tagLength = this.suite.rtcpTagLength;
    const end = packet.length - tagLength - 4;
    if (end < 8 || packet[0]! >> 6 !== 2) return 'malformed';
    const word = packet.readUInt32BE(end);
    const encrypted = (word & 0x80000000) !== 0;
    const index = word & 0x7fffffff;
    const ssrc = packet.readUInt32BE(4);
    let window = this.#rtcpReceivers.get(ssrc);
    if (!window) {
      window = new ReplayWindow();
      this.#rtcpReceivers.set(ssrc, window);
    }
    // The SRTCP index is carried explicitly: no estimation, only the replay check.
    if (!window.check(index)) return 'replay';
    const expected = createHmac('sha1', this.#rtcpAuthKey).update(packet.subarray(0, end + 4)).digest();
    if (!timingSafeEqual(expected.subarray(0, tagLength), packet.subarray(end + 4))) return 'auth';
    window.accept(index);
    const plain = packet.subarray(0, end);
    if (encrypted) this.#rtcpCipher.xor(plain.subarray(8), ssrc, index);
    return plain;
  }

  /** The sender's rollover counter for an SSRC (tests). */
  sendRoc(ssrc: number): number {
    return this.#senders.get(ssrc)?.roc ?? 0;
  }

  /** The receiver's rollover counter for an SSRC (tests). */
  receiveRoc(ssrc: number): number {
    return this.#receivers.get(ssrc)?.roc ?? 0;
  }

  /** §4.2: HMAC-SHA1 over the authenticated portion followed by the 32-bit ROC. */
  #rtpTag(buf: Buffer, end: number, roc: number): Buffer {
    this.#roc.writeUInt32BE(roc >>> 0, 0);
    return createHmac('sha1', this.#rtpAuthKey).update(buf.subarray(0, end)).update(this.#roc).digest();
  }
}
