/**
 * The messages between the main thread and a media worker. Traffic is batched: the main thread
 * sends one `ops` message per macrotask per worker (all sessions' play/mark/clear … calls, the
 * PCM of every play() packed into one transferred Int16Array), and a worker sends one `batch` per
 * media tick (every session's audio frames packed into one transferred Int16Array, every session's
 * counters as rows of one transferred Float64Array, and the rarer events as small objects).
 */
import type { DtmfEvent, MediaStats, PlayFormat } from '../session/types.js';
import type { MediaDirection, NegotiatedMedia, RtpAddress } from '../sdp/types.js';

/** What crosses the thread boundary for `create` (no functions: no tap, no clock, no logger). */
export interface RemoteSessionOptions {
  port: number;
  negotiated: NegotiatedMedia;
  localAddress: string;
  idle?: 'silence' | 'comfort-noise' | 'none';
  jitterTargetMs?: number;
  latchPackets?: number;
  rtcpIntervalMs?: number;
  id: string;
  /** pino level of the session's logger in the main thread. */
  logLevel: string;
}

/** An error as it crosses threads: enough to rebuild the class and its `code`. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
}

/**
 * One operation on one session. `p` is the number of packed plays of the same batch that come
 * before it, so the worker applies plays and other operations in the order they were called.
 */
export type Op = { sid: number; seq: number; p: number } & (
  | { kind: 'create'; options: RemoteSessionOptions }
  | { kind: 'mark'; markId: number }
  | { kind: 'clear' }
  | { kind: 'dtmf'; reqId: number; digits: string; options: { durationMs?: number; gapMs?: number } }
  | { kind: 'remote'; update: NegotiatedMedia | string | RtpAddress }
  | { kind: 'direction'; hold: boolean | MediaDirection }
  | { kind: 'rate'; rate: number }
  | { kind: 'listen'; audio: boolean }
  | { kind: 'forward'; to: number | null; maxBacklogMs?: number; drainAfterMs?: number }
  /** G.711 passthrough (rare, small): the session's `payload` events on/off, its play format, queued payload. */
  | { kind: 'listenPayload'; on: boolean }
  | { kind: 'playFormat'; format: PlayFormat }
  | { kind: 'playPayload'; payload: Uint8Array }
  | { kind: 'close'; reason: string }
);

/** An operation as a session queues it (the link adds sid, seq and p). */
export type OpBody = Op extends infer O ? (O extends Op ? Omit<O, 'sid' | 'seq' | 'p'> : never) : never;

/** Main → worker. `plays` rows: sid, seq, offset, length, sampleRate (PLAY_STRIDE Int32 each). */
export interface OpsMessage {
  type: 'ops';
  ops: Op[];
  pcm: Int16Array | null;
  plays: Int32Array | null;
}

export const PLAY_STRIDE = 5;
/** Worker → main audio rows: sid, offset, length, sampleRate. */
export const AUDIO_STRIDE = 4;

export type WorkerEvent =
  | { sid: number; kind: 'created' }
  | { sid: number; kind: 'createFailed'; error: WireError }
  | { sid: number; kind: 'dtmf'; event: DtmfEvent }
  | { sid: number; kind: 'mark'; markId: number; cleared: boolean }
  | { sid: number; kind: 'payload'; payload: Uint8Array }
  | { sid: number; kind: 'stats'; stats: MediaStats }
  | { sid: number; kind: 'latched'; source: RtpAddress | undefined }
  | { sid: number; kind: 'dtmfDone'; reqId: number; error?: WireError }
  | { sid: number; kind: 'closed'; reason: string; stats: MediaStats };

/** Worker → main, once per media tick (and when something happens between ticks). */
export interface BatchMessage {
  type: 'batch';
  audio: Int16Array | null;
  audioRows: Int32Array | null;
  /** STATS_STRIDE doubles per session, layout in StatsRow. */
  stats: Float64Array | null;
  events: WorkerEvent[] | null;
  /** pino JSON lines of the sessions' loggers (they carry `__sid`). */
  logs: string[] | null;
}

/** Worker → main, once: the worker's module has loaded. */
export interface ReadyMessage {
  type: 'ready';
  /** The worker's kernel thread id, and whether its scheduling priority was raised (thread-priority.ts). */
  tid: number | null;
  priority: { applied: true; nice: number } | { applied: false; reason: string } | null;
}

/** Column of each figure in a stats row. Optional figures are NaN when absent. */
export const StatsRow = {
  sid: 0, appliedOp: 1, queuedMs: 2, packetsIn: 3, bytesIn: 4, packetsOut: 5, bytesOut: 6, packetsRejected: 7,
  packetsLost: 8, fractionLost: 9, jitterMs: 10, lateFrames: 11, framesSent: 12, underruns: 13, dtmfIn: 14,
  dtmfOut: 15, rttMs: 16, remoteFractionLost: 17, remotePacketsLost: 18, remoteJitterMs: 19,
} as const;
export const STATS_STRIDE = 20;

export function writeStatsRow(out: Float64Array, at: number, sid: number, appliedOp: number, queuedMs: number, s: MediaStats): void {
  out[at] = sid;
  out[at + 1] = appliedOp;
  out[at + 2] = queuedMs;
  out[at + 3] = s.packetsIn;
  out[at + 4] = s.bytesIn;
  out[at + 5] = s.packetsOut;
  out[at + 6] = s.bytesOut;
  out[at + 7] = s.packetsRejected;
  out[at + 8] = s.packetsLost;
  out[at + 9] = s.fractionLost;
  out[at + 10] = s.jitterMs;
  out[at + 11] = s.lateFrames;
  out[at + 12] = s.framesSent;
  out[at + 13] = s.underruns;
  out[at + 14] = s.dtmfIn;
  out[at + 15] = s.dtmfOut;
  out[at + 16] = s.rttMs ?? NaN;
  out[at + 17] = s.remoteFractionLost ?? NaN;
  out[at + 18] = s.remotePacketsLost ?? NaN;
  out[at + 19] = s.remoteJitterMs ?? NaN;
}

/** A row with the queue figures only (counters unchanged since the last full row): packetsIn is NaN. */
export function writeQueueRow(out: Float64Array, at: number, sid: number, appliedOp: number, queuedMs: number): void {
  out[at] = sid;
  out[at + 1] = appliedOp;
  out[at + 2] = queuedMs;
  out[at + 3] = NaN;
}

export function hasCounters(row: Float64Array, at: number): boolean {
  return !Number.isNaN(row[at + 3]!);
}

export function readStatsRow(row: Float64Array, at: number, latchedSource: RtpAddress | undefined): MediaStats {
  const opt = (i: number): number | undefined => (Number.isNaN(row[at + i]!) ? undefined : row[at + i]!);
  const rtt = opt(16);
  const rfl = opt(17);
  return {
    packetsIn: row[at + 3]!, bytesIn: row[at + 4]!, packetsOut: row[at + 5]!, bytesOut: row[at + 6]!,
    packetsRejected: row[at + 7]!, packetsLost: row[at + 8]!, fractionLost: row[at + 9]!, jitterMs: row[at + 10]!,
    lateFrames: row[at + 11]!, framesSent: row[at + 12]!, underruns: row[at + 13]!,
    ...(latchedSource ? { latchedSource } : {}),
    ...(rtt !== undefined ? { rttMs: rtt } : {}),
    ...(rfl !== undefined ? { remoteFractionLost: rfl, remotePacketsLost: row[at + 18]!, remoteJitterMs: row[at + 19]! } : {}),
    dtmfIn: row[at + 14]!, dtmfOut: row[at + 15]!,
  };
}

export function toWireError(err: unknown): WireError {
  const e = err as Partial<WireError> & { name?: string; message?: string };
  const out: WireError = { name: e?.name ?? 'Error', message: e?.message ?? String(err) };
  if (typeof e?.code === 'string') out.code = e.code;
  if (typeof e?.errno === 'number') out.errno = e.errno;
  if (typeof e?.syscall === 'string') out.syscall = e.syscall;
  if (typeof e?.address === 'string') out.address = e.address;
  if (typeof e?.port === 'number') out.port = e.port;
  return out;
}
