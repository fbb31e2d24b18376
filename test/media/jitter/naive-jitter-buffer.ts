/**
 * The jitter buffer as it was before the ring of slots (src/media/jitter/jitter-buffer.ts at
 * 5b63748), kept as the slow, obviously-right reference for the differential property test: a
 * Map of packets with `Math.min(...keys())`, and a Set of every sequence number accepted since the
 * last restart for duplicates. One rule is added to match the ring's documented limit: a packet
 * that many numbers (`slots`) ahead of the oldest buffered one pushes the oldest out first, as
 * when over capacity.
 */
import { EventEmitter } from 'node:events';
import { rootLogger } from '../../../src/log.js';
import { DelayEstimator } from '../../../src/media/jitter/delay-estimator.js';
import type { JitterBufferEvents, JitterBufferOptions, JitterBufferStats, JitterPacket, PopResult, ResetReason } from '../../../src/media/jitter/types.js';
import { Unwrapper } from '../../../src/media/jitter/unwrapper.js';

type PendingEvent =
  | { name: 'reset'; args: [ResetReason] }
  | { name: 'depth'; args: [number] }
  | { name: 'underrun'; args: [] };

export class NaiveJitterBuffer extends EventEmitter<JitterBufferEvents> {
  readonly #clockRate: number;
  readonly #minDepth: number;
  readonly #maxDepth: number;
  readonly #maxTsJumpTicks: number;
  readonly #maxDropout: number;
  readonly #maxMisorder: number;
  readonly #shrinkInterval: number;
  readonly #capacity: number;
  readonly #estimator: DelayEstimator;

  readonly #seq = new Unwrapper(16);
  readonly #ts = new Unwrapper(32);
  readonly #packets = new Map<number, JitterPacket & { extTs: number }>();
  readonly #recent = new Set<number>();
  readonly #slots: number;
  #ssrc: number | undefined;
  #candidate: { packet: JitterPacket; reason: ResetReason } | undefined;
  #frameTicks: number;
  #highest: { seq: number; ts: number } | undefined;
  #nextSeq: number | undefined;
  #playing = false;
  #hasPlayed = false;
  #lastShrinkMs = -Infinity;
  #target: number;
  #pending: PendingEvent[] = [];
  readonly #stats = { received: 0, lost: 0, late: 0, duplicates: 0, reordered: 0, underruns: 0, stretched: 0, discarded: 0, resets: 0 };

  constructor(options: JitterBufferOptions) {
    super();
    this.#clockRate = options.clockRate;
    this.#frameTicks = ((options.frameMs ?? 20) * options.clockRate) / 1000;
    this.#minDepth = options.minDepthMs ?? 20;
    this.#maxDepth = Math.max(this.#minDepth, options.maxDepthMs ?? 60);
    this.#maxTsJumpTicks = ((options.maxTimestampJumpMs ?? 1000) * options.clockRate) / 1000;
    this.#maxDropout = options.maxDropout ?? 3000;
    this.#maxMisorder = options.maxMisorder ?? 100;
    this.#shrinkInterval = options.shrinkIntervalMs ?? 1000;
    this.#capacity = options.capacity ?? 100;
    this.#slots = 2 ** Math.ceil(Math.log2(Math.max(2 * this.#capacity, this.#maxMisorder + 1)));
    this.#estimator = new DelayEstimator({ decayMsPerSecond: options.decayMsPerSecond ?? 2 });
    this.#target = this.#minDepth;
  }

  get frameMs(): number {
    return (this.#frameTicks * 1000) / this.#clockRate;
  }

  get targetDepthMs(): number {
    return this.#target;
  }

  push(packet: JitterPacket): void {
    this.#accept(packet);
    this.#flushEvents();
  }

  pop(nowMs: number): PopResult {
    const result = this.#next(nowMs);
    this.#flushEvents();
    return result;
  }

  stats(): JitterBufferStats {
    return {
      ...this.#stats,
      bufferedMs: this.#bufferedFrames() * this.frameMs,
      targetDepthMs: this.#target,
      jitterMs: this.#estimator.jitterMs,
    };
  }

  /** Drop everything buffered and start over (e.g. the peer changed after a re-INVITE). */
  reset(): void {
    this.#restart();
    this.#ssrc = undefined;
  }

  #accept(packet: JitterPacket): void {
    // RFC 3550 A.1: a new SSRC or a sequence/timestamp jump is taken as a restarted source only
    // once a second, sequential packet confirms it (probation); a lone stray packet is discarded.
    const jump = this.#jumpOf(packet);
    const candidate = this.#candidate;
    if (jump) {
      if (candidate && candidate.packet.ssrc === packet.ssrc && ((candidate.packet.seq + 1) & 0xffff) === packet.seq) {
        this.#candidate = undefined;
        this.#restartFor(candidate.reason);
        this.#ssrc = packet.ssrc;
        this.#store(candidate.packet);
        this.#store(packet);
        return;
      }
      if (candidate) this.#stats.discarded++;
      this.#candidate = { packet, reason: jump };
      return;
    }
    if (candidate) {
      this.#stats.discarded++;
      this.#candidate = undefined;
    }
    this.#ssrc = packet.ssrc;
    this.#store(packet);
  }

  /** Whether this packet breaks the stream: another SSRC, a sequence jump or a timestamp jump. */
  #jumpOf(packet: JitterPacket): ResetReason | undefined {
    if (this.#ssrc !== undefined && packet.ssrc !== this.#ssrc) return 'ssrc';
    const highest = this.#highest;
    if (!highest) return undefined;
    const seqDelta = this.#seq.peek(packet.seq) - highest.seq;
    if (seqDelta > this.#maxDropout || seqDelta < -this.#maxMisorder) return 'sequence-jump';
    const tsJump = this.#ts.peek(packet.timestamp) - (highest.ts + seqDelta * this.#frameTicks);
    // A forward jump on a packet with the marker bit is a new talkspurt (RFC 3551 §4.1), not a restart.
    if (Math.abs(tsJump) > this.#maxTsJumpTicks && !(packet.marker && tsJump > 0)) return 'timestamp-jump';
    return undefined;
  }

  #store(packet: JitterPacket): void {
    const seq = this.#seq.unwrap(packet.seq);
    const extTs = this.#ts.unwrap(packet.timestamp);
    this.#estimator.update(packet.arrivalMs, (extTs * 1000) / this.#clockRate);
    this.#adaptTarget();

    if (this.#recent.has(seq)) {
      this.#stats.duplicates++;
      return;
    }
    if (this.#nextSeq !== undefined && seq < this.#nextSeq) {
      this.#stats.late++;
      return;
    }
    this.#remember(seq);
    this.#stats.received++;

    const prev = this.#highest;
    if (prev && seq < prev.seq) {
      this.#stats.reordered++;
    } else {
      if (prev && seq - prev.seq <= 3 && extTs > prev.ts) {
        // Learn the packet duration from consecutive packets (up to 120 ms, RFC 6716 §2.1.4 max).
        const ticks = (extTs - prev.ts) / (seq - prev.seq);
        if (Number.isInteger(ticks) && ticks <= (120 * this.#clockRate) / 1000) this.#frameTicks = ticks;
      }
      this.#highest = { seq, ts: extTs };
    }
    while (this.#packets.size > 0 && Math.max(seq, ...this.#packets.keys()) - Math.min(seq, ...this.#packets.keys()) >= this.#slots) {
      const oldest = Math.min(...this.#packets.keys());
      this.#packets.delete(oldest);
      this.#stats.discarded++;
      if (this.#nextSeq !== undefined && this.#nextSeq <= oldest) this.#nextSeq = oldest + 1;
    }
    this.#packets.set(seq, { ...packet, extTs });

    while (this.#packets.size > this.#capacity) {
      const oldest = Math.min(...this.#packets.keys());
      this.#packets.delete(oldest);
      this.#stats.discarded++;
      if (this.#nextSeq !== undefined && this.#nextSeq <= oldest) this.#nextSeq = oldest + 1;
    }
  }

  #next(nowMs: number): PopResult {
    if (!this.#playing) {
      if (this.#packets.size === 0 || this.#bufferedFrames() * this.frameMs < this.#target) {
        return this.#hasPlayed ? { kind: 'missing', reason: 'underrun' } : { kind: 'empty' };
      }
      const first = Math.min(...this.#packets.keys());
      if (this.#nextSeq !== undefined && first > this.#nextSeq) this.#stats.lost += first - this.#nextSeq;
      this.#nextSeq = first;
      this.#playing = true;
      this.#hasPlayed = true;
    }

    let next = this.#nextSeq!;
    // Shrink slowly: skip one frame when more than a frame above target.
    if (this.#bufferedFrames() * this.frameMs > this.#target + this.frameMs && nowMs - this.#lastShrinkMs >= this.#shrinkInterval) {
      this.#lastShrinkMs = nowMs;
      if (this.#packets.delete(next)) this.#stats.discarded++;
      else this.#stats.lost++;
      next++;
    }

    const packet = this.#packets.get(next);
    if (packet) {
      this.#packets.delete(next);
      this.#nextSeq = next + 1;
      const { extTs: _extTs, ...out } = packet;
      return { kind: 'packet', packet: out };
    }
    if (this.#packets.size > 0) {
      if (this.#bufferedFrames() * this.frameMs < this.#target) {
        // Below the target depth: wait for the packet one more frame. This is how the playout
        // delay grows after the target was raised.
        this.#nextSeq = next;
        this.#stats.stretched++;
        return { kind: 'missing', reason: 'wait' };
      }
      this.#stats.lost++;
      this.#nextSeq = next + 1;
      return { kind: 'missing', reason: 'lost' };
    }
    this.#nextSeq = next;
    this.#playing = false;
    this.#stats.underruns++;
    this.#pending.push({ name: 'underrun', args: [] });
    return { kind: 'missing', reason: 'underrun' };
  }

  /** Frames from the next one to play up to the highest buffered. */
  #bufferedFrames(): number {
    if (this.#packets.size === 0 || !this.#highest) return 0;
    const from = this.#playing && this.#nextSeq !== undefined ? this.#nextSeq : Math.min(...this.#packets.keys());
    return Math.max(0, this.#highest.seq - from + 1);
  }

  #adaptTarget(): void {
    const frame = this.frameMs;
    const wanted = Math.ceil(this.#estimator.peakMs / frame - 1e-9) * frame;
    const target = Math.min(this.#maxDepth, Math.max(this.#minDepth, wanted));
    if (target !== this.#target) {
      this.#target = target;
      this.#pending.push({ name: 'depth', args: [target] });
    }
  }

  #remember(seq: number): void {
    this.#recent.add(seq);
  }

  #restartFor(reason: ResetReason): void {
    this.#restart();
    this.#stats.resets++;
    this.#pending.push({ name: 'reset', args: [reason] });
  }

  #restart(): void {
    this.#candidate = undefined;
    this.#packets.clear();
    this.#recent.clear();
    this.#seq.reset();
    this.#ts.reset();
    this.#estimator.reset();
    this.#highest = undefined;
    this.#nextSeq = undefined;
    this.#playing = false;
    this.#hasPlayed = false;
  }

  #flushEvents(): void {
    const events = this.#pending;
    if (events.length === 0) return;
    this.#pending = [];
    const emit = this.emit as (name: string, ...args: unknown[]) => boolean;
    for (const ev of events) {
      try {
        emit.call(this, ev.name, ...ev.args);
      } catch (err) {
        // A faulty listener must not break the media path.
        rootLogger.error({ err, event: ev.name }, 'jitter buffer listener threw');
      }
    }
  }
}
