import { describe, expect, it } from 'vitest';
import { createOpus } from '../../../src/media/codecs/opus.js';
import { CodecError } from '../../../src/media/codecs/types.js';
import { crossCorrelate, dbfs, toneDbfs } from '../../../src/media/dsp/analysis.js';

function tone(freq: number, samples: number, amplitude: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / 48000));
  return out;
}

describe('Opus codec (RFC 7587, libopus via @discordjs/opus)', () => {
  it('uses the 48 kHz RTP clock and 960-sample 20 ms frames', () => {
    const codec = createOpus();
    expect(codec.clockRate).toBe(48000);
    expect(codec.sampleRate).toBe(48000);
    expect(codec.frameSamples(20)).toBe(960);
    expect(codec.frameTicks(20)).toBe(960);
  });

  it('a 1 kHz tone survives encode/decode: level within 1 dB, waveform correlation > 0.9', () => {
    const codec = createOpus();
    const input = tone(1000, 960 * 50, 10000);
    const output = new Int16Array(input.length);
    for (let f = 0; f < 50; f++) {
      const payload = codec.encode(input.subarray(f * 960, (f + 1) * 960));
      expect(payload.length).toBeLessThan(400);
      const pcm = codec.decode(payload);
      expect(pcm.length).toBe(960);
      output.set(pcm, f * 960);
    }
    // Skip the first 100 ms (encoder start-up), compare the rest.
    const from = 4800;
    expect(Math.abs(toneDbfs(output, 1000, 48000, from) - toneDbfs(input, 1000, 48000, from))).toBeLessThan(1);
    const { lag, correlation } = crossCorrelate(input.subarray(from, from + 9600), output.subarray(from, from + 9600), 480);
    expect(correlation).toBeGreaterThan(0.9);
    expect(Math.abs(lag)).toBeLessThan(480);
  });

  it('conceals a lost frame with libopus PLC: 960 samples that continue the tone', () => {
    const codec = createOpus();
    const input = tone(1000, 960, 10000);
    for (let f = 0; f < 10; f++) codec.decode(codec.encode(input));
    const plc = codec.conceal(960);
    expect(plc.length).toBe(960);
    expect(dbfs(plc)).toBeGreaterThan(-40);
    // Decoding resumes normally after the gap.
    expect(codec.decode(codec.encode(input)).length).toBe(960);
  });

  it('rejects frames that are not an Opus frame size, and undecodable payloads, with CodecError', () => {
    const codec = createOpus();
    expect(() => codec.encode(new Int16Array(1000))).toThrow(CodecError);
    try {
      codec.decode(Buffer.from([0xff, 0xff, 0xff]));
      expect.fail('decoded garbage');
    } catch (err) {
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('CODEC_DECODE_FAILED');
    }
  });
});

describe('Opus concealment over a long gap', () => {
  it('returns silence once the loss run exceeds 5 frames, and decodes normally afterwards', () => {
    const codec = createOpus();
    const input = tone(1000, 960, 10000);
    for (let f = 0; f < 10; f++) codec.decode(codec.encode(input));
    for (let f = 0; f < 5; f++) codec.conceal(960);
    expect(codec.conceal(960).every((s) => s === 0)).toBe(true);
    for (let f = 0; f < 5; f++) codec.decode(codec.encode(input));
    expect(dbfs(codec.decode(codec.encode(input)))).toBeGreaterThan(-20);
  });
});
