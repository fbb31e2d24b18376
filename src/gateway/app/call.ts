/**
 * One call from the trunk, and everything it owns: its state, its legs (the caller's, and a
 * human's once a transfer bridges one in), the agent, the session timer, and the close cascade
 * that tears all of them down exactly once and writes the `call_end` line.
 *
 * States (one call's whole life, as sipgo's DialogServerSession owns one dialog's):
 *
 *   setting_up ─► early ─► answered ─► transferring ─► bridged ─► ending ─► ended
 *                              ▲  │  │        │
 *                              │  │  │        └─► answered (human not reached: back to the agent)
 *                              │  │  └─► bridged (a SIP route, once its endpoint answered)
 *                              │  └─► ending
 *   any state ─► ending (hang-up, failure, refusal before the answer)
 */
import type Srf from 'drachtio-srf';
import type { Logger } from '../../log.js';
import type { MediaSession, MediaStats, NegotiatedMedia, SdpAnswer } from '../../media/index.js';
import type { Agent, CallInfo, TransferOutcome } from '../../agents/types.js';
import type { AgentIOHandle } from './agent-io.js';
import type { SessionTimer } from './session-timer.js';
import { TrunkgateError } from '../../errors.js';

/** Who ended the call. */
export type HangupSide = 'caller' | 'agent' | 'gateway' | 'human';

export type CallState = 'setting_up' | 'early' | 'answered' | 'transferring' | 'bridged' | 'ending' | 'ended';

const NEXT: Record<CallState, readonly CallState[]> = {
  setting_up: ['early', 'answered', 'ending'],
  early: ['answered', 'bridged', 'ending'],
  answered: ['transferring', 'bridged', 'ending'],
  transferring: ['answered', 'bridged', 'ending'],
  bridged: ['ending'],
  ending: ['ended'],
  ended: [],
};

/** How long call_end waits for the outcome of a transfer the end interrupted. */
const TRANSFER_SETTLE_MS = 3000;

export class CallStateError extends TrunkgateError<'CALL_STATE'> {
  constructor(readonly from: CallState, readonly to: CallState) {
    super('CALL_STATE', `call cannot go from ${from} to ${to}`);
  }
}

/** One SIP dialog with its media: the caller's leg, or a human's leg placed by the gateway. */
export interface Leg {
  dialog: Srf.Dialog | undefined;
  session: MediaSession;
  /** The negotiated media; for a leg we answered, our answer (its `sdp` is what we sent). */
  media: SdpAnswer | NegotiatedMedia;
}

export interface CallEnd {
  by: HangupSide;
  reason: string;
}

export interface CallParts {
  info: CallInfo;
  log: Logger;
  caller: Leg & { media: SdpAnswer };
  /** The agent's name, or the SIP route's URI for a bridged route. */
  target: string;
}

export class Call {
  readonly info: CallInfo;
  readonly log: Logger;
  readonly caller: Leg & { media: SdpAnswer };
  readonly target: string;
  readonly startedAt = Date.now();
  agent: Agent | undefined;
  io: AgentIOHandle | undefined;
  timer: SessionTimer | undefined;
  /** The human's leg once a transfer (or a SIP route) bridged one in. */
  human: Leg | undefined;
  answeredAt: number | undefined;
  /** Final status sent to the caller when the call was refused before the answer. */
  finalStatus: number | undefined;
  /** Every transfer attempted during the call, in order. */
  readonly transfers: TransferOutcome[] = [];
  /** Media flows caller ↔ human directly (transfer.media: direct): the sessions were closed on purpose. */
  mediaOffloaded = false;
  /** The rtpengine call the caller's leg is anchored under (media.anchor: rtpengine), else undefined. */
  anchorId: string | undefined;
  /** Extra fields for the call_end line (agents' token usage …). */
  readonly endFields: Record<string, unknown> = {};
  #state: CallState = 'setting_up';
  #ended: CallEnd | undefined;
  #endRecord: Readonly<Record<string, unknown>> | undefined;
  #done: Promise<void> | undefined;
  readonly #stateListeners = new Set<(state: CallState) => void>();
  readonly #onClosed: (call: Call) => void;
  /** A transfer in progress: call_end waits (briefly) for its outcome. */
  #transferring: Promise<unknown> | undefined;
  /** Cleanup hooks of the parts attached to the call (transfer legs, relays …), run at teardown. */
  readonly #cleanups: (() => void | Promise<void>)[] = [];

  constructor(parts: CallParts, onClosed: (call: Call) => void) {
    this.info = parts.info;
    this.log = parts.log;
    this.caller = parts.caller;
    this.target = parts.target;
    this.#onClosed = onClosed;
  }

  get state(): CallState {
    return this.#state;
  }

  get ended(): boolean {
    return this.#ended !== undefined;
  }

  get endedBy(): CallEnd | undefined {
    return this.#ended;
  }

  /** The call_end line's fields, from the moment it is written (before the `ended` state listeners run). */
  get endRecord(): Readonly<Record<string, unknown>> | undefined {
    return this.#endRecord;
  }

  /** The caller's media session (shorthand). */
  get session(): MediaSession {
    return this.caller.session;
  }

  /** Moves to `next`; throws CallStateError for a transition the diagram above does not have. */
  to(next: CallState): void {
    if (this.#state === next) return;
    if (!NEXT[this.#state].includes(next)) throw new CallStateError(this.#state, next);
    this.log.debug({ event: 'call_state', from: this.#state, to: next }, `call ${this.#state} → ${next}`);
    this.#state = next;
    for (const l of this.#stateListeners) l(next);
  }

  /** Called on every state change until the returned function is called. */
  onState(listener: (state: CallState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** Runs `fn` at teardown (after the agent stopped, before call_end); returns an unsubscribe. */
  onTeardown(fn: () => void | Promise<void>): () => void {
    this.#cleanups.push(fn);
    return () => {
      const i = this.#cleanups.indexOf(fn);
      if (i >= 0) this.#cleanups.splice(i, 1);
    };
  }

  /**
   * The agent's part of the call is over (the call ended, or a transfer bridged the caller to a
   * human): detach its IO, stop it, and keep what it reports (`summary()`) for call_end. Once only.
   */
  stopAgent(reason: string): void {
    this.io?.detach();
    const agent = this.agent;
    this.agent = undefined;
    if (!agent) return;
    try {
      agent.stop?.(reason);
    } catch (err) {
      this.log.warn({ err }, 'agent.stop threw');
    }
    try {
      Object.assign(this.endFields, agent.summary?.() ?? {});
    } catch (err) {
      this.log.warn({ err }, 'agent.summary threw');
    }
  }

  /** A transfer started: its outcome belongs in call_end even when the call ends meanwhile. */
  trackTransfer(outcome: Promise<unknown>): void {
    this.#transferring = outcome;
    void outcome.finally(() => { if (this.#transferring === outcome) this.#transferring = undefined; });
  }

  /**
   * Ends the call once: media stops at once (no RTP after our BYE or theirs), BYE to every leg
   * still up (unless that side hung up), agent stop, `call_end`. Safe to call many times; later
   * calls await the first.
   */
  end(by: HangupSide, reason: string): Promise<void> {
    if (this.#done) return this.#done;
    this.#ended = { by, reason };
    if (this.#state !== 'ending') this.#state = 'ending';
    for (const l of this.#stateListeners) l('ending');
    this.#done = this.#teardown(by, reason);
    return this.#done;
  }

  async #teardown(by: HangupSide, reason: string): Promise<void> {
    this.timer?.stop();
    this.stopAgent(this.transfers.some((t) => t.result === 'transferred') ? 'transferred' : reason);
    for (const fn of this.#cleanups.splice(0)) {
      try { await fn(); } catch (err) { this.log.warn({ err }, 'call cleanup failed'); }
    }
    const byes: Promise<void>[] = [];
    if (by !== 'caller') byes.push(this.#bye(this.caller.dialog, 'caller', reason));
    if (this.human && by !== 'human') byes.push(this.#bye(this.human.dialog, 'human', reason));
    // RFC 3261 §15: after BYE no more media. Close the sessions now, not when the BYE is answered
    // (a far end that never answers would otherwise get RTP for the BYE's 32 s transaction).
    const sessions = [this.caller.session, ...(this.human ? [this.human.session] : [])];
    await Promise.all(sessions.map((s) => s.close(reason)));
    if (this.#transferring) {
      // Canceled by the cleanups above; a REFER may still wait for a NOTIFY that the BYE overtook.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#transferring, new Promise((r) => { timer = setTimeout(r, TRANSFER_SETTLE_MS); })]);
      clearTimeout(timer);
    }
    this.#state = 'ended';
    this.#logEnd(by, reason);
    for (const l of this.#stateListeners) l('ended');
    this.#onClosed(this);
    await Promise.all(byes);
  }

  /** BYE on one leg; its outcome is logged when known (call_end does not wait for it). */
  #bye(dialog: Srf.Dialog | undefined, leg: 'caller' | 'human', reason: string): Promise<void> {
    if (!dialog || !(dialog as unknown as { connected?: boolean }).connected) return Promise.resolve();
    const started = Date.now();
    return new Promise<void>((resolve) => {
      try {
        dialog.destroy({ headers: { Reason: `SIP;cause=200;text="${reason.replace(/"/g, "'").slice(0, 120)}"` } }, (err) => {
          this.log.debug({ event: 'bye_done', leg, ms: Date.now() - started, err: err ? String(err) : undefined }, 'BYE transaction ended');
          resolve();
        });
      } catch (err) {
        this.log.warn({ err, leg }, 'BYE failed');
        resolve();
      }
    });
  }

  #logEnd(by: HangupSide, reason: string): void {
    // A session on a media worker delivers its final counters before `close` resolves.
    const stats = this.caller.session.stats();
    const now = Date.now();
    const answered = this.answeredAt !== undefined;
    const fields: Record<string, unknown> = {
      event: 'call_end',
      answered,
      ...(answered ? {} : { sipStatus: this.finalStatus }),
      durationMs: answered ? now - this.answeredAt! : 0,
      setupMs: answered ? this.answeredAt! - this.startedAt : undefined,
      codec: this.caller.media.codec.name,
      agent: this.target,
      trunk: this.info.trunk,
      from: this.info.from,
      to: this.info.to,
      ...mediaFields(stats),
      ...(this.human ? { human: mediaFields(this.human.session.stats()) } : {}),
      ...(this.transfers.length ? { transfer: this.transfers[this.transfers.length - 1], transfers: this.transfers.length } : {}),
      ...this.endFields,
      hangupBy: by,
      reason,
    };
    this.#endRecord = fields;
    this.log.info(fields, 'call ended');
    if (answered && stats.packetsIn === 0 && now - this.answeredAt! > 2000) {
      this.log.warn({ event: 'no_rtp', durationMs: now - this.answeredAt!, remote: this.caller.media.remote }, 'the call got no RTP at all: check NAT / the SDP address the caller offered');
    }
  }
}

function mediaFields(stats: MediaStats): Record<string, unknown> {
  return {
    packetsIn: stats.packetsIn,
    packetsOut: stats.packetsOut,
    framesSent: stats.framesSent,
    lateFrames: stats.lateFrames,
    underruns: stats.underruns,
    packetsLost: stats.packetsLost,
    jitterMs: Math.round(stats.jitterMs * 10) / 10,
    dtmfIn: stats.dtmfIn,
    ...(stats.remotePacketsLost !== undefined ? { remotePacketsLost: stats.remotePacketsLost } : {}),
    ...(stats.remoteFractionLost !== undefined ? { remoteFractionLost: Math.round(stats.remoteFractionLost * 1000) / 1000 } : {}),
    ...(stats.remoteJitterMs !== undefined ? { remoteJitterMs: Math.round(stats.remoteJitterMs * 10) / 10 } : {}),
    ...(stats.rttMs !== undefined ? { rttMs: Math.round(stats.rttMs * 10) / 10 } : {}),
  };
}
