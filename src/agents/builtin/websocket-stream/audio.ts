/**
 * Payload conversions for the socket: µ-law through the media engine's PCMU codec, and 16-bit
 * linear PCM in either byte order (Vobiz sends L16 big-endian and expects playAudio little-endian).
 */
import { createCodec } from '../../../media/codecs/index.js';

/** µ-law both ways; one per call (the codec keeps loss-concealment state). */
export function createMulaw(): { encode(pcm: Int16Array): Buffer; decode(payload: Buffer): Int16Array } {
  const pcmu = createCodec('PCMU');
  return {
    encode: (pcm) => pcmu.encode(pcm),
    decode: (payload) => (payload.length === 0 ? new Int16Array(0) : pcmu.decode(payload)),
  };
}

export function encodeL16(pcm: Int16Array, order: 'be' | 'le'): Buffer {
  const out = Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) {
    if (order === 'be') out.writeInt16BE(pcm[i]!, i * 2);
    else out.writeInt16LE(pcm[i]!, i * 2);
  }
  return out;
}

/** A trailing odd byte is dropped: it is half a sample. */
export function decodeL16(payload: Buffer, order: 'be' | 'le'): Int16Array {
  const n = payload.length >> 1;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = order === 'be' ? payload.readInt16BE(i * 2) : payload.readInt16LE(i * 2);
  return out;
}
