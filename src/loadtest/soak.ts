/**
 * The soak (issue 17): a long run at a steady share of the measured maximum of concurrent calls
 * with audio, judged on what a long run shows that a short step does not: calls that fail after
 * hours of churn, late frames that creep in, and memory that grows.
 *
 * Memory growth compares the gateway's RSS in the first steady stretch of the run with its last
 * one: a window is steady from the moment the first calls have ended (every call slot has turned
 * over once, so the process holds a full load's sessions, buffers and JIT code) until the
 * generator stops starting calls. Medians, so one sample taken during a GC is not the verdict.
 */
import { mediaFrameShares, type LoadtestReport } from './report.js';

export interface SoakVerdictLimits {
  /** Largest share of frames late, never sent, lost or dropped, percent. Default 0.1. */
  maxFramePercent?: number;
  /** Largest RSS growth from the first steady window to the last, percent. Default 1. */
  maxGrowthPercent?: number;
  /** Share of the steady stretch each window covers. Default 0.1. */
  window?: number;
}

export interface SoakVerdict {
  passed: boolean;
  why: string[];
  callsFailed: number;
  callsSuccessful: number;
  /** Frames the gateway sent late or never sent, percent of what it should have sent. */
  latePercent: number | null;
  /** Frames from SIPp the gateway lost or the kernel dropped, percent of what SIPp sent. */
  lossPercent: number | null;
  /** Median RSS of the first and last steady windows, MiB, and the growth between them. */
  rssFirstMiB: number | null;
  rssLastMiB: number | null;
  growthPercent: number | null;
  /** (steady RSS − RSS before the first call) ÷ concurrent calls. */
  perConcurrentCallKiB: number | null;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Judges a soak run's report; `callSeconds` is the length of each call. */
export function soakVerdict(report: LoadtestReport, callSeconds: number, limits: SoakVerdictLimits = {}): SoakVerdict {
  const s = report.summary;
  const maxFrame = limits.maxFramePercent ?? 0.1;
  const maxGrowth = limits.maxGrowthPercent ?? 1;
  const share = limits.window ?? 0.1;
  const { lossPercent, latePercent } = mediaFrameShares(s, callSeconds);

  // Steady: from one call length after the first call started until SIPp stops starting calls
  // (the last second whose call rate is above zero).
  const started = report.series.sipp.filter((p) => p.callRate > 0);
  const firstT = started[0]?.t;
  const lastT = started.at(-1)?.t;
  let rssFirstMiB: number | null = null;
  let rssLastMiB: number | null = null;
  let perConcurrentCallKiB: number | null = null;
  if (firstT !== undefined && lastT !== undefined) {
    const from = firstT + callSeconds;
    const span = lastT - from;
    if (span > 0) {
      const inWindow = (a: number, b: number) => report.series.process.filter((p) => p.t >= a && p.t <= b).map((p) => p.rssMiB);
      rssFirstMiB = median(inWindow(from, from + span * share));
      rssLastMiB = median(inWindow(lastT - span * share, lastT));
      const idle = median(report.series.process.filter((p) => p.t < firstT).map((p) => p.rssMiB));
      const concurrent = median(report.series.sipp.filter((p) => p.t >= from && p.t <= lastT).map((p) => p.currentCalls));
      if (idle !== null && rssFirstMiB !== null && concurrent) perConcurrentCallKiB = Number((((rssFirstMiB - idle) * 1024) / concurrent).toFixed(1));
    }
  }
  const growthPercent = rssFirstMiB && rssLastMiB !== null ? Number(((100 * (rssLastMiB - rssFirstMiB)) / rssFirstMiB).toFixed(2)) : null;

  const why: string[] = [];
  if (s.callsFailed > 0) why.push(`${s.callsFailed} calls failed (${Object.entries(s.failures).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  if (lossPercent === null || lossPercent >= maxFrame) why.push(`${lossPercent?.toFixed(4) ?? '?'} % of frames lost or dropped`);
  if (latePercent === null || latePercent >= maxFrame) why.push(`${latePercent ?? '?'} % of frames late or never sent`);
  if (growthPercent === null || growthPercent >= maxGrowth) why.push(growthPercent === null ? 'no steady stretch to measure memory in' : `RSS grew ${growthPercent} %`);
  return {
    passed: why.length === 0, why, callsFailed: s.callsFailed, callsSuccessful: s.callsSuccessful,
    latePercent, lossPercent: lossPercent === null ? null : Number(lossPercent.toFixed(4)),
    rssFirstMiB, rssLastMiB, growthPercent, perConcurrentCallKiB,
  };
}
