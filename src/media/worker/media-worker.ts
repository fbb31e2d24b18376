/**
 * Entry of a media worker thread: hosts real MediaSessions (their RTP sockets are bound here) on
 * this thread's own event loop and shared media clock. It applies the main thread's batched
 * operations in call order and answers with one batch per media tick: every session's audio
 * frames, counters and events (protocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import { sharedClock } from '../rtp/clock.js';
import type { RtpAddress } from '../sdp/types.js';
import { forwardAudio, type Forward } from '../session/forward.js';
import { MediaSessionImpl } from '../session/session.js';
import type { AudioFrame, MediaStats, PayloadFrame } from '../session/types.js';
import {
  AUDIO_STRIDE, PLAY_STRIDE, STATS_STRIDE, toWireError, writeQueueRow, writeStatsRow,
  type BatchMessage, type Op, type OpsMessage, type ReadyMessage, type RemoteSessionOptions, type WorkerEvent,
} from './protocol.js';
import { setDatagramIoMode, type DatagramIoMode } from '../udp/index.js';
import { currentThreadId, setCurrentThreadNice, setCurrentThreadRealtime } from './thread-priority.js';

interface Hosted {
  sid: number;
  session: MediaSessionImpl;
  appliedOp: number;
  latched: RtpAddress | undefined;
  onAudio: ((f: AudioFrame) => void) | undefined;
  /** This session's audio forwarded to another one on this worker (a bridge relayed here). */
  forward: Forward | undefined;
  onPayload: ((f: PayloadFrame) => void) | undefined;
  untick: () => void;
}

const port = parentPort;
if (!port) throw new Error('media-worker.ts runs as a worker thread');
setDatagramIoMode((workerData as { udp?: DatagramIoMode } | null)?.udp ?? 'auto');

const sessions = new Map<number, Hosted>();
/** Creates under way; a close that arrives meanwhile is applied once the session exists. */
const creating = new Map<number, { closeReason?: string; appliedOp: number }>();
let events: WorkerEvent[] = [];
let logs: string[] = [];
/**
 * This tick's audio, copied in as each frame is emitted (the sessions decode into reused buffers,
 * `transientAudio`): the samples, and rows of sid, offset, length, sample rate. Both are
 * transferred with the batch and replaced by new ones of the same capacity.
 */
let audio = new Int16Array(160 * 64);
let audioRows = new Int32Array(AUDIO_STRIDE * 64);
let audioSamples = 0;
let audioFrames = 0;
/** stats() of every session on every tick, written here instead of into a new object each. */
const scratch = {} as MediaStats;
const dirty = new Set<number>();
let scheduled = false;
let fullFlush = false;

// The sessions' pino lines travel to the main thread, which writes them through the call's own
// logger (so they carry its Call-ID bindings and go to its destination).
const rootLog: Logger = pino({ level: 'trace', base: null, timestamp: false }, {
  write(line: string): void {
    logs.push(line);
    schedule(false);
  },
});

function schedule(tick: boolean): void {
  if (tick) fullFlush = true;
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(flush);
}

function addAudio(sid: number, frame: AudioFrame): void {
  const n = frame.samples.length;
  if (audioSamples + n > audio.length) {
    const bigger = new Int16Array(Math.max(2 * audio.length, audioSamples + n));
    bigger.set(audio.subarray(0, audioSamples));
    audio = bigger;
  }
  if ((audioFrames + 1) * AUDIO_STRIDE > audioRows.length) {
    const bigger = new Int32Array(2 * audioRows.length);
    bigger.set(audioRows);
    audioRows = bigger;
  }
  audio.set(frame.samples, audioSamples);
  const at = audioFrames * AUDIO_STRIDE;
  audioRows[at] = sid;
  audioRows[at + 1] = audioSamples;
  audioRows[at + 2] = n;
  audioRows[at + 3] = frame.sampleRate;
  audioSamples += n;
  audioFrames++;
  schedule(false);
}

function touch(sid: number): void {
  dirty.add(sid);
  schedule(false);
}

/**
 * Every tick of a clock ends with a flush of every session's counters, in the clock's `flush`
 * phase: one batch per tick, even when the clock catches up several ticks back to back, so a mark
 * the main thread reads comes with the queue figures of its own tick, not of a later one.
 */
const tickHooks = new Map<number, { refs: number; unsubscribe: () => void }>();
function hookClock(ptime: number): () => void {
  let h = tickHooks.get(ptime);
  if (!h) {
    h = { refs: 0, unsubscribe: sharedClock(ptime).subscribe(() => { fullFlush = true; flush(); }, 'flush') };
    tickHooks.set(ptime, h);
  }
  h.refs++;
  const hook = h;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--hook.refs === 0) {
      hook.unsubscribe();
      tickHooks.delete(ptime);
    }
  };
}

/**
 * Ticks between two full counter rows of every session (queue depth goes every tick, counters with
 * every event and at close, so call_end, which reads them after close(), is exact). 5 keeps the
 * main thread's stats() at most 100 ms old and saves the stats of every session on 4 ticks in 5
 * (writeRow was ≈ 4.5 % of a worker's CPU in a profile at 300 echo streams, 2026-12-07).
 */
const COUNTERS_EVERY_TICKS = 5;
let ticks = 0;

/** One session's row: the queue figures, and its counters too when `counters`. */
function writeRow(out: Float64Array, at: number, h: Hosted, counters: boolean): void {
  if (!counters) {
    writeQueueRow(out, at, h.sid, h.appliedOp, h.session.queuedMs);
    return;
  }
  const s = h.session.statsInto(scratch);
  writeStatsRow(out, at, h.sid, h.appliedOp, h.session.queuedMs, s);
  const l = s.latchedSource;
  if (l?.address !== h.latched?.address || l?.port !== h.latched?.port) {
    h.latched = l ? { address: l.address, port: l.port } : undefined;
    events.push({ sid: h.sid, kind: 'latched', source: h.latched });
  }
}

function flush(): void {
  scheduled = false;
  const tick = fullFlush;
  const allCounters = tick && ++ticks % COUNTERS_EVERY_TICKS === 0;
  fullFlush = false;
  const transfer: ArrayBuffer[] = [];
  let stats: Float64Array | null = null;
  const count = tick ? sessions.size : dirty.size;
  if (count > 0) {
    const rows = new Float64Array(count * STATS_STRIDE);
    let n = 0;
    if (tick) {
      for (const h of sessions.values()) writeRow(rows, n++ * STATS_STRIDE, h, allCounters || dirty.has(h.sid));
    } else {
      for (const sid of dirty) {
        const h = sessions.get(sid);
        if (h) writeRow(rows, n++ * STATS_STRIDE, h, true);
      }
    }
    if (n > 0) {
      stats = n === count ? rows : rows.subarray(0, n * STATS_STRIDE);
      transfer.push(rows.buffer as ArrayBuffer);
    }
  }
  dirty.clear();
  let audioOut: Int16Array | null = null;
  let audioRowsOut: Int32Array | null = null;
  if (audioFrames > 0) {
    audioOut = audio.subarray(0, audioSamples);
    audioRowsOut = audioRows.subarray(0, audioFrames * AUDIO_STRIDE);
    transfer.push(audio.buffer as ArrayBuffer, audioRows.buffer as ArrayBuffer);
    audio = new Int16Array(audio.length);
    audioRows = new Int32Array(audioRows.length);
    audioSamples = 0;
    audioFrames = 0;
  }
  if (!stats && !audioOut && events.length === 0 && logs.length === 0) return;
  const msg: BatchMessage = { type: 'batch', audio: audioOut, audioRows: audioRowsOut, stats, events: events.length > 0 ? events : null, logs: logs.length > 0 ? logs : null };
  events = [];
  logs = [];
  port!.postMessage(msg, transfer);
}

function emit(ev: WorkerEvent): void {
  events.push(ev);
  touch(ev.sid);
}

async function create(sid: number, { port, logLevel, ...settings }: RemoteSessionOptions): Promise<void> {
  creating.set(sid, { appliedOp: 0 });
  let session: MediaSessionImpl;
  try {
    session = await MediaSessionImpl.create({
      // The lease lives in the main thread's PortAllocator; it is released there on close.
      ...settings,
      lease: { port, rtcpPort: port + 1, released: false, release: () => undefined },
      logger: rootLog.child({ __sid: sid }, { level: logLevel }),
      // addAudio copies every frame into the batch as it is emitted.
      transientAudio: true,
    });
  } catch (err) {
    creating.delete(sid);
    emit({ sid, kind: 'createFailed', error: toWireError(err) });
    return;
  }
  const pending = creating.get(sid)!;
  creating.delete(sid);
  const h: Hosted = { sid, session, appliedOp: pending.appliedOp, latched: undefined, onAudio: undefined, onPayload: undefined, forward: undefined, untick: hookClock(settings.negotiated.ptime) };
  sessions.set(sid, h);
  session.on('mark', (name, info) => emit({ sid, kind: 'mark', markId: Number(name), cleared: info.cleared }));
  session.on('dtmf', (event) => emit({ sid, kind: 'dtmf', event }));
  session.on('stats', (stats) => emit({ sid, kind: 'stats', stats }));
  session.on('close', (reason) => {
    h.untick();
    h.forward?.stop();
    sessions.delete(sid);
    events.push({ sid, kind: 'closed', reason, stats: session.stats() });
    schedule(false);
  });
  emit({ sid, kind: 'created' });
  if (pending.closeReason !== undefined) void session.close(pending.closeReason);
}

function apply(op: Op): void {
  if (op.kind === 'create') {
    void create(op.sid, op.options);
    return;
  }
  if (op.kind === 'stall') {
    // MediaWorkerPool.stall(): this thread's event loop blocked, as a long GC pause would.
    const end = performance.now() + op.ms;
    while (performance.now() < end) { /* busy */ }
    return;
  }
  const h = sessions.get(op.sid);
  if (!h) {
    const pending = creating.get(op.sid);
    if (pending && op.kind === 'close') pending.closeReason = op.reason;
    return;
  }
  const s = h.session;
  h.appliedOp = op.seq;
  switch (op.kind) {
    case 'mark': s.mark(String(op.markId)); break;
    case 'clear': s.clear(); touch(op.sid); break;
    case 'dtmf':
      s.sendDtmf(op.digits, op.options).then(
        () => emit({ sid: op.sid, kind: 'dtmfDone', reqId: op.reqId }),
        (err: unknown) => emit({ sid: op.sid, kind: 'dtmfDone', reqId: op.reqId, error: toWireError(err) }),
      );
      break;
    case 'remote':
      try { s.updateRemote(op.update); } catch (err) { rootLog.child({ __sid: op.sid }).warn({ err }, 'media remote update failed'); }
      break;
    case 'direction': s.setDirection(op.hold); break;
    case 'rate': s.setOutputRate(op.rate); break;
    case 'listen':
      if (op.audio && !h.onAudio) {
        h.onAudio = (frame) => addAudio(h.sid, frame);
        s.on('audio', h.onAudio);
      } else if (!op.audio && h.onAudio) {
        s.off('audio', h.onAudio);
        h.onAudio = undefined;
      }
      break;
    case 'forward': {
      h.forward?.stop();
      h.forward = undefined;
      const to = op.to === null ? undefined : sessions.get(op.to);
      if (to) {
        h.forward = forwardAudio(s, to.session, {
          ...(op.maxBacklogMs !== undefined ? { maxBacklogMs: op.maxBacklogMs } : {}),
          ...(op.drainAfterMs !== undefined ? { drainAfterMs: op.drainAfterMs } : {}),
        });
      }
      break;
    }
    case 'listenPayload':
      if (op.on && !h.onPayload) {
        // The session copies each payload for its listener: it can be posted as it is.
        h.onPayload = (frame) => { events.push({ sid: h.sid, kind: 'payload', payload: frame.payload }); schedule(false); };
        s.on('payload', h.onPayload);
      } else if (!op.on && h.onPayload) {
        s.off('payload', h.onPayload);
        h.onPayload = undefined;
      }
      break;
    case 'playFormat':
      try { s.setPlayFormat(op.format); } catch (err) { rootLog.child({ __sid: op.sid }).warn({ err }, 'media play format refused'); }
      touch(op.sid);
      break;
    case 'playPayload':
      try { s.playPayload(op.payload); } catch (err) { rootLog.child({ __sid: op.sid }).warn({ err }, 'media payload refused'); }
      break;
    case 'close': void s.close(op.reason); break;
  }
}

port.on('message', (m: OpsMessage) => {
  const plays = m.plays;
  const pcm = m.pcm;
  const count = plays ? plays.length / PLAY_STRIDE : 0;
  let pi = 0;
  const play = (i: number): void => {
    const at = i * PLAY_STRIDE;
    const h = sessions.get(plays![at]!);
    if (!h) return;
    const off = plays![at + 2]!;
    h.session.play(pcm!.subarray(off, off + plays![at + 3]!), plays![at + 4]!);
    h.appliedOp = plays![at + 1]!;
  };
  for (const op of m.ops) {
    while (pi < op.p && pi < count) play(pi++);
    apply(op);
  }
  while (pi < count) play(pi++);
});

/** The real-time class first, else the nice value (thread-priority.ts). */
function raisePriority(realtime: number | null | undefined, nice: number | null | undefined): ReadyMessage['priority'] {
  let refused: string | undefined;
  if (typeof realtime === 'number') {
    const rt = setCurrentThreadRealtime(realtime);
    if (rt.applied) return { applied: true, realtime: rt.realtime };
    refused = rt.reason;
  }
  if (typeof nice !== 'number') return refused === undefined ? null : { applied: false, reason: refused };
  const n = setCurrentThreadNice(nice);
  if (!n.applied) return { applied: false, reason: refused === undefined ? n.reason : `${refused}; ${n.reason}` };
  return refused === undefined ? { applied: true, nice: n.nice } : { applied: true, nice: n.nice, realtimeRefused: refused };
}

const wanted = workerData as { nice?: number | null; realtime?: number | null } | null;
const ready: ReadyMessage = { type: 'ready', tid: currentThreadId() ?? null, priority: raisePriority(wanted?.realtime, wanted?.nice) };
port.postMessage(ready);
