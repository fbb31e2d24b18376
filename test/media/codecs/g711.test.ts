import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ALAW_DECODE,
  ULAW_DECODE,
  alawToLinearReference,
  createPcma,
  createPcmu,
  linearToAlawReference,
  linearToUlawReference,
  ulawToLinearReference,
} from '../../../src/media/codecs/g711.js';
import { CodecError } from '../../../src/media/codecs/types.js';

const allCodes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

for (const [name, create, decodeTable] of [
  ['PCMU', createPcmu, ULAW_DECODE],
  ['PCMA', createPcma, ALAW_DECODE],
] as const) {
  describe(`G.711 ${name}`, () => {
    const levels = [...new Set(Array.from(decodeTable))].sort((a, b) => a - b);

    it('encode(decode(code)) returns every code (µ-law 0x7F, the negative zero, maps to 0xFF)', () => {
      const codec = create();
      const back = codec.encode(codec.decode(allCodes));
      for (let c = 0; c < 256; c++) {
        const expected = name === 'PCMU' && c === 0x7f ? 0xff : c;
        expect(back[c], `code 0x${c.toString(16)}`).toBe(expected);
      }
    });

    it('has 255 (µ-law) or 256 (A-law) distinct reconstruction levels, symmetric around zero', () => {
      expect(levels.length).toBe(name === 'PCMU' ? 255 : 256);
      for (const l of levels) expect(levels).toContain(-l);
    });

    it('decode(encode(x)) is within half a quantization step of x, the step of the segment x falls in (property)', () => {
      const codec = create();
      const max = levels[levels.length - 1]!;
      fc.assert(
        fc.property(fc.integer({ min: -32768, max: 32767 }), (x) => {
          const code = codec.encode(Int16Array.of(x))[0]!;
          const y = decodeTable[code]!;
          if (Math.abs(x) > max) {
            // Beyond the largest level the quantizer saturates.
            expect(Math.abs(y)).toBe(max);
            return;
          }
          // Codes differing in the mantissa LSB are neighbours in the same segment.
          const step = Math.abs(y - decodeTable[code ^ 1]!);
          expect(Math.abs(y - x)).toBeLessThanOrEqual(step / 2);
        }),
        { numRuns: 10000 },
      );
    });

    it('the table-driven codec equals the segment-search reference on all 65536 samples', () => {
      const pcm = new Int16Array(65536);
      for (let i = 0; i < 65536; i++) pcm[i] = i - 32768;
      const codes = create().encode(pcm);
      const ref = name === 'PCMU' ? linearToUlawReference : linearToAlawReference;
      const dec = name === 'PCMU' ? ulawToLinearReference : alawToLinearReference;
      for (let i = 0; i < 65536; i++) if (codes[i] !== ref(pcm[i]!)) expect.fail(`sample ${pcm[i]}`);
      for (let c = 0; c < 256; c++) expect(decodeTable[c]).toBe(dec(c));
    });

    it('describes itself for RTP: 8 kHz clock and audio, 160 samples per 20 ms', () => {
      const codec = create();
      expect(codec.name).toBe(name);
      expect(codec.clockRate).toBe(8000);
      expect(codec.sampleRate).toBe(8000);
      expect(codec.frameSamples(20)).toBe(160);
      expect(codec.frameTicks(30)).toBe(240);
    });

    it('rejects an empty payload with CODEC_BAD_FRAME', () => {
      const err = (() => {
        try {
          create().decode(Buffer.alloc(0));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('CODEC_BAD_FRAME');
    });

    it('conceals lost frames by repeating the last frame with a fade to silence', () => {
      const codec = create();
      const pcm = new Int16Array(160).fill(8000);
      codec.decode(codec.encode(pcm));
      const first = codec.conceal(160);
      const second = codec.conceal(160);
      const third = codec.conceal(160);
      const fourth = codec.conceal(160);
      expect(Math.abs(first[0]!)).toBeGreaterThan(7000);
      expect(Math.abs(second[80]!)).toBeLessThan(Math.abs(first[80]!));
      expect(Math.abs(third[80]!)).toBeLessThan(Math.abs(second[80]!));
      expect(fourth.every((s) => s === 0)).toBe(true);
    });

    it('decodes into a caller\'s buffer of the frame\'s length exactly as into a new one, and conceals from its own copy of the last frame', () => {
      fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 320 }), (codes) => {
        const reused = create();
        const fresh = create();
        const payload = Buffer.from(codes);
        const out = new Int16Array(codes.length);
        expect(reused.decode(payload, out)).toBe(out);
        expect(out).toEqual(fresh.decode(payload));
        out.fill(0); // the caller reuses its buffer: concealment must not change
        expect(reused.conceal(codes.length)).toEqual(fresh.conceal(codes.length));
        // A buffer of another length is not used.
        const wrong = new Int16Array(codes.length + 1);
        expect(reused.decode(payload, wrong)).not.toBe(wrong);
      }), { numRuns: 100 });
    });

    it('encodes into a buffer at an offset exactly what encode() returns, one octet per sample', () => {
      fc.assert(fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 320 }), fc.integer({ min: 0, max: 16 }), (samples, offset) => {
        const codec = create();
        const pcm = Int16Array.from(samples);
        expect(codec.payloadBytes!(pcm.length)).toBe(pcm.length);
        const out = new Uint8Array(offset + pcm.length + 3).fill(0xaa);
        codec.encodeInto!(pcm, out, offset);
        expect(Buffer.from(out.subarray(offset, offset + pcm.length))).toEqual(codec.encode(pcm));
        expect([...out.subarray(0, offset), ...out.subarray(offset + pcm.length)].every((b) => b === 0xaa)).toBe(true);
      }), { numRuns: 100 });
    });

    it('hands out a distinct array for every decoded and concealed frame', () => {
      const codec = create();
      const payload = Buffer.alloc(160, 0x10);
      const frames = Array.from({ length: 100 }, (_, i) => (i % 3 === 2 ? codec.conceal(160) : codec.decode(payload)));
      expect(frames[0]!.every((s) => s === frames[0]![0] && s !== 0)).toBe(true);
      frames.forEach((f, i) => f.fill(i));
      frames.forEach((f, i) => expect(f.every((s) => s === i)).toBe(true));
    });
  });
}

describe('G.711 against ffmpeg-independent known values (ITU-T G.711 tables)', () => {
  it('µ-law 0xFF and A-law 0xD5 are the codes for silence', () => {
    expect(createPcmu().encode(Int16Array.of(0))[0]).toBe(0xff);
    expect(createPcma().encode(Int16Array.of(0))[0]).toBe(0xd5);
  });

  it('the largest magnitudes decode to ±32124 (µ-law) and ±32256 (A-law)', () => {
    expect(ULAW_DECODE[0x00]).toBe(-32124);
    expect(ULAW_DECODE[0x80]).toBe(32124);
    expect(ALAW_DECODE[0x2a]).toBe(-32256);
    expect(ALAW_DECODE[0xaa]).toBe(32256);
  });
});

describe('G.711 decoding agrees with sox', () => {
  // sox's encoders round 16-bit samples to 14/13 bits before quantizing (not the ITU-T G.191
  // reference arithmetic used here), so only the decoders are compared: they must agree exactly.
  for (const [name, soxEncoding, table] of [['PCMU', 'u-law', ULAW_DECODE], ['PCMA', 'a-law', ALAW_DECODE]] as const) {
    it(`${name}: all 256 codes decode to the same samples as sox -e ${soxEncoding}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'g711-'));
      try {
        writeFileSync(join(dir, 'codes'), allCodes);
        await promisify(execFile)('sox', ['-t', 'raw', '-r', '8000', '-e', soxEncoding, '-b', '8', '-c', '1', join(dir, 'codes'), '-t', 'raw', '-e', 'signed-integer', '-b', '16', join(dir, 'pcm.raw')]);
        const raw = readFileSync(join(dir, 'pcm.raw'));
        expect(raw.length).toBe(512);
        for (let c = 0; c < 256; c++) expect(table[c], `code 0x${c.toString(16)}`).toBe(raw.readInt16LE(c * 2));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
