/**
 * The main thread's face of a MediaSession that runs in a media worker: implements the
 * MediaSession interface exactly, so agents and the gateway cannot tell the difference. Calls are
 * queued on the worker link (flushed once per macrotask); what is synchronous in-process stays
 * synchronous here: `stats()` serves the latest counters the worker pushed (every tick, with each
 * event, and the final ones before `close`), `queuedMs` is the worker's figure plus what is still in flight, and
 * `clear()` reports pending marks as cleared at once (a mark the worker reports later is ignored).
 */
import { EventEmitter } from 'node:events';
import { rootLogger, type Logger } from '../../log.js';
import type { PortLease } from '../ports.js';
import { readRemote } from '../sdp/negotiate.js';
import type { MediaDirection, NegotiatedMedia, RtpAddress } from '../sdp/types.js';
import { TypedEmitter } from '../session/emitter.js';
import { MediaSessionError } from '../session/errors.js';
import type { AudioFrame, DtmfEvent, MediaSession, MediaSessionEvents, MediaStats, PayloadFrame, PlayFormat } from '../session/types.js';
import { fromWireError } from './errors.js';
import { hasCounters, readStatsRow, STATS_STRIDE, StatsRow, type OpBody, type WireError } from './protocol.js';

/** What a session needs from its worker: queue an operation or a play (both in call order). */
export interface WorkerLink {
  send(sid: number, seq: number, op: OpBody): void;
  play(sid: number, seq: number, pcm: Int16Array, sampleRate: number): void;
  /** The session is gone (closed): forget it. */
  forget(sid: number): void;
}

export interface RemoteSessionInit {
  sid: number;
  id: string;
  lease: PortLease;
  negotiated: NegotiatedMedia;
  link: WorkerLink;
  logger?: Logger;
}

const LEVEL_NAMES: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export class RemoteMediaSession extends TypedEmitter<MediaSessionEvents> implements MediaSession {
  readonly id: string;
  readonly localPort: number;
  readonly sid: number;
  readonly #lease: PortLease;
  readonly #link: WorkerLink;
  readonly #log: Logger;
  #negotiated: NegotiatedMedia;
  #seq = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  #resolveClose: (() => void) | undefined;
  /** The latest full counters row the worker sent (copied out of its batch). */
  #row: Float64Array | undefined;
  #final: MediaStats | undefined;
  #latched: RtpAddress | undefined;
  #appliedOp = 0;
  #lastClear = 0;
  #reportedQueuedMs = 0;
  /** Plays the worker has not applied yet: seq and duration. */
  #inFlight: { seq: number; ms: number }[] = [];
  #marks = new Map<number, string>();
  #nextMark = 1;
  #dtmf = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #nextDtmf = 1;
  #listening = false;
  #listeningPayload = false;
  #playFormat: PlayFormat = 'pcm';

  constructor(init: RemoteSessionInit) {
    super(init.logger ?? rootLogger);
    this.sid = init.sid;
    this.id = init.id;
    this.localPort = init.lease.port;
    this.#lease = init.lease;
    this.#negotiated = init.negotiated;
    this.#link = init.link;
    this.#log = init.logger ?? rootLogger;
    // The worker only decodes and ships audio while someone listens (as in-process).
    EventEmitter.prototype.on.call(this, 'newListener', (event: string) => {
      if (event === 'audio' && !this.#listening && !this.#closed) {
        this.#listening = true;
        this.#send({ kind: 'listen', audio: true });
      }
      if (event === 'payload' && !this.#listeningPayload && !this.#closed) {
        this.#listeningPayload = true;
        this.#send({ kind: 'listenPayload', on: true });
      }
    });
    EventEmitter.prototype.on.call(this, 'removeListener', (event: string) => {
      if (event === 'audio' && this.#listening && this.listenerCount('audio') === 0 && !this.#closed) {
        this.#listening = false;
        this.#send({ kind: 'listen', audio: false });
      }
      if (event === 'payload' && this.#listeningPayload && this.listenerCount('payload') === 0 && !this.#closed) {
        this.#listeningPayload = false;
        this.#send({ kind: 'listenPayload', on: false });
      }
    });
  }

  get negotiated(): NegotiatedMedia { return this.#negotiated; }
  get closed(): boolean { return this.#closed; }

  get queuedMs(): number {
    // Before the worker has seen our last clear(), its queue figure is stale: count from zero.
    let ms = this.#lastClear > this.#appliedOp ? 0 : this.#reportedQueuedMs;
    for (const p of this.#inFlight) if (p.seq > this.#appliedOp) ms += p.ms;
    return ms;
  }

  #send(op: OpBody): number {
    const seq = ++this.#seq;
    this.#link.send(this.sid, seq, op);
    return seq;
  }

  setOutputRate(rate: number): void {
    if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`invalid output rate ${rate}`);
    if (this.#closed) return;
    this.#send({ kind: 'rate', rate });
  }

  play(pcm: Int16Array, sampleRate: number): void {
    if (this.#closed || pcm.length === 0) return;
    const seq = ++this.#seq;
    this.#inFlight.push({ seq, ms: (pcm.length / sampleRate) * 1000 });
    this.#link.play(this.sid, seq, pcm, sampleRate);
  }

  setPlayFormat(format: PlayFormat): void {
    const codec = this.#negotiated.codec.name;
    if (format === 'payload' && codec !== 'PCMU' && codec !== 'PCMA') {
      throw new MediaSessionError('MEDIA_PAYLOAD_UNSUPPORTED', `payload playback needs PCMU or PCMA, not ${codec}`);
    }
    if (format === this.#playFormat || this.#closed) return;
    // As in-process: a change of format drops what is queued.
    this.clear();
    this.#playFormat = format;
    this.#send({ kind: 'playFormat', format });
  }

  playPayload(payload: Uint8Array): void {
    if (this.#closed || payload.length === 0) return;
    if (this.#playFormat !== 'payload') throw new MediaSessionError('MEDIA_PLAY_FORMAT', "playPayload needs setPlayFormat('payload')");
    // G.711: one octet per sample at the clock rate.
    const seq = this.#send({ kind: 'playPayload', payload: payload.slice() });
    this.#inFlight.push({ seq, ms: (payload.length / this.#negotiated.codec.clockRate) * 1000 });
  }

  mark(name: string): void {
    if (this.#closed) return;
    const markId = this.#nextMark++;
    this.#marks.set(markId, name);
    this.#send({ kind: 'mark', markId });
  }

  clear(): void {
    const pending = [...this.#marks.values()];
    this.#marks.clear();
    this.#inFlight = [];
    if (!this.#closed) this.#lastClear = this.#send({ kind: 'clear' });
    this.#reportedQueuedMs = 0;
    for (const name of pending) this.safeEmit('mark', name, { cleared: true });
  }

  sendDtmf(digits: string, options: { durationMs?: number; gapMs?: number } = {}): Promise<void> {
    if (!this.#negotiated.telephoneEvent) return Promise.reject(new MediaSessionError('MEDIA_NO_TELEPHONE_EVENT', 'telephone-event was not negotiated'));
    if (this.#closed) return Promise.reject(new MediaSessionError('MEDIA_SESSION_CLOSED', 'media session is closed'));
    const reqId = this.#nextDtmf++;
    return new Promise<void>((resolve, reject) => {
      this.#dtmf.set(reqId, { resolve, reject });
      this.#send({ kind: 'dtmf', reqId, digits, options: { ...options } });
    });
  }

  updateRemote(update: NegotiatedMedia | string | RtpAddress): void {
    // Same bookkeeping as MediaSessionImpl.updateRemote (a bad SDP throws here, synchronously).
    if (typeof update === 'string') {
      this.#negotiated = { ...this.#negotiated, ...readRemote(update) };
    } else if ('codec' in update) {
      this.#negotiated = { ...update, codec: this.#negotiated.codec };
    } else {
      this.#negotiated = { ...this.#negotiated, remote: update, remoteRtcp: { address: update.address, port: this.#negotiated.rtcpMux ? update.port : update.port + 1 } };
    }
    if (!this.#closed) this.#send({ kind: 'remote', update });
  }

  forwardInWorker(to: MediaSession | null, options: { maxBacklogMs?: number; drainAfterMs?: number } = {}): boolean {
    if (this.#closed) return false;
    if (to === null) {
      this.#send({ kind: 'forward', to: null });
      return true;
    }
    if (!(to instanceof RemoteMediaSession) || to.#link !== this.#link || to.closed) return false;
    this.#send({ kind: 'forward', to: to.sid, ...options });
    return true;
  }

  setDirection(hold: boolean | MediaDirection): void {
    if (!this.#closed) this.#send({ kind: 'direction', hold });
  }

  stats(): MediaStats {
    if (this.#final) return { ...this.#final };
    if (this.#row) return readStatsRow(this.#row, 0, this.#latched);
    return {
      packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, packetsRejected: 0, packetsLost: 0, fractionLost: 0, jitterMs: 0,
      lateFrames: 0, framesSent: 0, underruns: 0, dtmfIn: 0, dtmfOut: 0,
    };
  }

  close(reason = 'closed'): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#closing = new Promise<void>((resolve) => { this.#resolveClose = resolve; });
    this.#send({ kind: 'close', reason });
    return this.#closing;
  }

  // ——— called by the pool with what the worker reported ———

  /** The worker's counters at its last flush (row of a transferred Float64Array). */
  applyStats(rows: Float64Array, at: number): void {
    if (this.#final) return;
    if (hasCounters(rows, at)) {
      const row = (this.#row ??= new Float64Array(STATS_STRIDE));
      for (let i = 0; i < STATS_STRIDE; i++) row[i] = rows[at + i]!;
    }
    this.#appliedOp = rows[at + StatsRow.appliedOp]!;
    this.#reportedQueuedMs = rows[at + StatsRow.queuedMs]!;
    // Plays are queued in seq order: the applied ones are a prefix.
    const inFlight = this.#inFlight;
    while (inFlight.length > 0 && inFlight[0]!.seq <= this.#appliedOp) inFlight.shift();
  }

  deliverAudio(frame: AudioFrame): void {
    if (!this.#closed) this.safeEmit('audio', frame);
  }

  deliverPayload(frame: PayloadFrame): void {
    if (!this.#closed) this.safeEmit('payload', frame);
  }

  deliverDtmf(event: DtmfEvent): void {
    if (!this.#closed) this.safeEmit('dtmf', event);
  }

  deliverMark(markId: number, cleared: boolean): void {
    const name = this.#marks.get(markId);
    if (name === undefined) return; // already reported as cleared by our own clear()
    this.#marks.delete(markId);
    this.safeEmit('mark', name, { cleared });
  }

  deliverStatsEvent(stats: MediaStats): void {
    this.safeEmit('stats', stats);
  }

  setLatched(source: RtpAddress | undefined): void {
    this.#latched = source;
  }

  dtmfDone(reqId: number, error?: WireError): void {
    const p = this.#dtmf.get(reqId);
    if (!p) return;
    this.#dtmf.delete(reqId);
    if (error) p.reject(fromWireError(error));
    else p.resolve();
  }

  /** A pino line the session's logger wrote in the worker: write it through our logger. */
  relog(line: Record<string, unknown>): void {
    const { level, msg, __sid: _sid, time: _time, ...rest } = line;
    const name = LEVEL_NAMES[level as number] ?? 'info';
    this.#log[name](rest, typeof msg === 'string' ? msg : '');
  }

  /** The session ended in the worker (or the worker died): final counters, lease back, `close`. */
  ended(reason: string, stats: MediaStats): void {
    if (this.#final) return;
    this.#final = stats;
    this.#closed = true;
    this.#link.forget(this.sid);
    this.#lease.release();
    // In-process, close cancels queued digits (their promises resolve): the same here.
    for (const p of this.#dtmf.values()) p.resolve();
    this.#dtmf.clear();
    this.#closing ??= Promise.resolve();
    this.safeEmit('close', reason);
    this.#resolveClose?.();
  }
}
