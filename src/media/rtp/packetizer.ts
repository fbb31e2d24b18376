/**
 * Outgoing RTP numbering (RFC 3550 §5.1): random initial sequence number and timestamp, sequence
 * +1 per packet sent, timestamp +ticksPerFrame per frame period whether or not a packet is sent
 * (so a pause in sending keeps the timestamp tied to real time and the receiver's playout right).
 */
import { randomInt } from 'node:crypto';
import { allocRtpPacket, writeRtpPacket } from './header.js';

export interface RtpPacketizerOptions {
  payloadType: number;
  /** Timestamp increment per frame (codec.frameTicks(ptime)). */
  ticksPerFrame: number;
  ssrc?: number;
  initialSequence?: number;
  initialTimestamp?: number;
}

export class RtpPacketizer {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly ticksPerFrame: number;
  #seq: number;
  #timestamp: number;

  constructor(options: RtpPacketizerOptions) {
    this.ssrc = (options.ssrc ?? randomInt(1, 2 ** 32 - 1)) >>> 0;
    this.payloadType = options.payloadType;
    this.ticksPerFrame = options.ticksPerFrame;
    this.#seq = (options.initialSequence ?? randomInt(0, 1 << 16)) & 0xffff;
    this.#timestamp = (options.initialTimestamp ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
  }

  /** Sequence number the next packet will carry. */
  get sequence(): number { return this.#seq; }
  /** Timestamp of the current frame period. */
  get timestamp(): number { return this.#timestamp; }

  /** The packet for this frame period (then the period advances). */
  frame(payload: Buffer, marker: boolean): Buffer {
    const pkt = this.packet(this.payloadType, payload, marker, this.#timestamp);
    this.skipFrame();
    return pkt;
  }

  /**
   * The packet for this frame period with room for `payloadBytes` of payload at offset 12, for
   * the caller to encode into (then the period advances).
   */
  frameFor(payloadBytes: number, marker: boolean): Buffer {
    const pkt = allocRtpPacket(this.payloadType, marker, this.#seq, this.#timestamp, this.ssrc, payloadBytes);
    this.#seq = (this.#seq + 1) & 0xffff;
    this.skipFrame();
    return pkt;
  }

  /** Let one frame period pass without sending (hold, or nothing to send). */
  skipFrame(): void {
    this.#timestamp = (this.#timestamp + this.ticksPerFrame) >>> 0;
  }

  /** Any packet in this stream (e.g. RFC 4733 events, which keep the event's start timestamp). */
  packet(payloadType: number, payload: Buffer, marker: boolean, timestamp: number): Buffer {
    const pkt = writeRtpPacket(payloadType, marker, this.#seq, timestamp, this.ssrc, payload);
    this.#seq = (this.#seq + 1) & 0xffff;
    return pkt;
  }
}
