/**
 * The media clock: one timer drives every session with the same ptime, like a media server's
 * tick thread. Deadlines are absolute — tick n is due at start + n·period on the monotonic clock —
 * so a late wake-up never shifts later ticks (no cumulative drift). When the event loop was
 * blocked for more than a period, the missed ticks run — each with its own index — until the
 * clock is on time again: back to back after a synchronous socket read when a `socketReader` can
 * do one, else one per loop iteration (with socket reads in between).
 *
 * Every tick reads the sockets first. Node runs due timers before the poll phase of the same loop
 * turn, so a tick fired straight from its timer does not see a packet that arrived while the loop
 * was busy (or a moment before the deadline): its jitter buffer would run dry for that tick and
 * play that packet — and every later one — a frame later, a 20 ms slip of the stream's delay. With
 * a reader the tick reads synchronously first; without one it runs after the poll phase
 * (setImmediate), when the sockets have been read.
 *
 * A tick runs its listeners in phases: every `playout` listener, then every `send` listener, then
 * every `flush` listener. A session plays out (receives) in the first and sends in the second, so
 * audio one session hands another within a tick (a bridge relayed in a media worker) goes out in
 * that same tick whichever session subscribed first; a media worker reports in the third.
 */
import { performance } from 'node:perf_hooks';

export interface ClockTick {
  /** Tick number since the clock started (0, 1, 2 …). */
  index: number;
  /** When this tick was due, in ms on `now()`'s scale. */
  deadline: number;
  /** How late it actually runs (ms, ≥ 0 normally; slightly < 0 within the timer's 1 ms grain). */
  lateMs: number;
}

export type TickListener = (tick: ClockTick) => void;

/** When in a tick a listener runs: all `playout` listeners, then all `send`, then all `flush`. */
export type TickPhase = 'playout' | 'send' | 'flush';
const PHASES: readonly TickPhase[] = ['playout', 'send', 'flush'];

/** What a media session needs of a clock (MediaClock; tests inject one they step by hand). */
export interface MediaTicker {
  readonly periodMs: number;
  /** Call `listener` once per tick, in `phase` (default `send`), until the returned function is called. */
  subscribe(listener: TickListener, phase?: TickPhase): () => void;
  socketReader?: (() => boolean) | undefined;
}

/** Overdue ticks run back to back at most this many at a time (60 ms of media: a jitter buffer's depth). */
const MAX_CATCH_UP_BURST = 3;

export interface MediaClockOptions {
  /** Tick period in ms (the ptime). Default 20. */
  periodMs?: number;
  /** Monotonic time source in ms (default performance.now); injectable for tests. */
  now?: () => number;
}

export class MediaClock implements MediaTicker {
  readonly periodMs: number;
  readonly #now: () => number;
  /** Listeners per phase (copied on change, so a tick iterates a stable list). */
  #phases: Record<TickPhase, TickListener[]> = { playout: [], send: [], flush: [] };
  #count = 0;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #start = 0;
  #next = 0;
  #ticking = false;
  /**
   * Reads the packets waiting on this thread's sockets synchronously and returns true, or returns
   * false when it cannot (then each tick waits for the event loop's poll phase). Set by the media
   * session.
   */
  socketReader: (() => boolean) | undefined;

  constructor(options: MediaClockOptions = {}) {
    this.periodMs = options.periodMs ?? 20;
    this.#now = options.now ?? (() => performance.now());
  }

  get running(): boolean {
    return this.#timer !== undefined || this.#immediate !== undefined || this.#ticking;
  }

  get subscribers(): number {
    return this.#count;
  }

  /** Call `listener` once per tick, in `phase`, until the returned function is called. */
  subscribe(listener: TickListener, phase: TickPhase = 'send'): () => void {
    this.#phases[phase] = [...this.#phases[phase], listener];
    this.#count++;
    if (!this.running) {
      this.#start = this.#now();
      this.#next = 0;
      this.#arm();
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#phases[phase] = this.#phases[phase].filter((l) => l !== listener);
      this.#count--;
      if (this.#count === 0) {
        if (this.#timer) clearTimeout(this.#timer);
        if (this.#immediate) clearImmediate(this.#immediate);
        this.#timer = undefined;
        this.#immediate = undefined;
      }
    };
  }

  /** When the next tick is due, on `now()`'s scale. */
  #due(): number {
    return this.#start + this.#next * this.periodMs;
  }

  #arm(): void {
    const wait = Math.max(0, Math.floor(this.#due() - this.#now()));
    this.#timer = setTimeout(this.#fire, wait);
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#immediate = undefined;
    if (this.#count === 0) return;
    if (!this.#behind()) {
      this.#arm();
      return;
    }
    if (!this.socketReader?.()) {
      // No synchronous read (Node's dgram): tick after the poll phase has read the sockets.
      this.#immediate = setImmediate(this.#tickAfterPoll);
      return;
    }
    this.#tick();
    // Behind after a stall: the overdue ticks run back to back, each after a read, so their
    // frames leave as soon as possible (a few at most, then the loop gets a turn).
    for (let burst = 1; burst < MAX_CATCH_UP_BURST && this.#count > 0 && this.#behind(); burst++) {
      if (!this.socketReader?.()) break;
      this.#tick();
    }
    this.#schedule();
  };

  /** A tick run from setImmediate, after the poll phase: each overdue one after another poll. */
  readonly #tickAfterPoll = (): void => {
    this.#immediate = undefined;
    if (this.#count === 0) return;
    this.#tick();
    if (this.#count === 0) return;
    if (this.#behind()) this.#immediate = setImmediate(this.#tickAfterPoll);
    else this.#arm();
  };

  /** After the ticks that ran: arm for the next deadline, or come back after the loop's turn when still behind. */
  #schedule(): void {
    if (this.#count === 0) return;
    if (this.#behind()) this.#immediate = setImmediate(this.#fire);
    else this.#arm();
  }

  /** The next tick is due (within the timer's 1 ms grain). */
  #behind(): boolean {
    return this.#due() <= this.#now() + 1;
  }

  #tick(): void {
    const deadline = this.#due();
    this.#ticking = true;
    const tick: ClockTick = { index: this.#next, deadline, lateMs: this.#now() - deadline };
    this.#next++;
    for (const phase of PHASES) {
      for (const l of this.#phases[phase]) {
        try { l(tick); } catch { /* a session's fault must not stop the others' clock */ }
      }
    }
    this.#ticking = false;
  }
}

const shared = new Map<number, MediaClock>();

/** The process-wide clock for a ptime: all sessions with that ptime share one timer. */
export function sharedClock(periodMs = 20): MediaClock {
  let c = shared.get(periodMs);
  if (!c) {
    c = new MediaClock({ periodMs });
    shared.set(periodMs, c);
  }
  return c;
}
