import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Resampler } from '../../../src/media/dsp/resampler.js';
import { dbfs, toneDbfs } from '../../../src/media/dsp/analysis.js';

const RATES = [8000, 16000, 24000, 48000] as const;
const PAIRS = RATES.flatMap((a) => RATES.filter((b) => b !== a).map((b) => [a, b] as const));

function tone(freq: number, rate: number, seconds: number, amplitude = 10000): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

function inChunks(r: Resampler, input: Int16Array, chunk: number): Int16Array {
  const parts: Int16Array[] = [];
  for (let o = 0; o < input.length; o += chunk) parts.push(r.process(input.subarray(o, Math.min(input.length, o + chunk))));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The steady-state middle of a block (skips the filter's start-up). */
const middle = (x: Int16Array): [number, number] => [Math.floor(x.length * 0.2), Math.floor(x.length * 0.9)];

describe('Resampler (polyphase windowed-sinc FIR)', () => {
  for (const [from, to] of PAIRS) {
    it(`${from} → ${to}: a 1 kHz pass-band tone keeps its level within ±1 dB`, () => {
      const input = tone(1000, from, 0.5);
      const output = new Resampler(from, to).process(input);
      expect(output.length).toBe((input.length * to) / from);
      const inDb = toneDbfs(input, 1000, from, ...middle(input));
      const outDb = toneDbfs(output, 1000, to, ...middle(output));
      expect(Math.abs(outDb - inDb)).toBeLessThanOrEqual(1);
    });

    it(`${from} → ${to}: a 3 kHz tone (top of the telephone band) keeps its level within ±1 dB`, () => {
      const input = tone(3000, from, 0.5);
      const output = new Resampler(from, to).process(input);
      expect(Math.abs(toneDbfs(output, 3000, to, ...middle(output)) - toneDbfs(input, 3000, from, ...middle(input)))).toBeLessThanOrEqual(1);
    });

    if (to < from) {
      const freq = Math.min((to / 2) * 1.25, (from / 2) * 0.95);
      it(`${from} → ${to}: an out-of-band ${freq} Hz tone (above the target Nyquist) is attenuated ≥ 40 dB`, () => {
        const input = tone(freq, from, 0.5);
        const output = new Resampler(from, to).process(input);
        // Anything left would alias into the band: measure the whole output.
        expect(dbfs(output, ...middle(output)) - dbfs(input, ...middle(input))).toBeLessThanOrEqual(-40);
      });
    } else {
      it(`${from} → ${to}: the images of a 1 kHz tone (at ${from} ± 1000 Hz) are attenuated ≥ 40 dB`, () => {
        const input = tone(1000, from, 0.5);
        const output = new Resampler(from, to).process(input);
        const ref = toneDbfs(output, 1000, to, ...middle(output));
        expect(toneDbfs(output, from - 1000, to, ...middle(output)) - ref).toBeLessThanOrEqual(-40);
        if (from + 1000 < to / 2) expect(toneDbfs(output, from + 1000, to, ...middle(output)) - ref).toBeLessThanOrEqual(-40);
      });
    }

    it(`${from} → ${to}: 20 ms chunks give exactly the output of one call (no clicks at frame boundaries)`, () => {
      let s = 3;
      const input = new Int16Array(from);
      for (let i = 0; i < input.length; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        input[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / from)) + ((s >>> 16) % 4000) - 2000;
      }
      const whole = new Resampler(from, to).process(input);
      const chunked = inChunks(new Resampler(from, to), input, from / 50);
      expect(chunked).toEqual(whole);
    });
  }

  it('any chunking of the input gives the same output (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PAIRS),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 }),
        ([from, to], sizes) => {
          const total = sizes.reduce((a, b) => a + b, 0);
          const input = tone(700, from, total / from, 12000);
          const whole = new Resampler(from, to).process(input);
          const r = new Resampler(from, to);
          const parts: number[] = [];
          let o = 0;
          for (const n of sizes) {
            parts.push(...r.process(input.subarray(o, o + n)));
            o += n;
          }
          expect(parts).toEqual(Array.from(whole));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('delays an impulse by its reported group delay', () => {
    for (const [from, to] of [[8000, 16000], [16000, 8000], [8000, 48000], [48000, 8000]] as const) {
      const r = new Resampler(from, to);
      const input = new Int16Array(from / 10);
      input[from / 100] = 30000;
      const out = r.process(input);
      let peak = 0;
      for (let i = 1; i < out.length; i++) if (Math.abs(out[i]!) > Math.abs(out[peak]!)) peak = i;
      const expected = ((from / 100) * to) / from + r.delaySamples;
      expect(Math.abs(peak - expected)).toBeLessThanOrEqual(1);
    }
  });

  it('flush() drains the filter and resets the state', () => {
    const r = new Resampler(8000, 16000);
    const input = tone(1000, 8000, 0.1);
    const first = r.process(input);
    const tail = r.flush();
    expect(tail.length).toBeGreaterThanOrEqual(Math.floor(r.delaySamples));
    expect(dbfs(tail.subarray(0, 40))).toBeGreaterThan(-20);
    expect(r.process(input)).toEqual(first);
  });

  it('passes audio through unchanged when the rates are equal', () => {
    const input = tone(1000, 8000, 0.02);
    expect(new Resampler(8000, 8000).process(input)).toEqual(input);
  });

  it('documents its filter: taps, cutoff below the lower Nyquist, 80 dB stopband', () => {
    const f = new Resampler(48000, 8000).filter!;
    expect(f.L).toBe(1);
    expect(f.M).toBe(6);
    expect(f.cutoffHz).toBeLessThan(4000);
    expect(f.stopbandHz).toBe(4000);
    expect(f.attenuationDb).toBe(80);
    expect(f.taps % 2).toBe(1);
  });

  it('rejects invalid rates with RangeError', () => {
    expect(() => new Resampler(0, 8000)).toThrow(RangeError);
    expect(() => new Resampler(8000, 11025.5)).toThrow(RangeError);
  });
});
