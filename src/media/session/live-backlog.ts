/**
 * The live-backlog rule of a play queue fed with live audio, one frame per tick (a bridge's other
 * leg, an echo). The session takes exactly one frame per tick of the media clock, so audio that
 * piles up while a thread stalls would never drain: each stall would add its length to the delay
 * for the rest of the call. So a frame is dropped when the queue it would go into already holds
 * more than `maxBacklogMs`, and a standing backlog of a frame or more above `targetMs` loses one
 * frame once it has lasted `drainAfterMs`, the way a jitter buffer shrinks (a 20 ms splice).
 * Every drop is counted.
 */

export interface LiveBacklogOptions {
  /** The depth the queue is meant to keep (an echo's delay), ms. Default 0. */
  targetMs?: number;
  /** Most audio the queue may hold when a frame arrives, ms; above it the frame is dropped. Default targetMs + 20 (one frame of slack). */
  maxBacklogMs?: number;
  /** A backlog of a frame or more above targetMs that lasts this long loses one frame, ms. Default 1000. */
  drainAfterMs?: number;
}

export class LiveBacklog {
  readonly targetMs: number;
  readonly maxBacklogMs: number;
  readonly drainAfterMs: number;
  #dropped = 0;
  /** Audio admitted since the backlog last reached a frame above target (0: none standing). */
  #standingMs = 0;

  constructor(options: LiveBacklogOptions = {}) {
    this.targetMs = options.targetMs ?? 0;
    this.maxBacklogMs = options.maxBacklogMs ?? this.targetMs + 20;
    this.drainAfterMs = options.drainAfterMs ?? 1000;
  }

  /** Frames dropped so far. */
  get dropped(): number { return this.#dropped; }

  /** A frame of `frameMs` is about to be queued behind `queuedMs`: true = queue it, false = drop it (counted). */
  admit(frameMs: number, queuedMs: number): boolean {
    if (queuedMs > this.maxBacklogMs) return this.#drop();
    if (queuedMs - this.targetMs >= frameMs) {
      this.#standingMs += frameMs;
      if (this.#standingMs >= this.drainAfterMs) return this.#drop();
    } else {
      this.#standingMs = 0;
    }
    return true;
  }

  #drop(): false {
    this.#dropped++;
    this.#standingMs = 0;
    return false;
  }
}
