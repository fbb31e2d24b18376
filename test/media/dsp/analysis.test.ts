import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { correlationAt, crossCorrelate, dbfs, detectTone, goertzel, rms, toneDbfs } from '../../../src/media/dsp/analysis.js';

function tone(freq: number, rate: number, samples: number, amplitude: number, phase = 0): Float64Array {
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate + phase);
  return out;
}

describe('level analysis', () => {
  it('rms of a sine is amplitude/√2; dBFS of a full-scale sine is −3.01', () => {
    expect(rms(tone(1000, 8000, 8000, 1000))).toBeCloseTo(1000 / Math.SQRT2, 1);
    expect(dbfs(tone(1000, 8000, 8000, 32768))).toBeCloseTo(-3.01, 2);
    expect(dbfs(new Int16Array(160))).toBe(-Infinity);
  });

  it('goertzel measures the amplitude of a tone off the DFT bins, within 1% (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 300, max: 3400, noNaN: true }), fc.double({ min: 100, max: 20000, noNaN: true }), fc.double({ min: 0, max: 6, noNaN: true }), (freq, amp, phase) => {
        const x = tone(freq, 8000, 1600, amp, phase);
        expect(Math.abs(goertzel(x, freq, 8000) - amp) / amp).toBeLessThan(0.01);
      }),
      { numRuns: 100 },
    );
  });

  it('goertzel sees a tone 40 dB below another one 500 Hz away', () => {
    const a = tone(1000, 8000, 1600, 10000);
    const b = tone(1500, 8000, 1600, 100);
    const mix = a.map((v, i) => v + b[i]!);
    expect(toneDbfs(mix, 1500, 8000) - toneDbfs(mix, 1000, 8000)).toBeCloseTo(-40, 0);
  });

  it('detectTone picks the DTMF frequency present and nothing in silence', () => {
    const x = tone(770, 8000, 800, 5000);
    expect(detectTone(x, 8000, [697, 770, 852, 941])).toBe(770);
    expect(detectTone(new Float64Array(800), 8000, [697, 770, 852, 941])).toBeUndefined();
  });
});

describe('cross-correlation', () => {
  it('finds the delay of a copy of a noise signal, with correlation 1 up to a gain (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -200, max: 200 }), fc.double({ min: 0.1, max: 3, noNaN: true }), (delay, gain) => {
        let s = 11;
        const a = new Float64Array(2000);
        for (let i = 0; i < a.length; i++) a[i] = ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
        const b = new Float64Array(2000);
        for (let i = 0; i < b.length; i++) b[i] = (a[i - delay] ?? 0) * gain;
        const r = crossCorrelate(a, b, 250);
        expect(r.lag).toBe(delay);
        expect(r.correlation).toBeGreaterThan(0.999);
      }),
      { numRuns: 20 },
    );
  });

  it('an inverted copy correlates at −1; unrelated noise near 0', () => {
    const a = tone(440, 8000, 800, 1000);
    expect(correlationAt(a, a.map((v) => -v), 0)).toBeCloseTo(-1, 6);
    let s = 5;
    const n1 = Float64Array.from({ length: 8000 }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5);
    const n2 = Float64Array.from({ length: 8000 }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5);
    expect(Math.abs(correlationAt(n1, n2, 0))).toBeLessThan(0.05);
  });
});
