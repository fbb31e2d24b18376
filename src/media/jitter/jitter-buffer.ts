/**
 * Adaptive playout buffer for one RTP stream. The playout clock calls `pop(now)` once per frame
 * time; packets are pushed as they arrive. Packets are ordered by their extended sequence number
 * (RFC 3550 §5.1), duplicates and packets that missed their playout time are dropped, and a
 * change of SSRC or a jump of timestamp/sequence restarts the stream once a second sequential
 * packet confirms it. The depth adapts to the
 * observed delay variation between `minDepthMs` and `maxDepthMs`: it grows at once and shrinks by
 * skipping at most one frame per `shrinkIntervalMs`.
 *
 * The depth counts frames, so what a playout tick leaves as margin for the next packet is the
 * time between that packet's arrival and its tick, which depends on the phase of the sender's
 * clock against ours: anywhere from a frame to almost nothing. Near nothing, a packet that comes a
 * fraction of a millisecond late (timer grain) misses its tick, playout underruns and restarts a
 * frame later: a 20 ms slip of the stream's delay mid-call. So a packet younger than `guardMs`
 * does not count towards the depth when playout starts or shrinks: the margin is at least
 * `guardMs` for the whole stream whatever the phase.
 *
 * Events are emitted after the state change that caused them is complete.
 *
 * Per packet the work is O(1) and allocates nothing of its own: packets live in a ring of slots
 * indexed by extended sequence number (PacketRing), the very objects pushed (not copies — do not
 * change a packet after pushing it), and `pop` hands the same object back; the missing/empty
 * results are shared frozen objects.
 */
import { EventEmitter } from 'node:events';
import { rootLogger } from '../../log.js';
import { DelayEstimator } from './delay-estimator.js';
import { PacketRing } from './packet-ring.js';
import { RecentSequences } from './recent-sequences.js';
import type { JitterBufferEvents, JitterBufferOptions, JitterBufferStats, JitterPacket, PopResult, ResetReason } from './types.js';
import { Unwrapper } from './unwrapper.js';

type PendingEvent =
  | { name: 'reset'; args: [ResetReason] }
  | { name: 'depth'; args: [number] }
  | { name: 'underrun'; args: [] };

/**
 * Sequence numbers remembered to tell duplicates from late packets: every accepted one within this
 * distance of the highest (raised above `maxMisorder` when that is configured larger, since no
 * packet further behind reaches the duplicate check).
 */
const RECENT = 128;

const EMPTY: PopResult = Object.freeze({ kind: 'empty' });
const MISSING_LOST: PopResult = Object.freeze({ kind: 'missing', reason: 'lost' });
const MISSING_WAIT: PopResult = Object.freeze({ kind: 'missing', reason: 'wait' });
const MISSING_UNDERRUN: PopResult = Object.freeze({ kind: 'missing', reason: 'underrun' });

export class JitterBuffer extends EventEmitter<JitterBufferEvents> {
  readonly #clockRate: number;
  readonly #minDepth: number;
  readonly #maxDepth: number;
  readonly #maxTsJumpTicks: number;
  readonly #maxDropout: number;
  readonly #maxMisorder: number;
  readonly #shrinkInterval: number;
  readonly #capacity: number;
  readonly #guard: number;
  readonly #estimator: DelayEstimator;

  readonly #seq = new Unwrapper(16);
  readonly #ts = new Unwrapper(32);
  /**
   * Buffered packets by extended sequence number (the pushed objects themselves). Its span is
   * limited to its slots (≥ 2 × capacity and > maxMisorder): a packet that many numbers ahead of
   * the oldest buffered one pushes the oldest out, as when over capacity.
   */
  readonly #packets: PacketRing<JitterPacket>;
  readonly #recent: RecentSequences;
  #ssrc: number | undefined;
  #candidate: { packet: JitterPacket; reason: ResetReason } | undefined;
  #frameTicks: number;
  /** Highest accepted extended sequence number and its extended timestamp (NaN: none yet). */
  #highestSeq = NaN;
  #highestTs = NaN;
  /** When the highest accepted packet arrived. */
  #highestArrival = NaN;
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
    this.#recent = new RecentSequences(Math.max(RECENT, this.#maxMisorder + 1));
    this.#shrinkInterval = options.shrinkIntervalMs ?? 1000;
    this.#capacity = options.capacity ?? 100;
    this.#guard = options.guardMs ?? 0;
    this.#packets = new PacketRing(Math.max(2 * this.#capacity, this.#maxMisorder + 1));
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
    if (Number.isNaN(this.#highestSeq)) return undefined;
    const seqDelta = this.#seq.peek(packet.seq) - this.#highestSeq;
    if (seqDelta > this.#maxDropout || seqDelta < -this.#maxMisorder) return 'sequence-jump';
    const tsJump = this.#ts.peek(packet.timestamp) - (this.#highestTs + seqDelta * this.#frameTicks);
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

    const prevSeq = this.#highestSeq;
    const prevTs = this.#highestTs;
    if (seq < prevSeq) {
      this.#stats.reordered++;
    } else {
      if (seq - prevSeq <= 3 && extTs > prevTs) {
        // Learn the packet duration from consecutive packets (up to 120 ms, RFC 6716 §2.1.4 max).
        const ticks = (extTs - prevTs) / (seq - prevSeq);
        if (Number.isInteger(ticks) && ticks <= (120 * this.#clockRate) / 1000) this.#frameTicks = ticks;
      }
      this.#highestSeq = seq;
      this.#highestTs = extTs;
      this.#highestArrival = packet.arrivalMs;
    }
    while (!this.#packets.fits(seq)) this.#discardOldest();
    this.#packets.set(seq, packet);
    while (this.#packets.size > this.#capacity) this.#discardOldest();
  }

  #discardOldest(): void {
    const oldest = this.#packets.lowest()!;
    this.#packets.take(oldest);
    this.#stats.discarded++;
    if (this.#nextSeq !== undefined && this.#nextSeq <= oldest) this.#nextSeq = oldest + 1;
  }

  #next(nowMs: number): PopResult {
    if (!this.#playing) {
      if (this.#packets.size === 0 || this.#readyFrames(nowMs) * this.frameMs < this.#target) {
        return this.#hasPlayed ? MISSING_UNDERRUN : EMPTY;
      }
      const first = this.#packets.lowest()!;
      if (this.#nextSeq !== undefined && first > this.#nextSeq) this.#stats.lost += first - this.#nextSeq;
      this.#nextSeq = first;
      this.#playing = true;
      this.#hasPlayed = true;
    }

    let next = this.#nextSeq!;
    // Shrink slowly: skip one frame when more than a frame above target.
    if (this.#readyFrames(nowMs) * this.frameMs > this.#target + this.frameMs && nowMs - this.#lastShrinkMs >= this.#shrinkInterval) {
      this.#lastShrinkMs = nowMs;
      if (this.#packets.take(next)) this.#stats.discarded++;
      else this.#stats.lost++;
      next++;
    }

    const packet = this.#packets.take(next);
    if (packet) {
      this.#nextSeq = next + 1;
      return { kind: 'packet', packet };
    }
    if (this.#packets.size > 0) {
      if (this.#bufferedFrames() * this.frameMs < this.#target) {
        // Below the target depth: wait for the packet one more frame. This is how the playout
        // delay grows after the target was raised.
        this.#nextSeq = next;
        this.#stats.stretched++;
        return MISSING_WAIT;
      }
      this.#stats.lost++;
      this.#nextSeq = next + 1;
      return MISSING_LOST;
    }
    this.#nextSeq = next;
    this.#playing = false;
    this.#stats.underruns++;
    this.#pending.push({ name: 'underrun', args: [] });
    return MISSING_UNDERRUN;
  }

  /** Frames from the next one to play up to the highest buffered. */
  #bufferedFrames(): number {
    if (this.#packets.size === 0 || Number.isNaN(this.#highestSeq)) return 0;
    const from = this.#playing && this.#nextSeq !== undefined ? this.#nextSeq : this.#packets.lowest()!;
    return Math.max(0, this.#highestSeq - from + 1);
  }

  /** Buffered frames, the newest not counted while it is younger than the guard. */
  #readyFrames(nowMs: number): number {
    const frames = this.#bufferedFrames();
    return frames > 0 && nowMs - this.#highestArrival < this.#guard ? frames - 1 : frames;
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
    this.#highestSeq = NaN;
    this.#highestTs = NaN;
    this.#highestArrival = NaN;
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
