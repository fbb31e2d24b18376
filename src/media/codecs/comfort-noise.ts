/**
 * RFC 3389 comfort noise payload (static payload type 13, RFC 3551 §6). The first octet is the
 * noise level in −dBov (0..127, §3.1); optional further octets are reflection coefficients of the
 * noise spectrum (§3.2). CN packets are consumed by the media engine, never decoded as audio.
 */
import { CodecError } from './types.js';

export const CN_STATIC_PAYLOAD_TYPE = 13;

export interface ComfortNoise {
  /** Noise level, dBov (0 or negative): −level of the first octet. */
  levelDbov: number;
  /** Quantized reflection coefficients as sent (0..255 each), possibly empty. */
  reflection: number[];
}

export function parseComfortNoise(payload: Uint8Array): ComfortNoise {
  if (payload.length < 1) throw new CodecError('CODEC_BAD_FRAME', 'CN: empty payload');
  return { levelDbov: -(payload[0]! & 0x7f), reflection: Array.from(payload.subarray(1)) };
}

export function serializeComfortNoise(levelDbov: number): Buffer {
  const level = Math.min(127, Math.max(0, Math.round(-levelDbov)));
  return Buffer.from([level]);
}

/**
 * White noise at `levelDbov` (RFC 3389 §3.1: 0 dBov is the level of a full-scale square wave, so
 * RMS = 32767 · 10^(dBov/20)); `random` defaults to Math.random.
 */
export function generateComfortNoise(samples: number, levelDbov: number, random: () => number = Math.random): Int16Array {
  const rms = 32767 * 10 ** (levelDbov / 20);
  // Uniform noise on [−a, a] has RMS a/√3.
  const a = rms * Math.sqrt(3);
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round((random() * 2 - 1) * a)));
  return out;
}
