/**
 * Parsers for SIPp's own result files: the `-trace_stat` CSV (one row per `-fd` period, `;`
 * separated, `(P)` = this period, `(C)` = cumulative) and the `-trace_rtt` CSV
 * (`Date_ms;response_time_ms;rtd_no`, one row per measured call, millisecond resolution).
 */

/** One `-trace_stat` row, the columns the report uses. */
export interface SippStatRow {
  /** Seconds since SIPp started (ElapsedTime(C)). */
  elapsedSec: number;
  /** Calls created per second in this period (CallRate(P)). */
  callRate: number;
  /** Calls alive at the end of the period (CurrentCall). */
  currentCalls: number;
  totalCreated: number;
  successfulTotal: number;
  failedTotal: number;
  retransmissionsTotal: number;
  /** Mean response time of the period, ms (ResponseTime1(P)); 0 when nothing was measured. */
  responseTimeMs: number;
  /** The Failed* cumulative counters that are non-zero, by name without the `(C)`. */
  failures: Record<string, number>;
}

/** `HH:MM:SS` or `HH:MM:SS:uuuuuu` (SIPp's duration format) to seconds. */
export function parseSippDuration(text: string): number {
  const parts = text.trim().split(':');
  if (parts.length < 3 || parts.length > 4 || parts.some((p) => !/^\d+$/.test(p))) return Number.NaN;
  const [h, m, s, us] = parts.map(Number) as [number, number, number, number | undefined];
  return h * 3600 + m * 60 + s + (us ?? 0) / 1e6;
}

function num(row: Record<string, string>, key: string): number {
  const v = Number(row[key] ?? '');
  return Number.isFinite(v) ? v : 0;
}

/** Parses a whole `-trace_stat` file. Rows with a different column count than the header are skipped. */
export function parseSippStatCsv(text: string): SippStatRow[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.length > 0);
  if (lines.length < 2) return [];
  const head = lines[0]!.split(';');
  const out: SippStatRow[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(';');
    if (cells.length < head.length - 1) continue;
    const row: Record<string, string> = {};
    head.forEach((h, i) => { if (h) row[h] = cells[i] ?? ''; });
    const failures: Record<string, number> = {};
    for (const h of head) {
      if (h.startsWith('Failed') && h.endsWith('(C)') && h !== 'FailedCall(C)') {
        const v = num(row, h);
        if (v > 0) failures[h.slice(0, -3)] = v;
      }
    }
    const rt = parseSippDuration(row['ResponseTime1(P)'] ?? '');
    out.push({
      elapsedSec: parseSippDuration(row['ElapsedTime(C)'] ?? '') || 0,
      callRate: num(row, 'CallRate(P)'),
      currentCalls: num(row, 'CurrentCall'),
      totalCreated: num(row, 'TotalCallCreated'),
      successfulTotal: num(row, 'SuccessfulCall(C)'),
      failedTotal: num(row, 'FailedCall(C)'),
      retransmissionsTotal: num(row, 'Retransmissions(C)'),
      responseTimeMs: Number.isFinite(rt) ? rt * 1000 : 0,
      failures,
    });
  }
  return out;
}

/** One response-time sample from `-trace_rtt`. */
export interface RttSample {
  /** ms since SIPp started. */
  atMs: number;
  rttMs: number;
}

export function parseSippRttCsv(text: string): RttSample[] {
  const out: RttSample[] = [];
  for (const line of text.split('\n')) {
    const [a, b] = line.split(';');
    const atMs = Number(a);
    const rttMs = Number(b);
    if (a === undefined || b === undefined || a === '' || b === '' || !Number.isFinite(atMs) || !Number.isFinite(rttMs)) continue;
    out.push({ atMs, rttMs });
  }
  return out;
}

/**
 * Nearest-rank percentile (p in 0..100) of unsorted values; NaN for an empty list. The result is
 * always one of the values, so with SIPp's 1 ms resolution it stays a whole number of ms.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

/** Percentiles of the response times per whole second of the run (for the time chart). */
export function rttPercentilesPerSecond(samples: readonly RttSample[]): { sec: number; p50: number; p90: number; p99: number; count: number }[] {
  const buckets = new Map<number, number[]>();
  for (const s of samples) {
    const sec = Math.floor(s.atMs / 1000);
    let b = buckets.get(sec);
    if (!b) buckets.set(sec, (b = []));
    b.push(s.rttMs);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([sec, v]) => ({
    sec, p50: percentile(v, 50), p90: percentile(v, 90), p99: percentile(v, 99), count: v.length,
  }));
}
