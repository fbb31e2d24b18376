/**
 * The media clock: one timer drives every session with the same ptime, like a media server's
 * tick thread. Deadlines are absolute — tick n is due at start + n·period on the monotonic clock —
 * so a late wake-up never shifts later ticks (no cumulative drift). When the event loop was
 * blocked for more than a period, the missed ticks run one per loop iteration (with socket reads
 * in between) until the clock is on time again, each with its own index.
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

export interface MediaClockOptions {
  /** Tick period in ms (the ptime). Default 20. */
  periodMs?: number;
  /** Monotonic time source in ms (default performance.now); injectable for tests. */
  now?: () => number;
}

export class MediaClock {
  readonly periodMs: number;
  readonly #now: () => number;
  #listeners: TickListener[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #start = 0;
  #next = 0;
  #ticking = false;

  constructor(options: MediaClockOptions = {}) {
    this.periodMs = options.periodMs ?? 20;
    this.#now = options.now ?? (() => performance.now());
  }

  get running(): boolean {
    return this.#timer !== undefined || this.#immediate !== undefined || this.#ticking;
  }

  get subscribers(): number {
    return this.#listeners.length;
  }

  /** Call `listener` once per tick until the returned function is called. */
  subscribe(listener: TickListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    if (!this.running) {
      this.#start = this.#now();
      this.#next = 0;
      this.#arm();
    }
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
      if (this.#listeners.length === 0) {
        if (this.#timer) clearTimeout(this.#timer);
        if (this.#immediate) clearImmediate(this.#immediate);
        this.#timer = undefined;
        this.#immediate = undefined;
      }
    };
  }

  #arm(): void {
    const deadline = this.#start + this.#next * this.periodMs;
    const wait = Math.max(0, Math.floor(deadline - this.#now()));
    this.#timer = setTimeout(this.#fire, wait);
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#immediate = undefined;
    if (this.#listeners.length === 0) return;
    const deadline = this.#start + this.#next * this.periodMs;
    const now = this.#now();
    if (deadline > now + 1) {
      this.#arm();
      return;
    }
    this.#ticking = true;
    const tick: ClockTick = { index: this.#next, deadline, lateMs: now - deadline };
    this.#next++;
    for (const l of this.#listeners) {
      try { l(tick); } catch { /* a session's fault must not stop the others' clock */ }
    }
    this.#ticking = false;
    if (this.#listeners.length === 0) return;
    // Behind after a stall: run the next due tick after the I/O phase (setImmediate), so packets
    // that arrived meanwhile are read between catch-up ticks instead of after all of them.
    if (this.#start + this.#next * this.periodMs <= this.#now() + 1) this.#immediate = setImmediate(this.#fire);
    else this.#arm();
  };
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
