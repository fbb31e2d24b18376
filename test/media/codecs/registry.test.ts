import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CN_STATIC_PAYLOAD_TYPE,
  CodecError,
  codecNames,
  createCodec,
  generateComfortNoise,
  parseComfortNoise,
  serializeComfortNoise,
} from '../../../src/media/codecs/index.js';
import { dbfs } from '../../../src/media/dsp/analysis.js';

describe('createCodec', () => {
  it('creates each codec by its a=rtpmap name, case-insensitively', () => {
    expect(codecNames).toEqual(['PCMU', 'PCMA', 'G722', 'opus']);
    expect(createCodec('pcmu').name).toBe('PCMU');
    expect(createCodec('OPUS').name).toBe('opus');
    expect(createCodec('g722').sampleRate).toBe(16000);
  });

  it('returns a new instance per call: stateful codecs do not share state between streams', () => {
    expect(createCodec('G722')).not.toBe(createCodec('G722'));
  });

  it('rejects an unknown codec with CODEC_UNKNOWN', () => {
    try {
      createCodec('G729');
      expect.fail('created G729');
    } catch (err) {
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('CODEC_UNKNOWN');
    }
  });
});

describe('RFC 3389 comfort noise', () => {
  it('uses static payload type 13 (RFC 3551 §6)', () => {
    expect(CN_STATIC_PAYLOAD_TYPE).toBe(13);
  });

  it('parses the noise level (−dBov) and the reflection coefficients', () => {
    expect(parseComfortNoise(Buffer.from([40]))).toEqual({ levelDbov: -40, reflection: [] });
    expect(parseComfortNoise(Buffer.from([0x3f, 10, 250]))).toEqual({ levelDbov: -63, reflection: [10, 250] });
  });

  it('serialize/parse round-trips every level 0..127 (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 127 }), (level) => {
      expect(parseComfortNoise(serializeComfortNoise(-level)).levelDbov).toBe(-level);
    }));
  });

  it('rejects an empty payload with CODEC_BAD_FRAME', () => {
    expect(() => parseComfortNoise(Buffer.alloc(0))).toThrow(CodecError);
  });

  it('generates noise at the requested level (±1 dB)', () => {
    let s = 1;
    const random = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    expect(dbfs(generateComfortNoise(16000, -50, random))).toBeCloseTo(-50, 0);
  });
});
