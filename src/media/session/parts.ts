/**
 * The seams between MediaSession and the media building blocks written alongside it
 * (src/media/jitter, src/media/dsp/resampler, src/media/dtmf). The session codes against these
 * small interfaces; the factories below adapt the real modules (and schedule DTMF on the pacer).
 */
import type { RtpHeaderView as RtpHeader } from '../rtp/header.js';
import { Resampler } from '../dsp/resampler.js';
import { DtmfReceiver, dtmfPackets, type DtmfPacketPlan } from '../dtmf/index.js';
import { JitterBuffer, type JitterBufferStats } from '../jitter/index.js';
import type { DtmfEvent } from './types.js';

export type JitterOutput = { kind: 'frame'; payload: Buffer } | { kind: 'missing' } | { kind: 'empty' };

export interface JitterPart {
  push(header: RtpHeader, payload: Buffer, arrivalMs: number): void;
  /** One frame per playout tick. */
  pop(nowMs: number): JitterOutput;
  stats(): JitterBufferStats;
}

export interface ResamplerPart {
  process(pcm: Int16Array): Int16Array;
  reset?(): void;
}

export interface DtmfReceiverPart {
  /** Feed an RFC 4733 packet; returns the digits it completed (each digit reported once). */
  push(header: RtpHeader, payload: Buffer, arrivalMs: number): DtmfEvent[];
  /** Close a digit whose end packets were lost. */
  poll(nowMs: number): DtmfEvent[];
}

export interface DtmfSenderPart {
  queue(digits: string, options: { durationMs?: number; gapMs?: number }): Promise<void>;
  /** Packets for this frame period, if an event is being sent (timestamp = the event's start). */
  next(currentTimestamp: number): { timestamp: number; packets: { payload: Buffer; marker: boolean }[] } | undefined;
  cancel(): void;
  /** A digit is queued, being sent, or in its gap: the frame periods are the pacer's. */
  readonly busy: boolean;
}

export interface JitterConfig { clockRate: number; ptimeMs: number; frameTicks: number; targetMs: number }

/**
 * Least margin between a packet's arrival and the tick that plays it (JitterBufferOptions.guardMs):
 * above the timer grain (1 ms) and a busy event loop's usual lateness, so a sender whose clock
 * runs in phase with ours does not slip a frame at every late wake-up.
 */
export const PLAYOUT_GUARD_MS = 5;

const MISSING: JitterOutput = Object.freeze({ kind: 'missing' });
const EMPTY: JitterOutput = Object.freeze({ kind: 'empty' });

/** The adaptive jitter buffer of src/media/jitter behind the session's seam. */
export function createJitter(cfg: JitterConfig): JitterPart {
  const jb = new JitterBuffer({ clockRate: cfg.clockRate, frameMs: cfg.ptimeMs, minDepthMs: Math.min(cfg.targetMs, 20), maxDepthMs: Math.max(60, cfg.targetMs), guardMs: PLAYOUT_GUARD_MS });
  return {
    push: (h, payload, arrivalMs) => jb.push({
      seq: h.sequenceNumber, timestamp: h.timestamp, ssrc: h.ssrc, payload, marker: h.marker, payloadType: h.payloadType, arrivalMs,
    }),
    pop: (nowMs) => {
      const r = jb.pop(nowMs);
      return r.kind === 'packet' ? { kind: 'frame', payload: r.packet.payload } : r.kind === 'missing' ? MISSING : EMPTY;
    },
    stats: () => jb.stats(),
  };
}

export function createResampler(from: number, to: number): ResamplerPart {
  return new Resampler(from, to);
}

export function createDtmfReceiver(cfg: { clockRate: number }): DtmfReceiverPart {
  const rx = new DtmfReceiver({ clockRate: cfg.clockRate });
  const toEvents = (ds: { digit: string; durationMs: number }[]): DtmfEvent[] => ds.map((d) => ({ digit: d.digit, durationMs: d.durationMs }));
  return {
    push: (header, payload, arrivalMs) => toEvents(rx.push({ timestamp: header.timestamp, payload, arrivalMs })),
    poll: (nowMs) => toEvents(rx.poll(nowMs)),
  };
}

/**
 * Schedules RFC 4733 digits onto the pacer: one packet of the digit's plan per frame period,
 * the event timestamp being the media timestamp when the digit starts (§2.5.1.2), then a gap of
 * silence/audio before the next digit.
 */
class DtmfSchedule implements DtmfSenderPart {
  readonly #cfg: { clockRate: number; payloadType: number; ptimeMs: number };
  #pending: { digits: string[]; durationMs: number; gapTicks: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  #plan: DtmfPacketPlan[] | undefined;
  #index = 0;
  #gap = 0;

  constructor(cfg: { clockRate: number; payloadType: number; ptimeMs: number }) {
    this.#cfg = cfg;
  }

  get busy(): boolean {
    return this.#pending.length > 0 || this.#plan !== undefined || this.#gap > 0;
  }

  queue(digits: string, options: { durationMs?: number; gapMs?: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      const list = [...digits];
      // Validate before anything is sent (DtmfError BAD_DIGIT).
      try { for (const d of list) dtmfPackets(d, { timestamp: 0 }); } catch (err) { reject(err as Error); return; }
      this.#pending.push({ digits: list, durationMs: options.durationMs ?? 100, gapTicks: Math.max(1, Math.round((options.gapMs ?? 60) / this.#cfg.ptimeMs)), resolve, reject });
    });
  }

  next(currentTimestamp: number): { timestamp: number; packets: { payload: Buffer; marker: boolean }[] } | undefined {
    if (this.#gap > 0) {
      this.#gap--;
      return undefined;
    }
    if (!this.#plan) {
      const job = this.#pending[0];
      if (!job) return undefined;
      const digit = job.digits.shift();
      if (digit === undefined) {
        this.#pending.shift();
        job.resolve();
        return this.next(currentTimestamp);
      }
      this.#plan = dtmfPackets(digit, { timestamp: currentTimestamp, durationMs: job.durationMs, ptimeMs: this.#cfg.ptimeMs, clockRate: this.#cfg.clockRate });
      this.#index = 0;
    }
    const p = this.#plan[this.#index++]!;
    if (this.#index >= this.#plan.length) {
      this.#plan = undefined;
      this.#gap = this.#pending[0]?.gapTicks ?? 1;
      const job = this.#pending[0];
      if (job && job.digits.length === 0) {
        this.#pending.shift();
        job.resolve();
      }
    }
    return { timestamp: p.timestamp, packets: [{ payload: p.payload, marker: p.marker }] };
  }

  cancel(): void {
    for (const job of this.#pending) job.resolve();
    this.#pending = [];
    this.#plan = undefined;
  }
}

export function createDtmfSender(cfg: { clockRate: number; payloadType: number; ptimeMs: number }): DtmfSenderPart {
  return new DtmfSchedule(cfg);
}
