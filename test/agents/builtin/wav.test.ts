import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readWav, WavFormatError, writeWav } from '../../../src/agents/builtin/wav.js';

describe('WAV reader/writer', () => {
  it('reads back what it writes (property)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 500 }), fc.constantFrom(8000, 16000, 22050, 48000), (xs, rate) => {
      const back = readWav(writeWav({ samples: Int16Array.from(xs), sampleRate: rate }));
      expect(back.sampleRate).toBe(rate);
      expect(Array.from(back.samples)).toEqual(xs);
    }));
  });
  it('rejects data that is not RIFF/WAVE with WavFormatError', () => {
    expect(() => readWav(Buffer.from('not a wav file at all'))).toThrow(WavFormatError);
  });
});
