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

/** Coarse search on decimated signals, then a fine search around the best coarse lag. */
export function correlateWithLag(a: Int16Array, b: Int16Array, maxLag: number): { ncc: number; lag: number } {
  const coarse = bestCorrelation(a, b, maxLag, 8);
  const from = Math.max(0, coarse.lag - 16);
  let best = coarse;
  for (let lag = from; lag <= coarse.lag + 16; lag++) {
    const r = bestCorrelation(a, b.subarray(lag), 0);
    if (r.ncc > best.ncc) best = { ncc: r.ncc, lag };
  }
  return best;
}

const FIXTURES = join(tmpdir(), 'trunkgate-test-fixtures');

/** espeak-ng speech converted by sox (rate, encoding); cached per process tree. */
export function speechWav(name: string, text: string, rate: number, encoding: 'u-law' | 'signed-integer', padSeconds = 0): string {
  mkdirSync(FIXTURES, { recursive: true });
  const out = join(FIXTURES, `${name}-${rate}-${encoding}-${padSeconds}.wav`);
  if (existsSync(out)) return out;
  const raw = join(FIXTURES, `${name}.${process.pid}.raw.wav`);
  const tmp = `${out}.${process.pid}.tmp.wav`;
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', raw, text]);
  const args = [raw, '-r', String(rate), '-c', '1', '-e', encoding, ...(encoding === 'u-law' ? ['-b', '8'] : ['-b', '16']), tmp];
  if (padSeconds > 0) args.push('pad', '0', String(padSeconds));
  execFileSync('sox', args);
  execFileSync('mv', [tmp, out]);
  return out;
}
