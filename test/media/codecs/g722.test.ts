/**
 * G.722 against the reference: ffmpeg's g722 encoder (default options: no trellis search) and
 * decoder, which agree bit for bit with spandsp and pass the ITU test vectors. Signals are made
 * in the test; speech comes from espeak-ng when it is installed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { G722Decoder, G722Encoder, createG722 } from '../../../src/media/codecs/g722.js';
import { CodecError } from '../../../src/media/codecs/types.js';
import { correlationAt, toneDbfs } from '../../../src/media/dsp/analysis.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'g722-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

async function ffmpegEncode(pcm: Int16Array): Promise<Buffer> {
  const n = fileNo++;
  const input = join(dir, `in${n}.raw`);
  const output = join(dir, `out${n}.g722`);
  writeFileSync(input, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  await run('ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', input, '-acodec', 'g722', '-f', 'g722', output]);
  return readFileSync(output);
}

async function ffmpegDecode(bitstream: Uint8Array): Promise<Int16Array> {
  const n = fileNo++;
  const input = join(dir, `in${n}.g722`);
  const output = join(dir, `out${n}.raw`);
  writeFileSync(input, bitstream);
  await run('ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', '-f', 'g722', '-i', input, '-f', 's16le', '-ar', '16000', output]);
  const raw = readFileSync(output);
  return new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
}

/** Our encoder fed in 20 ms frames (320 samples), so state must carry across frames. */
function encodeInFrames(pcm: Int16Array): Buffer {
  const codec = createG722();
  const parts: Buffer[] = [];
  for (let o = 0; o < pcm.length; o += 320) parts.push(codec.encode(pcm.subarray(o, Math.min(o + 320, pcm.length))));
  return Buffer.concat(parts);
}

function decodeInFrames(bitstream: Buffer): Int16Array {
  const codec = createG722();
  const out = new Int16Array(bitstream.length * 2);
  for (let o = 0; o < bitstream.length; o += 160) out.set(codec.decode(bitstream.subarray(o, Math.min(o + 160, bitstream.length))), o * 2);
  return out;
}

function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Deterministic pseudo-random numbers in [−0.5, 0.5). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

const clip = (v: number): number => Math.max(-32768, Math.min(32767, Math.round(v)));

function signal(seconds: number, fn: (t: number, i: number) => number): Int16Array {
  const out = new Int16Array(Math.round(seconds * 16000));
  for (let i = 0; i < out.length; i++) out[i] = clip(fn(i / 16000, i));
  return out;
}

const rnd = lcg(7);
const signals: Record<string, Int16Array> = {
  'speech-like tones with varying amplitude': signal(4, (t) =>
    (6000 * (1 + Math.sin(2 * Math.PI * 3 * t))) * Math.sin(2 * Math.PI * 180 * t) +
    3000 * Math.abs(Math.sin(2 * Math.PI * 1.3 * t)) * Math.sin(2 * Math.PI * 900 * t) +
    1500 * Math.sin(2 * Math.PI * 2600 * t) * (t % 1 < 0.5 ? 1 : 0.1)),
  'chirp 50 Hz → 7.9 kHz': signal(3, (t) => 12000 * Math.sin(2 * Math.PI * (50 * t + (7850 / 6) * t * t))),
  'noise bursts over silence': signal(3, (t) => (t % 0.5 < 0.15 ? 20000 * rnd() : 0)),
  'pure 1 kHz tone': signal(2, (t) => 10000 * Math.sin(2 * Math.PI * 1000 * t)),
  'pure 6 kHz tone (upper sub-band)': signal(2, (t) => 10000 * Math.sin(2 * Math.PI * 6000 * t)),
  'full-scale square wave (saturation paths)': signal(2, (t) => (Math.sin(2 * Math.PI * 440 * t) >= 0 ? 32767 : -32768)),
};

describe('G.722 is bit-exact with ffmpeg', () => {
  for (const [name, pcm] of Object.entries(signals)) {
    it(`encoder: our bitstream equals ffmpeg's for ${name}`, async () => {
      const ref = await ffmpegEncode(pcm);
      const ours = encodeInFrames(pcm);
      expect(ours.length).toBe(pcm.length / 2);
      expect(firstDifference(ours, ref)).toBe(-1);
    });

    it(`decoder: our PCM equals ffmpeg's for the bitstream of ${name}`, async () => {
      const bitstream = await ffmpegEncode(pcm);
      const ref = await ffmpegDecode(bitstream);
      const ours = decodeInFrames(bitstream);
      expect(firstDifference(ours, ref)).toBe(-1);
    });
  }

  it('decoder: our PCM equals ffmpeg\'s for 3 s of random octets (every code, extreme states)', async () => {
    const r = lcg(99);
    const bitstream = Buffer.alloc(24000);
    for (let i = 0; i < bitstream.length; i++) bitstream[i] = Math.floor((r() + 0.5) * 256);
    const ref = await ffmpegDecode(bitstream);
    expect(firstDifference(decodeInFrames(bitstream), ref)).toBe(-1);
  });

  it('encoder and decoder are bit-exact on espeak-ng speech resampled to 16 kHz by sox', async () => {
    const wav = join(dir, 'speech.wav');
    const raw = join(dir, 'speech.raw');
    await run('espeak-ng', ['-w', wav, 'Thank you for calling trunkgate. Please say the name of the person you want to reach, or press one for sales.']);
    await run('sox', [wav, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', raw]);
    const bytes = readFileSync(raw);
    const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~3)));
    expect(pcm.length).toBeGreaterThan(16000 * 3);
    const ref = await ffmpegEncode(pcm);
    expect(firstDifference(encodeInFrames(pcm), ref)).toBe(-1);
    const refPcm = await ffmpegDecode(ref);
    expect(firstDifference(decodeInFrames(ref), refPcm)).toBe(-1);
  });
});

describe('G.722 codec object', () => {
  it('runs at 16 kHz audio with the 8000 Hz RTP clock of RFC 3551 §4.5.2', () => {
    const codec = createG722();
    expect(codec.clockRate).toBe(8000);
    expect(codec.sampleRate).toBe(16000);
    expect(codec.frameSamples(20)).toBe(320);
    expect(codec.frameTicks(20)).toBe(160);
    expect(codec.encode(new Int16Array(320)).length).toBe(160);
  });

  it('round-trips a 1 kHz tone with its level and waveform (after the 22-sample QMF delay)', () => {
    const codec = createG722();
    const pcm = signals['pure 1 kHz tone']!;
    const out = decodeInFrames(encodeInFrames(pcm));
    expect(toneDbfs(out, 1000, 16000, 1600)).toBeCloseTo(toneDbfs(pcm, 1000, 16000, 1600), 0);
    expect(correlationAt(pcm.subarray(1600), out.subarray(1600), 22)).toBeGreaterThan(0.99);
    expect(codec.name).toBe('G722');
  });

  it('rejects an odd number of samples with CODEC_BAD_FRAME', () => {
    expect(() => new G722Encoder().encode(new Int16Array(3))).toThrow(CodecError);
  });

  it('reset() restores the initial state: the same input gives the same output again', () => {
    const enc = new G722Encoder();
    const dec = new G722Decoder();
    const pcm = signals['chirp 50 Hz → 7.9 kHz']!.subarray(0, 3200);
    const a = Buffer.from(enc.encode(pcm));
    const pa = dec.decode(a).slice();
    enc.reset();
    dec.reset();
    expect(Buffer.from(enc.encode(pcm)).equals(a)).toBe(true);
    expect(dec.decode(a)).toEqual(pa);
  });
});
