/**
 * The audio codec contract the media engine codes against. PCM is always linear 16-bit mono at
 * the codec's `sampleRate`; payloads are RTP payloads (RFC 3551 §4.5). Stateful codecs (G.722,
 * Opus) keep encoder and decoder state across frames: create one instance per stream.
 */
import type { CodecName } from '../sdp/types.js';
import { TrunkgateError } from '../../errors.js';

export type { CodecName };

export interface AudioCodec {
  readonly name: CodecName;
  /** RTP timestamp clock: 8000 for PCMU/PCMA/G.722 (RFC 3551 §4.5.2), 48000 for Opus (RFC 7587 §4.1). */
  readonly clockRate: number;
  /** Rate of the PCM that encode() takes and decode() returns. */
  readonly sampleRate: number;
  readonly channels: 1;
  /** PCM samples in one frame of `ptimeMs` (at sampleRate). */
  frameSamples(ptimeMs: number): number;
  /** RTP timestamp increment for one frame of `ptimeMs` (at clockRate). */
  frameTicks(ptimeMs: number): number;
  encode(pcm: Int16Array): Buffer;
  /**
   * For codecs whose payload size follows from the frame alone (G.711: one octet per sample):
   * `payloadBytes(samples)` is that size, and `encodeInto` writes the payload of `pcm` into `out`
   * at `offset` (e.g. straight into an RTP packet, with no payload Buffer in between).
   */
  payloadBytes?(samples: number): number;
  encodeInto?(pcm: Int16Array, out: Uint8Array, offset: number): void;
  /**
   * PCM of one payload: written into `out` when it is given and has exactly the frame's sample
   * count (a caller reusing one buffer per stream), otherwise a new array the caller owns.
   */
  decode(payload: Buffer, out?: Int16Array): Int16Array;
  /**
   * Packet loss concealment: PCM for one lost frame of `samples` samples (at sampleRate), called
   * when the jitter buffer reports a missing frame. G.711/G.722 repeat the last frame with a fade;
   * Opus runs its own PLC.
   */
  conceal(samples: number): Int16Array;
  /** Forget all state (e.g. after an SSRC change). */
  reset(): void;
}

export interface CodecOptions {
  /** Opus target bitrate in bit/s (default 32000). */
  bitrate?: number;
}

export class CodecError extends TrunkgateError<'CODEC_UNKNOWN' | 'CODEC_BAD_FRAME' | 'CODEC_DECODE_FAILED'> {
  constructor(code: 'CODEC_UNKNOWN' | 'CODEC_BAD_FRAME' | 'CODEC_DECODE_FAILED', message: string) {
    super(code, message);
  }
}
