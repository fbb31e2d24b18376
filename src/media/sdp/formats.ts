/**
 * Payload formats of an m= line: a=rtpmap entries plus the RFC 3551 §6 static payload types that
 * offers may list without an rtpmap (0 PCMU, 8 PCMA, 9 G722, 13 CN).
 */
import type { MediaDescription } from 'sdp-transform';
import type { CodecName } from './types.js';

export interface PayloadFormat {
  payloadType: number;
  /** Encoding name as written (case preserved). */
  encoding: string;
  clockRate: number;
  channels: number;
  fmtp?: string;
}

const STATIC: Record<number, Omit<PayloadFormat, 'payloadType'>> = {
  0: { encoding: 'PCMU', clockRate: 8000, channels: 1 },
  8: { encoding: 'PCMA', clockRate: 8000, channels: 1 },
  // RFC 3551 §4.5.2: G.722 samples at 16 kHz but its RTP clock is 8000 (an historical error kept).
  9: { encoding: 'G722', clockRate: 8000, channels: 1 },
  13: { encoding: 'CN', clockRate: 8000, channels: 1 },
};

/** The RTP clock rate and channel count each codec is signalled with. */
export const CODEC_RTP: Record<CodecName, { clockRate: number; channels: number; staticPt?: number }> = {
  PCMU: { clockRate: 8000, channels: 1, staticPt: 0 },
  PCMA: { clockRate: 8000, channels: 1, staticPt: 8 },
  G722: { clockRate: 8000, channels: 1, staticPt: 9 },
  // RFC 7587 §7: always opus/48000/2 in SDP, whatever the actual audio.
  opus: { clockRate: 48000, channels: 2 },
};

export function mediaFormats(m: MediaDescription): PayloadFormat[] {
  const pts = String(m.payloads ?? '').trim().split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number);
  const out: PayloadFormat[] = [];
  for (const pt of pts) {
    const map = m.rtp?.find((r) => r.payload === pt);
    const fmtp = m.fmtp?.find((f) => f.payload === pt)?.config;
    if (map) {
      out.push({ payloadType: pt, encoding: map.codec, clockRate: map.rate ?? 8000, channels: map.encoding ?? 1, ...(fmtp !== undefined ? { fmtp } : {}) });
    } else if (STATIC[pt]) {
      out.push({ payloadType: pt, ...STATIC[pt]!, ...(fmtp !== undefined ? { fmtp } : {}) });
    }
  }
  return out;
}

/** Whether a format is the given codec (name case-insensitive, clock rate must match). */
export function formatIs(f: PayloadFormat, codec: CodecName): boolean {
  return f.encoding.toLowerCase() === codec.toLowerCase() && f.clockRate === CODEC_RTP[codec].clockRate;
}

export function isTelephoneEvent(f: PayloadFormat): boolean {
  return f.encoding.toLowerCase() === 'telephone-event';
}
