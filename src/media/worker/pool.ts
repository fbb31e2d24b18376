/**
 * MediaWorkerPool: K worker threads, each hosting MediaSessions on its own event loop and media
 * clock (the way mediasoup and rtpengine spread media over cores). `create()` puts a session on the
 * least-loaded worker and returns a RemoteMediaSession that implements MediaSession exactly.
 *
 *   const pool = new MediaWorkerPool({ workers: 2, logger });
 *   const session = await pool.create({ lease, negotiated, localAddress, logger: callLog, id: callId });
 *   …
 *   await pool.close();   // closes what is left, terminates the threads
 *
 * Port leases stay in this thread's PortAllocator (released when the session closes, or when
 * create fails, e.g. EADDRINUSE). A worker that exits ends its sessions (`close` with a reason)
 * and is replaced. Sessions with a packet tap or a custom clock (functions cannot cross threads)
 * run in-process.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { rootLogger, type Logger } from '../../log.js';
import { createMediaSession } from '../session/session.js';
import { datagramIoMode } from '../udp/index.js';
import type { MediaSession, MediaSessionOptions, MediaSessionSettings } from '../session/types.js';
import { MediaWorkerError, fromWireError } from './errors.js';
import { AUDIO_STRIDE, PLAY_STRIDE, STATS_STRIDE, type BatchMessage, type Op, type OpBody, type OpsMessage, type ReadyMessage } from './protocol.js';
import { RemoteMediaSession, type WorkerLink } from './remote-session.js';
import { DEFAULT_WORKER_NICE, DEFAULT_WORKER_REALTIME } from './thread-priority.js';
import { mediaWorkerEntry } from './worker-entry.js';

export interface MediaWorkerPoolOptions {
  /** Number of worker threads (default os.availableParallelism()). */
  workers?: number;
  logger?: Logger;
  /**
   * V8 heap limits per worker thread (a worker exceeding them dies; its calls end, a new worker
   * starts). Default: a 12 MiB young generation (≈ 4 MiB semi-spaces). Under media allocation rates
   * V8 otherwise grows every isolate's new space to 32 MiB, which measured as ≈ 320 KiB of RSS per
   * call at 200 calls (docs/benchmarks.md, memory per call); the smaller space cost no measurable CPU.
   */
  resourceLimits?: ResourceLimits;
  /**
   * Nice value the worker threads ask for (thread-priority.ts; −20 … 19, lower = more CPU when
   * the machine is busy), or null to leave them as the process is. Default −10.
   */
  nice?: number | null;
  /**
   * SCHED_RR priority (1–99) the worker threads ask for first (thread-priority.ts), falling back
   * to `nice` when refused; null = nice only. Default 10: above every normal thread, below the
   * kernel's own real-time threads (50 and up).
   */
  realtime?: number | null;
}

/** How a worker thread's scheduling priority is asked for. */
interface WorkerPriority {
  nice: number | null;
  realtime: number | null;
}

const DEFAULT_RESOURCE_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 12 };

export interface MediaWorkerInfo {
  index: number;
  threadId: number;
  sessions: number;
  /** Event loop busy/idle time of the worker so far (ms): its load, independent of CPU steal. */
  eventLoop: { activeMs: number; idleMs: number };
  /** The kernel's thread id (Linux), once the worker has loaded. */
  tid: number | undefined;
  /** Its scheduling priority as the worker reported it (null: not asked). */
  priority: ReadyMessage['priority'] | undefined;
}

interface Creating {
  session: RemoteMediaSession;
  resolve: (s: MediaSession) => void;
  reject: (e: Error) => void;
}

/** The plain-data part of a session's options (MediaSessionSettings), as it crosses to the worker. */
function sessionSettings(options: MediaSessionOptions): MediaSessionSettings {
  const { lease: _lease, clock: _clock, logger: _logger, tap: _tap, near: _near, transientAudio: _transient, ...settings } = options;
  return settings;
}

/** With the process's node flags when a worker accepts them (--cpu-prof …), else without (--trace-gc …). */
function startWorker(entry: ReturnType<typeof mediaWorkerEntry>, index: number, log: Logger, resourceLimits: ResourceLimits | undefined, priority: WorkerPriority): Worker {
  // The worker opens its sockets on the same UDP layer as this thread (media.udp).
  const options = { name: `media-${index}`, eval: entry.eval, workerData: { udp: datagramIoMode(), ...priority }, ...(resourceLimits ? { resourceLimits } : {}) };
  try {
    return new Worker(entry.source, { ...options, execArgv: entry.execArgv });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    log.warn({ execArgv: entry.execArgv }, 'node flags not valid for worker threads: media workers start without them');
    return new Worker(entry.source, { ...options, execArgv: [] });
  }
}

/** One worker thread and the batches going to it. */
class WorkerSlot implements WorkerLink {
  readonly index: number;
  readonly worker: Worker;
  readonly sessions = new Map<number, RemoteMediaSession>();
  readonly creating = new Map<number, Creating>();
  readonly exited: Promise<number>;
  /** Resolves when the worker's module has loaded (or the worker is gone). */
  readonly ready: Promise<void>;
  #markReady: () => void = () => undefined;
  #ops: Op[] = [];
  #pcm = new Int16Array(4096);
  #pcmUsed = 0;
  #plays = new Int32Array(64 * PLAY_STRIDE);
  #playCount = 0;
  #scheduled = false;
  #gone = false;
  #loaded = false;
  tid: number | undefined;
  priority: ReadyMessage['priority'] | undefined;
  readonly #onBatch: (slot: WorkerSlot, m: BatchMessage) => void;

  constructor(index: number, onBatch: (slot: WorkerSlot, m: BatchMessage) => void, onExit: (slot: WorkerSlot, code: number) => void, log: Logger, resourceLimits: ResourceLimits | undefined, priority: WorkerPriority) {
    this.index = index;
    this.#onBatch = onBatch;
    const entry = mediaWorkerEntry();
    this.worker = startWorker(entry, index, log, resourceLimits, priority);
    this.ready = new Promise((resolve) => { this.#markReady = resolve; });
    this.worker.on('message', (m: BatchMessage | ReadyMessage) => {
      if (m.type === 'ready') {
        this.tid = m.tid ?? undefined;
        this.priority = m.priority;
        const p = m.priority;
        if (p?.applied === false) log.warn({ worker: index, reason: p.reason }, 'media worker runs at normal priority');
        else if (p && 'realtimeRefused' in p) log.warn({ worker: index, tid: m.tid, nice: p.nice, reason: p.realtimeRefused }, 'media worker is not real-time: nice value only');
        else if (p) log.debug({ worker: index, tid: m.tid, ...p }, 'media worker priority raised');
        this.#loaded = true;
        this.#markReady();
        this.updateRef();
      } else {
        this.#onBatch(this, m);
      }
    });
    this.worker.on('error', (err) => log.error({ err, worker: index }, 'media worker failed'));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.#gone = true;
        this.#markReady();
        onExit(this, code);
        resolve(code);
      });
    });
  }

  get load(): number {
    return this.sessions.size + this.creating.size;
  }

  get gone(): boolean {
    return this.#gone;
  }

  /** The worker's module loaded (a worker that dies before that is broken, not crashed). */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Keep the process alive while the worker loads or carries sessions, not when it idles. */
  updateRef(): void {
    if (this.#gone) return;
    if (this.load > 0 || !this.#loaded) this.worker.ref();
    else this.worker.unref();
  }

  send(sid: number, seq: number, op: OpBody): void {
    this.#ops.push({ ...op, sid, seq, p: this.#playCount } as Op);
    this.#schedule();
  }

  play(sid: number, seq: number, pcm: Int16Array, sampleRate: number): void {
    if (this.#pcmUsed + pcm.length > this.#pcm.length) {
      const bigger = new Int16Array(Math.max(this.#pcm.length * 2, this.#pcmUsed + pcm.length));
      bigger.set(this.#pcm.subarray(0, this.#pcmUsed));
      this.#pcm = bigger;
    }
    this.#pcm.set(pcm, this.#pcmUsed);
    if ((this.#playCount + 1) * PLAY_STRIDE > this.#plays.length) {
      const bigger = new Int32Array(this.#plays.length * 2);
      bigger.set(this.#plays);
      this.#plays = bigger;
    }
    const at = this.#playCount * PLAY_STRIDE;
    this.#plays[at] = sid;
    this.#plays[at + 1] = seq;
    this.#plays[at + 2] = this.#pcmUsed;
    this.#plays[at + 3] = pcm.length;
    this.#plays[at + 4] = sampleRate;
    this.#playCount++;
    this.#pcmUsed += pcm.length;
    this.#schedule();
  }

  forget(sid: number): void {
    this.sessions.delete(sid);
    this.updateRef();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#flush);
  }

  /** Everything queued in this macrotask goes to the worker as one message. */
  readonly #flush = (): void => {
    this.#scheduled = false;
    if (this.#gone) {
      this.#ops = [];
      this.#playCount = 0;
      this.#pcmUsed = 0;
      return;
    }
    const transfer: ArrayBuffer[] = [];
    let pcm: Int16Array | null = null;
    let plays: Int32Array | null = null;
    if (this.#playCount > 0) {
      pcm = this.#pcm.subarray(0, this.#pcmUsed);
      plays = this.#plays.subarray(0, this.#playCount * PLAY_STRIDE);
      transfer.push(this.#pcm.buffer as ArrayBuffer, this.#plays.buffer as ArrayBuffer);
      // The buffers are handed over: start fresh ones about as large as this batch needed.
      this.#pcm = new Int16Array(Math.max(4096, this.#pcmUsed + (this.#pcmUsed >> 2)));
      this.#plays = new Int32Array(Math.max(64, this.#playCount + (this.#playCount >> 2)) * PLAY_STRIDE);
    }
    const msg: OpsMessage = { type: 'ops', ops: this.#ops, pcm, plays };
    this.#ops = [];
    this.#playCount = 0;
    this.#pcmUsed = 0;
    this.worker.postMessage(msg, transfer);
  };
}

export class MediaWorkerPool {
  readonly size: number;
  readonly #log: Logger;
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #priority: WorkerPriority;
  readonly #slots: WorkerSlot[] = [];
  #nextSid = 1;
  #closing: Promise<void> | undefined;

  constructor(options: MediaWorkerPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
    this.#log = (options.logger ?? rootLogger).child({ component: 'media-workers' });
    this.#resourceLimits = options.resourceLimits ?? DEFAULT_RESOURCE_LIMITS;
    this.#priority = {
      nice: options.nice === undefined ? DEFAULT_WORKER_NICE : options.nice,
      realtime: options.realtime === undefined ? DEFAULT_WORKER_REALTIME : options.realtime,
    };
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn(i));
    this.#log.debug({ workers: this.size }, 'media worker pool started');
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Workers that can take sessions now (loaded, not exited); a crashed one is replaced. */
  get liveWorkers(): number {
    return this.#closing ? 0 : this.#slots.filter((s) => s.loaded && !s.gone).length;
  }

  /**
   * Resolves once every worker has loaded (sessions created before that simply wait for it).
   * Rejects when no worker could load its module at all: a pool that can carry no call must stop
   * the gateway's start, not answer every call with 503.
   */
  async ready(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.ready));
    if (this.#slots.every((s) => s.gone && !s.loaded)) {
      throw new Error(`none of the ${this.size} media worker thread(s) could start (see the 'media worker failed' log lines)`);
    }
  }

  workers(): MediaWorkerInfo[] {
    return this.#slots.map((s) => {
      const elu = s.gone ? { active: 0, idle: 0 } : s.worker.performance.eventLoopUtilization();
      return { index: s.index, threadId: s.worker.threadId, sessions: s.load, eventLoop: { activeMs: elu.active, idleMs: elu.idle }, tid: s.tid, priority: s.priority };
    });
  }

  /** Stops one worker thread as if it had crashed (its sessions close, a new worker replaces it). For tests and operators. */
  async terminateWorker(index: number): Promise<void> {
    const slot = this.#slots[index];
    if (!slot) throw new RangeError(`no media worker ${index}`);
    await slot.worker.terminate();
    await slot.exited;
  }

  /**
   * Blocks the event loop of the worker that hosts `session` for `ms`, after the operations
   * already queued for it (as a long GC pause or a starved thread would): its clock then catches
   * up the ticks it missed. For tests.
   */
  stall(session: MediaSession, ms: number): void {
    const slot = session instanceof RemoteMediaSession ? this.#slots.find((s) => !s.gone && s.sessions.get(session.sid) === session) : undefined;
    if (!slot) throw new MediaWorkerError('MEDIA_WORKER_EXITED', 'the session is not on a running media worker');
    slot.send(0, 0, { kind: 'stall', ms });
  }

  /** Like createMediaSession, on the least-loaded worker. Rejects as in-process (EADDRINUSE …) and releases the lease. */
  async create(options: MediaSessionOptions): Promise<MediaSession> {
    if (this.#closing) {
      options.lease.release();
      throw new MediaWorkerError('MEDIA_POOL_CLOSED', 'media worker pool is closed');
    }
    if (options.tap || options.clock) {
      // Functions cannot cross threads: packet taps and injected clocks run here.
      try {
        return await createMediaSession(options);
      } catch (err) {
        options.lease.release();
        throw err;
      }
    }
    // A bridge's second leg goes on its first leg's worker, so audio can pass between them there.
    const near = options.near instanceof RemoteMediaSession ? this.#slots.find((s) => !s.gone && s.sessions.get((options.near as RemoteMediaSession).sid) === options.near) : undefined;
    let slot: WorkerSlot | undefined = near;
    if (!slot) for (const s of this.#slots) if (!s.gone && (!slot || s.load < slot.load)) slot = s;
    if (!slot) {
      options.lease.release();
      throw new MediaWorkerError('MEDIA_WORKER_EXITED', 'no media worker could be started');
    }
    const sid = this.#nextSid++;
    const id = options.id ?? randomUUID();
    const session = new RemoteMediaSession({
      sid, id, lease: options.lease, negotiated: options.negotiated, link: slot,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const created = new Promise<MediaSession>((resolve, reject) => slot.creating.set(sid, { session, resolve, reject }));
    slot.updateRef();
    slot.send(sid, 0, {
      kind: 'create',
      options: { ...sessionSettings(options), port: options.lease.port, id, logLevel: (options.logger ?? rootLogger).level },
    });
    return created;
  }

  /** Closes every session left (RTCP BYE, ports back), then terminates the threads. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const open = this.#slots.flatMap((s) => [...s.sessions.values()]);
      if (open.length > 0) {
        await Promise.race([
          Promise.all(open.map((s) => s.close('media worker pool closed'))),
          new Promise((r) => setTimeout(r, 2000).unref()),
        ]);
      }
      await Promise.all(this.#slots.map(async (s) => { await s.worker.terminate(); await s.exited; }));
      this.#log.debug('media worker pool closed');
    })();
    return this.#closing;
  }

  #spawn(index: number): WorkerSlot {
    return new WorkerSlot(index, (slot, m) => this.#onBatch(slot, m), (slot, code) => this.#onExit(slot, code), this.#log, this.#resourceLimits, this.#priority);
  }

  #onExit(slot: WorkerSlot, code: number): void {
    const reason = this.#closing ? 'media worker pool closed' : `media worker exited (code ${code})`;
    if (!this.#closing) this.#log.error({ worker: slot.index, code, sessions: slot.sessions.size }, 'media worker exited: ending its calls and starting a new worker');
    for (const [sid, c] of slot.creating) {
      slot.creating.delete(sid);
      c.session.ended(reason, c.session.stats());
      c.reject(new MediaWorkerError(this.#closing ? 'MEDIA_POOL_CLOSED' : 'MEDIA_WORKER_EXITED', reason));
    }
    for (const s of [...slot.sessions.values()]) s.ended(reason, s.stats());
    // A worker that died before its module loaded would die again: do not respawn it in a loop.
    if (!slot.loaded) this.#log.error({ worker: slot.index }, 'media worker failed to load: not restarted');
    else if (!this.#closing && this.#slots[slot.index] === slot) this.#slots[slot.index] = this.#spawn(slot.index);
  }

  #onBatch(slot: WorkerSlot, m: BatchMessage): void {
    const { stats, audio, audioRows } = m;
    if (stats) {
      for (let at = 0; at < stats.length; at += STATS_STRIDE) slot.sessions.get(stats[at]!)?.applyStats(stats, at);
    }
    if (audio && audioRows) {
      for (let at = 0; at < audioRows.length; at += AUDIO_STRIDE) {
        const s = slot.sessions.get(audioRows[at]!);
        if (!s) continue;
        const off = audioRows[at + 1]!;
        s.deliverAudio({ samples: audio.subarray(off, off + audioRows[at + 2]!), sampleRate: audioRows[at + 3]! });
      }
    }
    for (const line of m.logs ?? []) this.#relog(slot, line);
    for (const ev of m.events ?? []) {
      if (ev.kind === 'created' || ev.kind === 'createFailed') {
        const c = slot.creating.get(ev.sid);
        if (!c) continue;
        slot.creating.delete(ev.sid);
        if (ev.kind === 'created') {
          slot.sessions.set(ev.sid, c.session);
          c.resolve(c.session);
        } else {
          c.session.ended('create failed', c.session.stats()); // releases the lease
          c.reject(fromWireError(ev.error));
        }
        slot.updateRef();
        continue;
      }
      const s = slot.sessions.get(ev.sid);
      if (!s) continue;
      switch (ev.kind) {
        case 'dtmf': s.deliverDtmf(ev.event); break;
        case 'mark': s.deliverMark(ev.markId, ev.cleared); break;
        case 'payload': s.deliverPayload({ payload: ev.payload }); break;
        case 'stats': s.deliverStatsEvent(ev.stats); break;
        case 'latched': s.setLatched(ev.source); break;
        case 'dtmfDone': s.dtmfDone(ev.reqId, ev.error); break;
        case 'closed': s.ended(ev.reason, ev.stats); break;
      }
    }
  }

  #relog(slot: WorkerSlot, line: string): void {
    let obj: Record<string, unknown>;
    try { obj = JSON.parse(line) as Record<string, unknown>; } catch { return; }
    const sid = obj.__sid as number | undefined;
    const s = sid !== undefined ? slot.sessions.get(sid) ?? slot.creating.get(sid)?.session : undefined;
    if (s) s.relog(obj);
    else this.#log.info({ worker: slot.index, ...obj }, 'media worker log');
  }
}
