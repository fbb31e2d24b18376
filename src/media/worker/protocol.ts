/**
 * The messages between the main thread and a media worker. Traffic is batched: the main thread
 * sends one `ops` message per macrotask per worker (all sessions' play/mark/clear … calls, the
 * PCM of every play() packed into one transferred Int16Array), and a worker sends one `batch` per
 * media tick (every session's audio frames packed into one transferred Int16Array, every session's
 * counters as rows of one transferred Float64Array, and the rarer events as small objects).
 */
import type { DtmfEvent, MediaSessionSettings, MediaStats, PlayFormat } from '../session/types.js';
import type { MediaDirection, NegotiatedMedia, RtpAddress } from '../sdp/types.js';

/**
 * What crosses the thread boundary for `create`: the session's settings as the caller gave them
 * (no functions: no tap, no clock, no logger), the leased port and the logger's level.
 */
export interface RemoteSessionOptions extends MediaSessionSettings {
  port: number;
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
  /** Block the worker's event loop for `ms` (MediaWorkerPool.stall, for tests). */
  | { kind: 'stall'; ms: number }
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
  priority:
    | { applied: true; realtime: number }
    /** Nice: asked for alone, or the fallback when the real-time class was refused (`realtimeRefused` says why). */
    | { applied: true; nice: number; realtimeRefused?: string }
    | { applied: false; reason: string }
    | null;
}

/** The MediaStats figures that are numbers; `latchedSource` travels as a `latched` event. */
type StatsFigure = { [K in keyof MediaStats]-?: NonNullable<MediaStats[K]> extends number ? K : never }[keyof MediaStats];

/**
 * The one description of a stats row: its head, then the figures that are always there, then the
 * optional ones (NaN in the row when absent). StatsRow, STATS_STRIDE, the writer and the reader
 * are derived from it.
 */
const ROW_HEAD = ['sid', 'appliedOp', 'queuedMs'] as const;
const COUNTERS = [
  'packetsIn', 'bytesIn', 'packetsOut', 'bytesOut', 'packetsRejected', 'packetsLost', 'fractionLost', 'jitterMs',
  'lateFrames', 'framesSent', 'underruns', 'dtmfIn', 'dtmfOut',
] as const satisfies readonly StatsFigure[];
const OPTIONAL_FIGURES = ['rttMs', 'remoteFractionLost', 'remotePacketsLost', 'remoteJitterMs'] as const satisfies readonly StatsFigure[];
const FIGURES: readonly StatsFigure[] = [...COUNTERS, ...OPTIONAL_FIGURES];
const COLUMNS = [...ROW_HEAD, ...COUNTERS, ...OPTIONAL_FIGURES] as const;

// Every numeric figure of MediaStats has a column: adding one to MediaStats fails here until it is described above.
type Undescribed = Exclude<StatsFigure, (typeof COLUMNS)[number]>;
const everyFigureDescribed: [Undescribed] extends [never] ? true : Undescribed = true;
void everyFigureDescribed;

/** Column of each figure in a stats row. */
export const StatsRow = Object.freeze(Object.fromEntries(COLUMNS.map((name, i) => [name, i]))) as { readonly [K in (typeof COLUMNS)[number]]: number };
export const STATS_STRIDE = COLUMNS.length;
const FIRST_FIGURE = ROW_HEAD.length;

export function writeStatsRow(out: Float64Array, at: number, sid: number, appliedOp: number, queuedMs: number, s: MediaStats): void {
  out[at + StatsRow.sid] = sid;
  out[at + StatsRow.appliedOp] = appliedOp;
  out[at + StatsRow.queuedMs] = queuedMs;
  for (let i = 0; i < FIGURES.length; i++) out[at + FIRST_FIGURE + i] = s[FIGURES[i]!] ?? NaN;
}

/** A row with the queue figures only (counters unchanged since the last full row): packetsIn is NaN. */
export function writeQueueRow(out: Float64Array, at: number, sid: number, appliedOp: number, queuedMs: number): void {
  out[at + StatsRow.sid] = sid;
  out[at + StatsRow.appliedOp] = appliedOp;
  out[at + StatsRow.queuedMs] = queuedMs;
  out[at + StatsRow.packetsIn] = NaN;
}

export function hasCounters(row: Float64Array, at: number): boolean {
  return !Number.isNaN(row[at + StatsRow.packetsIn]!);
}

/** The MediaStats a row holds: the optional figures that are NaN are left out, as stats() leaves them out. */
export function readStatsRow(row: Float64Array, at: number, latchedSource: RtpAddress | undefined): MediaStats {
  const out: Partial<Record<StatsFigure, number>> & { latchedSource?: RtpAddress } = {};
  for (let i = 0; i < FIGURES.length; i++) {
    const v = row[at + FIRST_FIGURE + i]!;
    if (i < COUNTERS.length || !Number.isNaN(v)) out[FIGURES[i]!] = v;
  }
  if (latchedSource) out.latchedSource = latchedSource;
  return out as MediaStats;
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
