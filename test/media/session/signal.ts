/**
 * Test-side comparison of two PCM signals: the best normalized cross-correlation of `reference`
 * against `signal` shifted by 0..maxLag samples.
 * TODO: switch to src/media/dsp/analysis.ts once it lands (same definition).
 */
export function bestLagCorrelation(reference: Int16Array, signal: Int16Array, maxLag: number): { correlation: number; lag: number } {
  let best = { correlation: -1, lag: 0 };
  for (let lag = 0; lag <= maxLag && lag < signal.length; lag++) {
    const n = Math.min(reference.length, signal.length - lag);
    let xy = 0; let xx = 0; let yy = 0;
    for (let i = 0; i < n; i++) {
      const x = reference[i]!; const y = signal[i + lag]!;
      xy += x * y; xx += x * x; yy += y * y;
    }
    const c = xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
    if (c > best.correlation) best = { correlation: c, lag };
  }
  return best;
}
