/**
 * Dead calls (issue 15 item 5): an answered call whose far end stopped sending RTP — a caller
 * gone without a BYE, or a human bridged in (no agent any more) whose leg went silent — is
 * ended by the gateway: BYE with a Reason header to the legs still there, and `call_end` with
 * `endCause` `rtp_timeout`, `hold_timeout` (the caller held the call, a=sendonly/inactive) or
 * `human_rtp_timeout`.
 *
 * One sweep for all calls; each reads the packet counters its media session already keeps
 * (a session on a media worker pushes them every tick), so watching costs no per-packet work.
 */
import type { Call } from './call.js';

export type RtpTimeoutCause = 'rtp_timeout' | 'hold_timeout' | 'human_rtp_timeout';

export interface RtpWatchdogOptions {
  /** No RTP for this long ends the call (ms; 0 = never). */
  rtpTimeoutMs: number;
  /** The same while the caller holds (ms; 0 = never). */
  holdTimeoutMs: number;
  /** How often calls are checked (default a quarter of the shortest timeout, at most 1 s). */
  sweepMs?: number;
  now?: () => number;
}

interface Watched {
  callerPackets: number;
  callerAt: number;
  humanPackets: number;
  humanAt: number;
  human: Call['human'];
  held: boolean;
}

export class RtpWatchdog {
  readonly #o: Required<RtpWatchdogOptions>;
  readonly #calls = new Map<Call, Watched>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RtpWatchdogOptions) {
    const shortest = Math.min(...[options.rtpTimeoutMs, options.holdTimeoutMs].filter((t) => t > 0), 4000);
    this.#o = { sweepMs: Math.max(50, Math.min(1000, shortest / 4)), now: Date.now, ...options };
  }

  get watching(): number {
    return this.#calls.size;
  }

  /** Watches `call` from now (its answer) until it ends. */
  watch(call: Call): void {
    if (this.#o.rtpTimeoutMs === 0 && this.#o.holdTimeoutMs === 0) return;
    if (call.ended || this.#calls.has(call)) return;
    const now = this.#o.now();
    this.#calls.set(call, { callerPackets: call.session.stats().packetsIn, callerAt: now, humanPackets: 0, humanAt: now, human: undefined, held: call.caller.media.remoteHold });
    call.onState((s) => { if (s === 'ending' || s === 'ended') this.#calls.delete(call); });
    this.#timer ??= setInterval(() => this.#sweep(), this.#o.sweepMs).unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#calls.clear();
  }

  #sweep(): void {
    const now = this.#o.now();
    for (const [call, w] of this.#calls) {
      const cause = this.#check(call, w, now);
      if (!cause) continue;
      this.#calls.delete(call);
      const held = cause === 'hold_timeout';
      const silentMs = now - (cause === 'human_rtp_timeout' ? w.humanAt : w.callerAt);
      const who = cause === 'human_rtp_timeout' ? 'the bridged human leg' : held ? 'the caller (on hold)' : 'the caller';
      call.endFields.endCause = cause;
      call.log.warn({ event: 'rtp_timeout', cause, silentMs }, `no RTP from ${who} for ${Math.round(silentMs / 1000)} s: ending the call`);
      void call.end('gateway', `no RTP from ${who} for ${Math.round(silentMs / 1000)} s`);
    }
    if (this.#calls.size === 0) this.close();
  }

  #check(call: Call, w: Watched, now: number): RtpTimeoutCause | undefined {
    if (call.ended) return undefined;
    // transfer.media: direct — media no longer passes through us: nothing to watch.
    if (call.mediaOffloaded) return undefined;
    const caller = call.session.stats().packetsIn;
    if (caller !== w.callerPackets) { w.callerPackets = caller; w.callerAt = now; }
    const held = call.caller.media.remoteHold;
    // Hold and resume (re-INVITE) restart the clock: the other timeout applies from here.
    if (held !== w.held) { w.held = held; w.callerAt = now; }
    const limit = held ? this.#o.holdTimeoutMs : this.#o.rtpTimeoutMs;
    if (limit > 0 && now - w.callerAt >= limit) return held ? 'hold_timeout' : 'rtp_timeout';
    // A human leg with no agent left: the gateway only relays, and a silent human is a dead leg.
    const human = call.human;
    if (human && call.agent === undefined && this.#o.rtpTimeoutMs > 0) {
      const packets = human.session.stats().packetsIn;
      if (human !== w.human) { w.human = human; w.humanPackets = packets; w.humanAt = now; }
      if (packets !== w.humanPackets) { w.humanPackets = packets; w.humanAt = now; }
      if (now - w.humanAt >= this.#o.rtpTimeoutMs) return 'human_rtp_timeout';
    }
    return undefined;
  }
}
