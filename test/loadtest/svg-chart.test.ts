import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeXml, lineChart, niceStep } from '../../src/loadtest/svg-chart.js';

describe('niceStep', () => {
  it('is 1, 2 or 5 times a power of ten and covers the range in at most ~2x the asked ticks', () => {
    fc.assert(fc.property(fc.double({ min: 1e-6, max: 1e9, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 2, max: 10 }), (max, count) => {
      const step = niceStep(max, count);
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
      expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
      expect(max / step).toBeLessThanOrEqual(count + 1e-9);
      expect(max / step).toBeGreaterThan(count / 5 - 1e-9);
    }));
  });
});

describe('lineChart', () => {
  it('draws one polyline per series with one coordinate pair per finite point', () => {
    const svg = lineChart({ id: 'c1', title: 'T <1>', xLabel: 'x', yLabel: 'y', series: [
      { name: 'a', color: '#000', points: [[0, 1], [1, 2], [2, Number.NaN], [3, 4]] },
      { name: 'b&c', color: '#f00', points: [[0, 0], [3, 10]] },
    ] });
    const lines = [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' ').length);
    expect(lines).toEqual([3, 2]);
    expect(svg).toContain('id="c1"');
    expect(svg).toContain('T &lt;1&gt;');
    expect(svg).toContain('b&amp;c');
  });

  it('never loops forever on zero, tiny or subnormal maxima', () => {
    for (const v of [0, 5e-324, 1e-300, -1]) expect(niceStep(v)).toBe(1);
  });

  it('keeps every point inside the plot area', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 1e5, noNaN: true }), fc.double({ min: 0, max: 1e5, noNaN: true })), { minLength: 1, maxLength: 50 }), (points) => {
      const svg = lineChart({ id: 'p', title: 't', xLabel: 'x', yLabel: 'y', width: 500, height: 300, series: [{ name: 's', color: '#000', points }] });
      const coords = /<polyline[^>]*points="([^"]*)"/.exec(svg)![1]!.split(' ').map((p) => p.split(',').map(Number));
      for (const [x, y] of coords) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(500);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(300);
      }
    }));
  });

  it('escapes markup in text', () => {
    expect(escapeXml(`<a href="x">&</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });
});
