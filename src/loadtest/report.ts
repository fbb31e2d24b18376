/** The load-test report (report.json) and how it is assembled from the pieces of a run. */
import { cpus, platform, release, totalmem } from 'node:os';
import type { GatewayCallEnd, PeerKind } from './peers.js';
import type { ProcSample } from './proc-sampler.js';
import { percentile, rttPercentilesPerSecond, type RttSample, type SippStatRow } from './sipp-stats.js';

export interface Percentiles { p50: number | null; p90: number | null; p99: number | null; max: number | null; samples: number }

export interface AudioQuality {
  /** Where the figures come from. */
  sources: string[];
  /** Datagrams the kernel dropped on the peer's watched UDP sockets (receive buffer full). */
  kernelUdpDrops: number;
  /** From the gateway's `call_end` log lines (gateway peer only). */
  gateway?: {
    calls: number;
    packetsIn: number;
    packetsOut: number;
    packetsLost: number;
    /** packetsLost / (packetsIn + packetsLost), percent. */
    lossPercent: number | null;
    jitterMsMean: number | null;
    jitterMsMax: number | null;
    /** Answered call time ÷ 20 ms: the frames the gateway's pacer should have sent (audio or silence). */
    expectedPacketsOut: number;
    /**
     * How far packetsOut falls short of expectedPacketsOut, percent (0 when it does not): frames
     * the pacer never sent, i.e. lost or hopelessly late on the way out.
     */
    outShortfallPercent: number | null;
    /** Frames the gateway's pacer sent (call_end framesSent); null when its log does not carry them. */
    framesSent: number | null;
    /** Frames sent late by the gateway's pacer; null when its log does not carry them. */
    lateFrames: number | null;
    lateFramePercent: number | null;
    setupMs: Percentiles;
  };
  notes: string[];
}

export interface LoadtestReport {
  version: 1;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string; node: string };
  options: { rate: number; calls: number; durationSec: number; concurrency: number; scenario: string; peer: PeerKind; target: string; audio: boolean };
  peer: { kind: PeerKind; description: string; target: string; pid: number | null };
  sipp: { args: string[]; exitCode: number | null; killedByTimeout: boolean; errorLines: number; errorsExcerpt: string };
  summary: {
    callsAttempted: number;
    callsSuccessful: number;
    callsFailed: number;
    /** SIPp's non-zero Failed* counters (FailedMaxUDPRetrans, FailedUnexpectedMessage …). */
    failures: Record<string, number>;
    /** Gateway only: calls it refused, by reason. */
    refusedByGateway: Record<string, number>;
    retransmissions: number;
    elapsedSec: number;
    /** Calls created per second while SIPp was creating them (whole seconds of SIPp's clock). */
    achievedRate: number;
    maxConcurrentCalls: number;
    /** SIPp's response time (INVITE sent → 200 received), ms, 1 ms resolution. */
    responseTimeMs: Percentiles;
    cpu: { meanPercent: number; maxPercent: number; cpuSeconds: number; cpuMsPerCall: number | null } | null;
    memory: { startMiB: number; peakMiB: number; endMiB: number; perConcurrentCallKiB: number | null } | null;
    audio: AudioQuality;
  };
  series: {
    sipp: { t: number; callRate: number; currentCalls: number; successful: number; failed: number }[];
    process: { t: number; cpuPercent: number; rssMiB: number }[];
    responseTime: { t: number; p50: number; p90: number; p99: number; count: number }[];
  };
  files: { json: string; html: string; sippStat: string; sippErrors: string };
}

const round = (v: number, digits = 2): number => Number(v.toFixed(digits));
const orNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function percentiles(values: readonly number[]): Percentiles {
  return {
    p50: orNull(percentile(values, 50)), p90: orNull(percentile(values, 90)), p99: orNull(percentile(values, 99)),
    max: values.length ? values.reduce((a, b) => Math.max(a, b), -Infinity) : null, samples: values.length,
  };
}

/**
 * The two media figures a step or a soak is judged on, from a run of calls of `callSeconds` with
 * audio. Lost: SIPp sends 50 frames/s per call to the peer; frames the gateway's receiver counted
 * lost and datagrams the kernel dropped both did not arrive in time. Late: frames the gateway sent
 * late, or — when its log does not carry that — the shortfall of frames sent against answered time.
 */
export function mediaFrameShares(s: LoadtestReport['summary'], callSeconds: number): { lossPercent: number | null; latePercent: number | null } {
  const framesToPeer = (s.callsSuccessful + s.callsFailed) * callSeconds * 50;
  const lost = (s.audio.gateway?.packetsLost ?? 0) + s.audio.kernelUdpDrops;
  return {
    lossPercent: framesToPeer > 0 ? (100 * lost) / framesToPeer : null,
    latePercent: s.audio.gateway ? (s.audio.gateway.lateFramePercent ?? s.audio.gateway.outShortfallPercent) : null,
  };
}

export function machineInfo(): LoadtestReport['machine'] {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30, 1), os: `${platform()} ${release()}`, node: process.version };
}

export function summariseProcess(samples: readonly ProcSample[], cpuSeconds: number, calls: number, maxConcurrent: number): Pick<LoadtestReport['summary'], 'cpu' | 'memory'> {
  if (samples.length === 0) return { cpu: null, memory: null };
  const busy = samples.slice(1);
  const cpuValues = busy.map((s) => s.cpuPercent);
  const mib = (b: number): number => round(b / 2 ** 20, 1);
  const start = samples[0]!.rssBytes;
  const peak = samples.reduce((m, s) => Math.max(m, s.rssBytes), 0);
  return {
    cpu: {
      meanPercent: round(cpuValues.length ? cpuValues.reduce((a, b) => a + b, 0) / cpuValues.length : 0, 1),
      maxPercent: round(cpuValues.reduce((a, b) => Math.max(a, b), 0), 1),
      cpuSeconds: round(cpuSeconds, 3),
      cpuMsPerCall: calls > 0 ? round((cpuSeconds * 1000) / calls, 3) : null,
    },
    memory: {
      startMiB: mib(start), peakMiB: mib(peak), endMiB: mib(samples[samples.length - 1]!.rssBytes),
      perConcurrentCallKiB: maxConcurrent > 0 ? round((peak - start) / 1024 / maxConcurrent, 1) : null,
    },
  };
}

export function summariseGatewayAudio(ends: readonly GatewayCallEnd[]): NonNullable<AudioQuality['gateway']> {
  const sum = (f: (e: GatewayCallEnd) => number): number => ends.reduce((a, e) => a + f(e), 0);
  const packetsIn = sum((e) => e.packetsIn);
  const packetsLost = sum((e) => Math.max(0, e.packetsLost));
  const withLate = ends.filter((e) => e.lateFrames !== undefined);
  const lateFrames = withLate.length ? withLate.reduce((a, e) => a + (e.lateFrames ?? 0), 0) : null;
  const withSent = ends.filter((e) => e.framesSent !== undefined);
  const framesSent = withSent.length ? withSent.reduce((a, e) => a + (e.framesSent ?? 0), 0) : null;
  const jitter = ends.map((e) => e.jitterMs);
  const packetsOut = sum((e) => e.packetsOut);
  const expectedPacketsOut = Math.round(sum((e) => e.durationMs) / 20);
  return {
    calls: ends.length, packetsIn, packetsOut, packetsLost, expectedPacketsOut,
    outShortfallPercent: expectedPacketsOut > 0 ? round(Math.max(0, 100 * (1 - packetsOut / expectedPacketsOut)), 4) : null,
    lossPercent: packetsIn + packetsLost > 0 ? round((100 * packetsLost) / (packetsIn + packetsLost), 4) : null,
    jitterMsMean: jitter.length ? round(jitter.reduce((a, b) => a + b, 0) / jitter.length, 2) : null,
    jitterMsMax: jitter.length ? jitter.reduce((a, b) => Math.max(a, b), 0) : null,
    framesSent,
    lateFrames,
    lateFramePercent: lateFrames !== null && framesSent !== null && framesSent > 0 ? round((100 * lateFrames) / framesSent, 4) : null,
    setupMs: percentiles(ends.flatMap((e) => (e.setupMs === undefined ? [] : [e.setupMs]))),
  };
}

export interface ReportInputs {
  startedAt: Date;
  finishedAt: Date;
  options: LoadtestReport['options'];
  peer: LoadtestReport['peer'];
  sipp: LoadtestReport['sipp'];
  stats: readonly SippStatRow[];
  rtt: readonly RttSample[];
  process: readonly ProcSample[];
  cpuSeconds: number;
  audio: AudioQuality;
  refused: Record<string, number>;
  files: LoadtestReport['files'];
}

export function buildReport(i: ReportInputs): LoadtestReport {
  const last = i.stats[i.stats.length - 1];
  const successful = last?.successfulTotal ?? 0;
  const failed = last?.failedTotal ?? 0;
  const attempted = last?.totalCreated ?? 0;
  const elapsed = last?.elapsedSec ?? (i.finishedAt.getTime() - i.startedAt.getTime()) / 1000;
  const maxConcurrent = i.stats.reduce((m, r) => Math.max(m, r.currentCalls), 0);
  // Creation rate over the seconds in which calls were being created (SIPp's clock, 1 s steps).
  const creationSec = i.stats.find((r) => r.totalCreated >= attempted)?.elapsedSec ?? elapsed;
  // SIPp kills calls it could not even start when it is killed: count a timeout as failures.
  const unfinished = i.sipp.killedByTimeout ? Math.max(0, i.options.calls - successful - failed) : 0;
  return {
    version: 1,
    startedAt: i.startedAt.toISOString(),
    finishedAt: i.finishedAt.toISOString(),
    machine: machineInfo(),
    options: i.options,
    peer: i.peer,
    sipp: i.sipp,
    summary: {
      callsAttempted: Math.max(attempted, i.sipp.killedByTimeout ? i.options.calls : 0),
      callsSuccessful: successful,
      callsFailed: failed + unfinished,
      failures: { ...(last?.failures ?? {}), ...(unfinished ? { UnfinishedAtTimeout: unfinished } : {}) },
      refusedByGateway: i.refused,
      retransmissions: last?.retransmissionsTotal ?? 0,
      elapsedSec: round(elapsed, 3),
      achievedRate: round(attempted / Math.max(1, creationSec), 2),
      maxConcurrentCalls: maxConcurrent,
      responseTimeMs: percentiles(i.rtt.map((r) => r.rttMs)),
      ...summariseProcess(i.process, i.cpuSeconds, successful + failed, maxConcurrent),
      audio: i.audio,
    },
    series: {
      sipp: i.stats.map((r) => ({ t: r.elapsedSec, callRate: r.callRate, currentCalls: r.currentCalls, successful: r.successfulTotal, failed: r.failedTotal })),
      process: i.process.map((s) => ({ t: round(s.atMs / 1000, 3), cpuPercent: round(s.cpuPercent, 1), rssMiB: round(s.rssBytes / 2 ** 20, 2) })),
      responseTime: rttPercentilesPerSecond(i.rtt).map((b) => ({ t: b.sec, p50: b.p50, p90: b.p90, p99: b.p99, count: b.count })),
    },
    files: i.files,
  };
}
