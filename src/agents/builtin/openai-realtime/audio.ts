/**
 * The audio path between the call and the socket. G.711 passthrough: the caller's frames go out
 * as they came off the wire and the model's octets are queued as they are (AgentIO.payload).
 * PCM: the gateway resamples the caller to 24 kHz and the answer from 24 kHz; this module only
 * converts 16-bit little-endian PCM to and from base64. Either way the session's play queue paces
 * the answer at one frame per 20 ms, however fast the deltas arrive.
 */
import type { AgentIO } from '../../types.js';
import type { AudioPath } from './session-config.js';

/** The session's packetization interval the first-frame mark is cut at. */
const FRAME_MS = 20;

export interface AudioLink {
  /** Milliseconds of answer audio in `base64` (decoded length / bytes per ms). */
  msOf(base64: string): number;
  /**
   * Queue one output delta for the caller; returns its duration in ms. With `firstFrameMark`, the
   * mark is queued after the delta's first 20 ms: it is reached when the answer's first frame has
   * been sent.
   */
  play(base64: string, firstFrameMark?: string): number;
}

/** Start forwarding the caller's audio (base64 chunks, one per frame) to `send`. */
export function linkAudio(io: AgentIO, path: AudioPath, send: (base64: string) => void): AudioLink {
  if (path.kind === 'passthrough') {
    const payload = io.payload;
    if (!payload) throw new Error('passthrough needs AgentIO.payload');
    payload.onPayload((octets) => send(Buffer.from(octets.buffer, octets.byteOffset, octets.byteLength).toString('base64')));
    // G.711: 8 octets per ms.
    const msOf = (b64: string): number => base64Bytes(b64) / 8;
    return {
      msOf,
      play(b64, firstFrameMark) {
        const bytes = Buffer.from(b64, 'base64');
        if (firstFrameMark !== undefined && bytes.length > FRAME_MS * 8) {
          payload.play(bytes.subarray(0, FRAME_MS * 8));
          io.mark(firstFrameMark);
          payload.play(bytes.subarray(FRAME_MS * 8));
        } else {
          payload.play(bytes);
          if (firstFrameMark !== undefined) io.mark(firstFrameMark);
        }
        return bytes.length / 8;
      },
    };
  }
  io.audioRate = path.rate;
  io.onAudio((frame) => send(pcmToBase64(frame)));
  const bytesPerMs = (path.rate * 2) / 1000;
  return {
    msOf: (b64) => base64Bytes(b64) / bytesPerMs,
    play(b64, firstFrameMark) {
      const pcm = base64ToPcm(b64);
      const frame = (path.rate / 1000) * FRAME_MS;
      if (firstFrameMark !== undefined && pcm.length > frame) {
        // The resampler may hold back a few samples: the mark pads them with silence (< 1 frame, once per answer).
        io.play(pcm.subarray(0, frame), path.rate);
        io.mark(firstFrameMark);
        io.play(pcm.subarray(frame), path.rate);
      } else {
        io.play(pcm, path.rate);
        if (firstFrameMark !== undefined) io.mark(firstFrameMark);
      }
      return pcm.length / (path.rate / 1000);
    },
  };
}

/** Decoded length of a base64 string without decoding it. */
export function base64Bytes(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length * 3) / 4 - pad;
}

/** 16-bit PCM, little-endian as the API sends it (an odd trailing byte is dropped). */
export function base64ToPcm(b64: string): Int16Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Int16Array(buf.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(i * 2);
  return out;
}

export function pcmToBase64(pcm: Int16Array): string {
  const buf = Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) buf.writeInt16LE(pcm[i]!, i * 2);
  return buf.toString('base64');
}
