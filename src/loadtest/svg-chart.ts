/**
 * Minimal line charts as inline SVG strings: no scripts, no external resources, so a report is
 * one self-contained file. Axes start at zero on both sides; ticks are 1-2-5 steps.
 */

export interface ChartSeries { name: string; color: string; points: readonly (readonly [number, number])[] }

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  width?: number;
  height?: number;
  /** id attribute of the <svg> (tests look charts up by it). */
  id: string;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A "nice" tick step (1, 2 or 5 × 10^n) giving about `count` intervals over [0, max]. */
export function niceStep(max: number, count = 5): number {
  // Below 1e-9 (or subnormal) the scale is meaningless for a report: use 1.
  if (!(max > 1e-9) || !Number.isFinite(max)) return 1;
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  return step > 0 && Number.isFinite(step) ? step : 1;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(a < 1 ? 2 : 1);
}

export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 560;
  const height = o.height ?? 260;
  const m = { left: 56, right: 16, top: 30, bottom: 46 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yMaxData = Math.max(0, ...all.map(([, y]) => y));
  const yStep = niceStep(yMaxData > 1e-9 ? yMaxData : 1);
  const yMax = Math.max(yStep, Math.ceil(yMaxData / yStep) * yStep);
  const xStep = niceStep(xMax, 6);
  const sx = (x: number): number => m.left + (x / xMax) * pw;
  const sy = (y: number): number => m.top + ph - (y / yMax) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" id="${escapeXml(o.id)}" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(o.title)}">`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(o.title)}</text>`);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    const py = sy(y).toFixed(1);
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${py}" y2="${py}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${m.left - 6}" y="${py}" dy="4" text-anchor="end" font-size="11" fill="#555">${fmt(y)}</text>`);
  }
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    const px = sx(x).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#888"/>`);
    parts.push(`<text x="${px}" y="${m.top + ph + 16}" text-anchor="middle" font-size="11" fill="#555">${fmt(x)}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#888"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#888"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${height - 8}" text-anchor="middle" font-size="11" fill="#333">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="11" fill="#333">${escapeXml(o.yLabel)}</text>`);
  o.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length > 0) {
      const d = pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      parts.push(`<polyline class="series" data-series="${escapeXml(s.name)}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="2" points="${d}"/>`);
      if (pts.length === 1) parts.push(`<circle cx="${sx(pts[0]![0]).toFixed(1)}" cy="${sy(pts[0]![1]).toFixed(1)}" r="3" fill="${escapeXml(s.color)}"/>`);
    }
    const lx = m.left + 8 + i * 90;
    parts.push(`<rect x="${lx}" y="${m.top + 4}" width="10" height="10" fill="${escapeXml(s.color)}"/>`);
    parts.push(`<text x="${lx + 14}" y="${m.top + 13}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
