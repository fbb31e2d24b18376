/**
 * RFC 3261 §17 timer values, derived per stack instance from T1/T2/T4 (Table 4 of §A).
 * The clock is injectable so fake-timer tests are exact and stacks in one process never share state.
 */

export interface TimerHandle {
  /** Opaque; only passed back to Clock.clearTimeout. */
  readonly id: unknown;
}

/** The time source of one stack. `now()` is milliseconds (monotonic is fine). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /**
   * Optional: run `fn` after the I/O already waiting has been processed (setImmediate). A
   * retransmission timer that fires after the event loop stalled is deferred through this, so a
   * response already sitting in the socket buffer is seen first and no spurious retransmission
   * goes out. Clocks without it (fake clocks) run `fn` at once.
   */
  defer?(fn: () => void): void;
}

/** Real time through the global timers (so vi.useFakeTimers() also controls it). Tracks live timers. */
export class SystemClock implements Clock {
  readonly #live = new Set<TimerHandle>();
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle: { id: unknown } = { id: undefined };
    handle.id = setTimeout(() => {
      this.#live.delete(handle);
      fn();
    }, ms);
    this.#live.add(handle);
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.#live.delete(handle);
    clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  }
  defer(fn: () => void): void {
    setImmediate(fn);
  }

  /** Timers scheduled and neither fired nor cleared (a leak check for tests). */
  get activeTimers(): number {
    return this.#live.size;
  }
  /** Cancels every live timer (stack close). */
  clearAll(): void {
    for (const h of this.#live) clearTimeout(h.id as ReturnType<typeof setTimeout>);
    this.#live.clear();
  }
}

export interface TimerConfig {
  /** RTT estimate, default 500 ms. */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  t2: number;
  /** Maximum duration a message remains in the network, default 5 s. */
  t4: number;
  /**
   * Delay before the INVITE server transaction sends 100 Trying on its own (§17.2.1 allows the TU
   * 200 ms). Default 0: trunkgate sends 100 Trying immediately, so carriers stop retransmitting
   * at once even when the application is slow.
   */
  trying100: number;
}

export const defaultTimerConfig: TimerConfig = { t1: 500, t2: 4000, t4: 5000, trying100: 0 };

/** Timer durations of §17 for one configuration; `reliable` selects the zero waits (D, I, J, K). */
export class Timers {
  constructor(readonly config: TimerConfig) {}
  get t1(): number { return this.config.t1; }
  get t2(): number { return this.config.t2; }
  get t4(): number { return this.config.t4; }
  /** Timer A initial (INVITE request retransmit, unreliable only). */
  get A(): number { return this.config.t1; }
  /** Timer B: INVITE transaction timeout. */
  get B(): number { return 64 * this.config.t1; }
  /** Timer D: wait time for response retransmits; ≥ 32 s on UDP, 0 on reliable. */
  D(reliable: boolean): number { return reliable ? 0 : Math.max(32_000, 64 * this.config.t1); }
  /** Timer E initial (non-INVITE retransmit, unreliable only). */
  get E(): number { return this.config.t1; }
  /** Timer F: non-INVITE transaction timeout. */
  get F(): number { return 64 * this.config.t1; }
  /** Timer G initial (INVITE response retransmit). */
  get G(): number { return this.config.t1; }
  /** Timer H: wait time for ACK receipt. */
  get H(): number { return 64 * this.config.t1; }
  /** Timer I: wait time for ACK retransmits. */
  I(reliable: boolean): number { return reliable ? 0 : this.config.t4; }
  /** Timer J: wait time for non-INVITE request retransmits. */
  J(reliable: boolean): number { return reliable ? 0 : 64 * this.config.t1; }
  /** Timer K: wait time for response retransmits. */
  K(reliable: boolean): number { return reliable ? 0 : this.config.t4; }
  /** RFC 6026 Timer L: INVITE server transaction lingers in Accepted. */
  get L(): number { return 64 * this.config.t1; }
  /** RFC 6026 Timer M: INVITE client transaction lingers in Accepted. */
  get M(): number { return 64 * this.config.t1; }
}

/** The running timers of one transaction, by their §17 name (A, B, …): arming a name replaces its timer. */
export class NamedTimers {
  readonly #clock: Clock;
  readonly #live = new Map<string, TimerHandle>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Starts (or restarts) timer `name`; `fire` runs once when it expires. */
  arm(name: string, ms: number, fire: () => void): void {
    this.cancel(name);
    this.#live.set(name, this.#clock.setTimeout(() => {
      this.#live.delete(name);
      fire();
    }, ms));
  }

  cancel(name: string): void {
    const h = this.#live.get(name);
    if (h) {
      this.#clock.clearTimeout(h);
      this.#live.delete(name);
    }
  }

  cancelAll(): void {
    for (const h of this.#live.values()) this.#clock.clearTimeout(h);
    this.#live.clear();
  }

  /** Names of the timers running now. */
  get names(): string[] {
    return [...this.#live.keys()];
  }
}
