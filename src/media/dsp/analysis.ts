/**
 * Level and similarity measurements on 16-bit PCM, for tests (end-to-end audio checks) and stats.
 * dBFS here is relative to a full-scale square wave (RMS 32768): a full-scale sine reads −3.01 dBFS.
 */

type Samples = ArrayLike<number>;

export function rms(pcm: Samples, start = 0, end = pcm.length): number {
  if (end <= start) return 0;
  let sum = 0;
  for (let i = start; i < end; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / (end - start));
}

/** RMS level in dBFS; −Infinity for digital silence. */
export function dbfs(pcm: Samples, start = 0, end = pcm.length): number {
  return 20 * Math.log10(rms(pcm, start, end) / 32768);
}

/**
 * Amplitude (peak, in sample units) of the component at `freq`, by the Goertzel algorithm over a
 * Hann-windowed block. The frequency need not fall on a DFT bin; the window keeps leakage from
 * other components (and the negative-frequency image) low.
 */
export function goertzel(pcm: Samples, freq: number, sampleRate: number, start = 0, end = pcm.length): number {
  const n = end - start;
  if (n <= 1) return 0;
  const w = (2 * Math.PI * freq) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let windowSum = 0;
  for (let i = 0; i < n; i++) {
    const win = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    windowSum += win;
    const s0 = pcm[start + i]! * win + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / windowSum;
}

/** Level of the tone at `freq`, in dBFS of its RMS (a full-scale sine at freq reads −3.01). */
export function toneDbfs(pcm: Samples, freq: number, sampleRate: number, start = 0, end = pcm.length): number {
  return 20 * Math.log10(goertzel(pcm, freq, sampleRate, start, end) / Math.SQRT2 / 32768);
}

/** The strongest of the candidate frequencies, if it stands `minDbfs` or louder. */
export function detectTone(pcm: Samples, sampleRate: number, candidates: readonly number[], minDbfs = -50): number | undefined {
  let best: number | undefined;
  let bestDb = minDbfs;
  for (const f of candidates) {
    const db = toneDbfs(pcm, f, sampleRate);
    if (db >= bestDb) {
      best = f;
      bestDb = db;
    }
  }
  return best;
}

export interface Correlation {
  /** b is a delayed by `lag` samples (b[i + lag] ≈ a[i]); negative when b leads. */
  lag: number;
  /** Normalized cross-correlation at that lag, −1..1 (1: same waveform up to a gain). */
  correlation: number;
}

/** Normalized cross-correlation of a and b over lags −maxLag..maxLag; returns the best lag. */
export function crossCorrelate(a: Samples, b: Samples, maxLag: number): Correlation {
  let best: Correlation = { lag: 0, correlation: -Infinity };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const c = correlationAt(a, b, lag);
    if (c > best.correlation) best = { lag, correlation: c };
  }
  return best;
}

/** Normalized correlation of a[i] with b[i + lag] over their overlap. */
export function correlationAt(a: Samples, b: Samples, lag: number): number {
  const from = Math.max(0, -lag);
  const to = Math.min(a.length, b.length - lag);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = from; i < to; i++) {
    const x = a[i]!;
    const y = b[i + lag]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}
