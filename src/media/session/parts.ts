/**
 * The seams between MediaSession and the media building blocks written alongside it
 * (src/media/jitter, src/media/dsp/resampler, src/media/dtmf). The session codes against these
 * small interfaces; the factories below adapt the real modules.
 */
import type { RtpHeader } from 'werift-rtp';
import type { DtmfEvent } from './types.js';

export type JitterOutput = { kind: 'frame'; payload: Buffer } | { kind: 'missing' } | { kind: 'empty' };

export interface JitterPart {
  push(header: RtpHeader, payload: Buffer, arrivalMs: number): void;
  /** One frame per playout tick. */
  pop(): JitterOutput;
}

export interface ResamplerPart {
  process(pcm: Int16Array): Int16Array;
  reset?(): void;
}

export interface DtmfReceiverPart {
  /** Feed an RFC 4733 packet; returns the event once it ended (first end packet only). */
  push(header: RtpHeader, payload: Buffer, arrivalMs: number): DtmfEvent | undefined;
}

export interface DtmfSenderPart {
  queue(digits: string, options: { durationMs?: number; gapMs?: number }): Promise<void>;
  /** Packets for this frame period, if an event is being sent (timestamp = the event's start). */
  next(currentTimestamp: number): { timestamp: number; packets: { payload: Buffer; marker: boolean }[] } | undefined;
  cancel(): void;
}

export interface JitterConfig { clockRate: number; ptimeMs: number; frameTicks: number; targetMs: number }

/**
 * TEMPORARY until src/media/jitter lands: an arrival-order FIFO with a fixed pre-roll, no
 * reordering and no adaptive depth. Replace with the real jitter buffer.
 */
class ArrivalOrderFifo implements JitterPart {
  readonly #preroll: number;
  #frames: Buffer[] = [];
  #started = false;
  constructor(cfg: JitterConfig) {
    this.#preroll = Math.max(1, Math.round(cfg.targetMs / cfg.ptimeMs));
  }
  push(_h: RtpHeader, payload: Buffer): void {
    this.#frames.push(payload);
    if (this.#frames.length > this.#preroll * 4) this.#frames.shift();
  }
  pop(): JitterOutput {
    if (!this.#started) {
      if (this.#frames.length < this.#preroll) return { kind: 'empty' };
      this.#started = true;
    }
    const f = this.#frames.shift();
    return f ? { kind: 'frame', payload: f } : { kind: 'missing' };
  }
}

export function createJitter(cfg: JitterConfig): JitterPart {
  return new ArrivalOrderFifo(cfg);
}

export function createResampler(from: number, to: number): ResamplerPart {
  throw new Error(`resampler ${from}→${to} not available yet (src/media/dsp/resampler.ts)`);
}

export function createDtmfReceiver(_cfg: { clockRate: number }): DtmfReceiverPart | undefined {
  return undefined;
}

export function createDtmfSender(_cfg: { clockRate: number; payloadType: number; ptimeMs: number }): DtmfSenderPart | undefined {
  return undefined;
}
