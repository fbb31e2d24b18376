import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Normalised cross-correlation of `b` against `a` with a lag search: the best value over lags
 * 0..maxLag (b delayed relative to a), computed over `a`'s active part.
 */
export function bestCorrelation(a: Float64Array | Int16Array, b: Float64Array | Int16Array, maxLag: number, step = 1): { ncc: number; lag: number } {
  const n = a.length;
  let best = { ncc: -1, lag: 0 };
  for (let lag = 0; lag <= maxLag; lag += step) {
    let sab = 0, saa = 0, sbb = 0;
    const len = Math.min(n, b.length - lag);
    if (len <= 0) break;
    for (let i = 0; i < len; i++) {
      const x = a[i]!;
      const y = b[i + lag]!;
      sab += x * y; saa += x * x; sbb += y * y;
    }
    const ncc = saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
    if (ncc > best.ncc) best = { ncc, lag };
  }
  return best;
}

/** Block means: a crude low-pass + decimation, so the coarse search cannot step over the peak. */
function decimate(x: Int16Array, factor: number): Float64Array {
  const out = new Float64Array(Math.floor(x.length / factor));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let k = 0; k < factor; k++) sum += x[i * factor + k]!;
    out[i] = sum / factor;
  }
  return out;
}

/**
 * Coarse search on low-passed, decimated signals, then a sample-exact search around the best
 * few coarse candidates (speech is periodic: a coarse peak one pitch period off can win).
 */
export function correlateWithLag(a: Int16Array, b: Int16Array, maxLag: number, candidates = 8): { ncc: number; lag: number } {
  const factor = 8;
  const da = decimate(a, factor);
  const db = decimate(b, factor);
  const coarse: { ncc: number; lag: number }[] = [];
  for (let lag = 0; lag <= Math.ceil(maxLag / factor); lag++) {
    const r = bestCorrelation(da, db.subarray(lag), 0);
    if (db.length - lag <= 0) break;
    coarse.push({ ncc: r.ncc, lag });
  }
  coarse.sort((x, y) => y.ncc - x.ncc);
  let best = { ncc: -1, lag: 0 };
  for (const c of coarse.slice(0, candidates)) {
    for (let lag = Math.max(0, (c.lag - 2) * factor); lag <= (c.lag + 2) * factor; lag++) {
      const r = bestCorrelation(a, b.subarray(lag), 0);
      if (r.ncc > best.ncc) best = { ncc: r.ncc, lag };
    }
  }
  return best;
}

const FIXTURES = join(tmpdir(), 'trunkgate-test-fixtures');

/** espeak-ng speech converted by sox (rate, encoding); cached per process tree. */
export function speechWav(name: string, text: string, rate: number, encoding: 'u-law' | 'signed-integer', padSeconds = 0, lowpassHz?: number, leadSeconds = 0): string {
  mkdirSync(FIXTURES, { recursive: true });
  const out = join(FIXTURES, `${name}-${rate}-${encoding}-${padSeconds}-${lowpassHz ?? 0}${leadSeconds ? `-lead${leadSeconds}` : ''}.wav`);
  if (existsSync(out)) return out;
  const raw = join(FIXTURES, `${name}.${process.pid}.raw.wav`);
  const tmp = `${out}.${process.pid}.tmp.wav`;
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', raw, text]);
  const args = [raw, '-r', String(rate), '-c', '1', '-e', encoding, ...(encoding === 'u-law' ? ['-b', '8'] : ['-b', '16']), tmp];
  if (lowpassHz) args.push('lowpass', String(lowpassHz));
  if (padSeconds > 0 || leadSeconds > 0) args.push('pad', String(leadSeconds), String(padSeconds));
  execFileSync('sox', args);
  execFileSync('mv', [tmp, out]);
  return out;
}

/**
 * NCC per window of `a` (each with its own lag search), skipping near-silent windows. A jitter
 * buffer that conceals an underrun (CPU contention) shifts the rest of the echo by one frame;
 * per-window correlation measures the audio, not the path's delay history.
 */
export function windowedCorrelation(a: Int16Array, b: Int16Array, window: number, maxLag: number, minLag = 0): { ncc: number; lag: number; start: number }[] {
  const out: { ncc: number; lag: number; start: number }[] = [];
  let peak = 0;
  for (const v of a) peak = Math.max(peak, Math.abs(v));
  for (let start = 0; start + window <= a.length; start += window) {
    const seg = a.subarray(start, start + window);
    let energy = 0;
    for (const v of seg) energy += v * v;
    if (Math.sqrt(energy / window) < peak * 0.05) continue;
    // A negative minLag: `b` may hold a window earlier than `a` does (its recording began later).
    const from = Math.max(0, start + minLag);
    const c = correlateWithLag(seg, b.subarray(from), maxLag + (start - from));
    out.push({ ncc: c.ncc, lag: c.lag + from - start, start });
  }
  return out;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
}

/** Low-passed pseudo-random noise from a seed: correlates with itself at one lag only. */
export function seededNoise(samples: number, seed: number): Int16Array {
  let state = seed;
  const white = Float64Array.from({ length: samples + 8 }, () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff - 0.5;
  });
  return Int16Array.from({ length: samples }, (_, i) => {
    let sum = 0;
    for (let k = 0; k < 8; k++) sum += white[i + k]!;
    return Math.round(sum * 6000);
  });
}
