/**
 * Ramps that find a peer's limits on this machine by running `runLoadtest` step after step
 * (a fresh peer per step):
 * - `rampCallRate`: the highest calls/s with 0 failed calls (short signalling-only calls);
 * - `rampConcurrentMedia`: the most concurrent calls with audio whose frames arrive with < 0.1%
 *   lost or dropped and, for the gateway, < 0.1% of its outgoing frames late or never sent; and
 *   the memory each concurrent call costs.
 * A step passes or fails on the report alone; the ramp stops at the first failing step.
 */
import { join } from 'node:path';
import { runLoadtest, type LoadtestOptions } from './command.js';
import { mediaFrameShares, type LoadtestReport } from './report.js';

export interface RampStep {
  /** calls/s for the rate ramp, concurrent calls for the media ramp. */
  target: number;
  passed: boolean;
  why: string;
  achievedRate: number;
  callsFailed: number;
  maxConcurrentCalls: number;
  cpuMeanPercent: number | null;
  cpuMsPerCall: number | null;
  peakRssMiB: number | null;
  perConcurrentCallKiB: number | null;
  responseP50Ms: number | null;
  responseP99Ms: number | null;
  /** Media ramp: lost + dropped frames as a percentage of the frames sent to the peer. */
  mediaLossPercent?: number | null;
  reportHtml: string;
}

export interface RampResult {
  peer: NonNullable<LoadtestOptions['peer']>;
  kind: 'call-rate' | 'concurrent-media';
  /** Highest passing target, or null when the first step failed. */
  max: number | null;
  steps: RampStep[];
}

function stepOf(target: number, r: LoadtestReport, passed: boolean, why: string, extra: Partial<RampStep> = {}): RampStep {
  const s = r.summary;
  return {
    target, passed, why, achievedRate: s.achievedRate, callsFailed: s.callsFailed, maxConcurrentCalls: s.maxConcurrentCalls,
    cpuMeanPercent: s.cpu?.meanPercent ?? null, cpuMsPerCall: s.cpu?.cpuMsPerCall ?? null,
    peakRssMiB: s.memory?.peakMiB ?? null, perConcurrentCallKiB: s.memory?.perConcurrentCallKiB ?? null,
    responseP50Ms: s.responseTimeMs.p50, responseP99Ms: s.responseTimeMs.p99, reportHtml: r.files.html, ...extra,
  };
}

export interface RateRampOptions {
  peer: NonNullable<LoadtestOptions['peer']>;
  outDir: string;
  /** First rate (calls/s); each next step multiplies by `factor`. */
  startRate?: number;
  factor?: number;
  maxRate?: number;
  /** Seconds of load per step (calls = rate × seconds). */
  stepSeconds?: number;
  /** Call length, s (short calls). */
  callSeconds?: number;
  progress?: (line: string) => void;
}

/** Highest calls/s with 0 failed calls, short calls without audio. */
export async function rampCallRate(o: RateRampOptions): Promise<RampResult> {
  const steps: RampStep[] = [];
  const factor = o.factor ?? 1.5;
  let rate = o.startRate ?? 50;
  const say = o.progress ?? ((l: string) => { process.stderr.write(`${l}\n`); });
  while (rate <= (o.maxRate ?? 20_000)) {
    const calls = Math.max(20, Math.round(rate * (o.stepSeconds ?? 5)));
    const report = await runLoadtest({
      peer: o.peer, rate, calls, durationSec: o.callSeconds ?? 0.2, audio: false,
      outDir: join(o.outDir, `${o.peer}-rate-${rate}`), progress: () => undefined,
    });
    const s = report.summary;
    // A step also fails when the generator could not offer the rate (SIPp or the box saturated).
    const failedCalls = s.callsFailed > 0;
    const slow = s.achievedRate < rate * 0.9;
    const passed = !failedCalls && !slow;
    const why = failedCalls ? `${s.callsFailed} failed (${Object.entries(s.failures).map(([k, v]) => `${k} ${v}`).join(', ')})` : slow ? `only ${s.achievedRate} calls/s offered` : 'ok';
    steps.push(stepOf(rate, report, passed, why));
    say(`ramp ${o.peer} rate ${rate}/s: ${passed ? 'pass' : 'FAIL'} (${why}), cpu ${s.cpu?.meanPercent ?? '-'}%, p99 ${s.responseTimeMs.p99} ms`);
    if (!passed) break;
    rate = Math.round(rate * factor);
  }
  const passing = steps.filter((s) => s.passed);
  return { peer: o.peer, kind: 'call-rate', max: passing.length ? Math.max(...passing.map((s) => s.achievedRate)) : null, steps };
}

export interface MediaRampOptions {
  peer: NonNullable<LoadtestOptions['peer']>;
  outDir: string;
  /** Concurrency steps to try, in order. */
  levels?: number[];
  /** Call length, s; each step runs 2 × level calls at level / callSeconds calls/s. */
  callSeconds?: number;
  /** Largest acceptable lost + dropped share of frames, percent (default 0.1). */
  maxLossPercent?: number;
  /** The gateway's media worker threads (peer gateway). */
  mediaWorkers?: number | 'auto';
  progress?: (line: string) => void;
}

/** Most concurrent calls with audio at < 0.1% lost or dropped frames; memory per call. */
export async function rampConcurrentMedia(o: MediaRampOptions): Promise<RampResult> {
  const steps: RampStep[] = [];
  const callSeconds = o.callSeconds ?? 6;
  const limit = o.maxLossPercent ?? 0.1;
  const say = o.progress ?? ((l: string) => { process.stderr.write(`${l}\n`); });
  for (const level of o.levels ?? [50, 100, 200, 400, 800, 1200, 1600]) {
    const report = await runLoadtest({
      peer: o.peer, rate: level / callSeconds, calls: 2 * level, durationSec: callSeconds, concurrency: level + 20, audio: true,
      ...(o.mediaWorkers !== undefined ? { mediaWorkers: o.mediaWorkers } : {}),
      outDir: join(o.outDir, `${o.peer}-media-${level}`), progress: () => undefined,
    });
    const s = report.summary;
    const { lossPercent, latePercent: late } = mediaFrameShares(s, callSeconds);
    const reached = s.maxConcurrentCalls >= level * 0.9;
    const passed = s.callsFailed === 0 && lossPercent !== null && lossPercent < limit && (late === null || late < limit) && reached;
    const why = s.callsFailed > 0 ? `${s.callsFailed} calls failed` : !reached ? `only ${s.maxConcurrentCalls} concurrent` :
      (lossPercent ?? 100) >= limit ? `${lossPercent?.toFixed(3)}% frames lost/dropped` : late !== null && late >= limit ? `${late}% frames late or never sent` : 'ok';
    steps.push(stepOf(level, report, passed, why, { mediaLossPercent: lossPercent === null ? null : Number(lossPercent.toFixed(4)) }));
    say(`ramp ${o.peer} media ${level} concurrent: ${passed ? 'pass' : 'FAIL'} (${why}), cpu ${s.cpu?.meanPercent ?? '-'}%, rss ${s.memory?.peakMiB ?? '-'} MiB, ${s.memory?.perConcurrentCallKiB ?? '-'} KiB/call`);
    if (!passed) break;
  }
  const passing = steps.filter((s) => s.passed);
  return { peer: o.peer, kind: 'concurrent-media', max: passing.length ? Math.max(...passing.map((s) => s.target)) : null, steps };
}
