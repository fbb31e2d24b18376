/**
 * Codec registry: `createCodec(name)` returns a fresh, stateful codec for one stream.
 *
 *   const codec = createCodec(negotiated.codec.name);
 *   const payload = codec.encode(pcm);            // pcm: codec.frameSamples(ptime) samples at codec.sampleRate
 *   const pcmOut = codec.decode(payload);
 *   const filler = codec.conceal(codec.frameSamples(ptime));   // when the jitter buffer says 'missing'
 */
import { createG722 } from './g722.js';
import { createPcma, createPcmu } from './g711.js';
import { createOpus } from './opus.js';
import { CodecError, type AudioCodec, type CodecName, type CodecOptions } from './types.js';

export * from './types.js';
export { RepeatFadeConcealer } from './conceal.js';

const factories: Record<CodecName, (options: CodecOptions) => AudioCodec> = {
  PCMU: () => createPcmu(),
  PCMA: () => createPcma(),
  G722: () => createG722(),
  opus: (options) => createOpus(options),
};

/** Names accepted by createCodec (as in a=rtpmap; matching is case-insensitive). */
export const codecNames: readonly CodecName[] = Object.keys(factories) as CodecName[];

export function createCodec(name: CodecName | string, options: CodecOptions = {}): AudioCodec {
  const key = codecNames.find((n) => n.toLowerCase() === name.toLowerCase());
  if (!key) throw new CodecError('CODEC_UNKNOWN', `unknown codec ${name}`);
  return factories[key](options);
}
export { parseComfortNoise, serializeComfortNoise, generateComfortNoise, CN_STATIC_PAYLOAD_TYPE } from './comfort-noise.js';
export type { ComfortNoise } from './comfort-noise.js';
export { G722Encoder, G722Decoder } from './g722.js';
export { encodeUlaw, decodeUlaw, encodeAlaw, decodeAlaw, ULAW_DECODE, ALAW_DECODE } from './g711.js';
