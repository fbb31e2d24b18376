/**
 * `io.transfer(target, options)`: hands a caller from the agent to a human and reports the outcome.
 *
 * - blind, REFER (trunk `transfer.method: refer`, or `auto` when the caller's Allow lists REFER):
 *   refer.ts; transferred → BYE the caller. In `auto`, a refused or failed REFER falls back to a
 *   bridge (unless the carrier accepted it and then failed: the caller may already be elsewhere).
 * - blind, bridge: a new leg to the human (human-leg.ts) while the caller hears ringback; answered →
 *   bridged (relay.ts, or direct media by re-INVITE); not reached → the agent keeps the caller.
 * - warm: as a bridge, and once the human answers the whisper plays to them alone and, with
 *   `confirm: 'dtmf'`, they press 1 to accept; then caller and human are bridged.
 *
 * The promise always settles with a TransferOutcome: every wait has a timer, and a caller who hangs
 * up ends each wait with `caller_hung_up`.
 */
import type Srf from 'drachtio-srf';
import type { MediaEngine, MediaSession, PacketTap } from '../../media/index.js';
import type { CallerHears, TransferOptions, TransferOutcome, TransferResult } from '../../agents/types.js';
import { synthesize } from '../../agents/builtin/prompts.js';
import type { PcmAudio } from '../../agents/builtin/wav.js';
import type { GatewayConfig, TrunkConfig } from '../config/schema.js';
import type { Call, Leg } from '../app/call.js';
import { loadHoldAudio, loopAudio, ringbackCycle, type Loop } from './caller-audio.js';
import { directMedia } from './direct-media.js';
import { anchoredDirectMedia } from './anchored-direct.js';
import type { RtpengineAnchor } from '../../media/anchor/rtpengine.js';
import { placeLeg, type LegOutcome } from './human-leg.js';
import { referTransfer } from './refer.js';
import { relayMedia } from './relay.js';
import { resolveTarget, type ResolvedTarget } from './targets.js';
import { TrunkgateError } from '../../errors.js';

export class TransferBusyError extends TrunkgateError<'TRANSFER_IN_PROGRESS'> {
  constructor(state: string) {
    super('TRANSFER_IN_PROGRESS', `a transfer needs an answered call with no transfer in progress (call is ${state})`);
  }
}

export interface TransferDeps {
  srf: Srf;
  engine: MediaEngine;
  config: Pick<GatewayConfig, 'transfer_targets'>;
  /** Out-of-dialog NOTIFYs by Call-ID (a BYE overtook them). */
  lateNotify(callId: string, listener: (req: Srf.SrfRequest) => void): () => void;
  mediaTap?: ((callId: string) => PacketTap | undefined) | undefined;
  /** rtpengine when media.anchor is rtpengine: direct media then stays in the anchor (anchored-direct.ts). */
  anchor?: (() => RtpengineAnchor | undefined) | undefined;
}

/** Per call: what the transfer needs to know about the caller's side. */
export interface TransferCallContext {
  call: Call;
  trunk: TrunkConfig;
  /** The carrier's address (the INVITE's source). */
  carrierAddress: string;
  /** The caller's INVITE listed REFER in Allow. */
  callerAllowsRefer: boolean;
  /** The dialled number, for Diversion / History-Info toward the human. */
  dialledUri: string;
  /** Called once the caller is bridged to the human: the agent's part of the call is over. */
  onBridged(): void;
}

const CONFIRM_TIMEOUT_MS = 20_000;
/** After a REFER with Replaces succeeded, how long the human's side may take to end our leg itself. */
const REPLACED_LEG_GRACE_MS = 2000;
const RINGBACK = { samples: ringbackCycle('uk'), sampleRate: 8000 };
let internalMarks = 0;

/** Marks the gateway queues for itself; AgentIO does not pass them to agents. */
export const INTERNAL_MARK_PREFIX = 'trunkgate:';

export class Transferor {
  readonly #deps: TransferDeps;

  constructor(deps: TransferDeps) {
    this.#deps = deps;
  }

  async transfer(ctx: TransferCallContext, target: string, options: TransferOptions = {}): Promise<TransferOutcome> {
    const { call } = ctx;
    // An agent may ask from start(), before the 200 OK has gone out: the transfer begins at the answer.
    if (call.state === 'setting_up' || call.state === 'early') await untilAnswered(call);
    if (call.ended) return { result: 'caller_hung_up', method: 'bridge', ms: 0, reason: 'the call ended before it was answered' };
    if (call.state !== 'answered') throw new TransferBusyError(call.state);
    const resolved = resolveTarget(target, { config: this.#deps.config, trunk: ctx.trunk, callerNumber: call.info.from, carrierAddress: ctx.carrierAddress });
    call.to('transferring');
    const running = this.#transfer(ctx, target, resolved, options);
    call.trackTransfer(running);
    return running;
  }

  async #transfer(ctx: TransferCallContext, target: string, resolved: ResolvedTarget, options: TransferOptions): Promise<TransferOutcome> {
    const { call } = ctx;
    const mode = options.mode ?? 'blind';
    if (options.afterPlayout !== false) await waitPlayout(call.session);
    const started = Date.now();
    let outcome: TransferOutcome;
    // Resolved once the outcome is in call.transfers: a teardown waiting on it logs it in call_end.
    let settle!: () => void;
    const settled = new Promise<void>((r) => { settle = r; });
    if (call.ended) {
      outcome = { result: 'caller_hung_up', method: 'bridge', ms: 0, reason: 'caller hung up before the transfer started' };
    } else {
      try {
        outcome = await this.#run(ctx, resolved, mode, options, started, settled);
      } catch (err) {
        outcome = { result: 'failed', method: 'bridge', ms: Date.now() - started, reason: (err as Error)?.message ?? String(err) };
      }
    }
    // The caller gone before the outcome: that is the outcome. (The gateway or the agent ending the
    // call keeps what the transfer itself came to, e.g. failed.)
    if (call.ended && outcome.result !== 'transferred' && call.endedBy?.by === 'caller') outcome = { ...outcome, result: 'caller_hung_up' };
    if (!call.ended && (call.state as string) === 'transferring') call.to('answered');
    call.transfers.push(outcome);
    settle();
    call.log.info({ event: 'transfer', target, targetUri: resolved.inviteUri, mode, ...outcome }, `transfer ${outcome.result}`);
    if (outcome.result === 'transferred' && outcome.method === 'refer') void call.end('gateway', 'transferred (REFER)');
    return outcome;
  }

  async #run(ctx: TransferCallContext, target: ResolvedTarget, mode: 'blind' | 'warm', options: TransferOptions, started: number, settled: Promise<void>): Promise<TransferOutcome> {
    const method = ctx.trunk.transfer.method;
    const useRefer = mode === 'blind' && (method === 'refer' || (method === 'auto' && ctx.callerAllowsRefer));
    if (useRefer && ctx.call.caller.dialog) {
      // The carrier's BYE may overtake its final NOTIFY (refer.ts waits for it a little): the
      // call's teardown waits for the outcome too, so call_end reports it. A call ended by anyone
      // else stops the REFER at once. Only while the REFER runs: a fall-back bridge waits on
      // teardown cleanups itself.
      const stop = new AbortController();
      const holdEnd = ctx.call.onTeardown(() => {
        if (ctx.call.endedBy?.by !== 'caller') stop.abort();
        return settled;
      });
      const refer = await referTransfer(ctx.call.caller.dialog, {
        referTo: target.referTo,
        referredBy: referredBy(ctx),
        timeoutMs: ctx.trunk.transfer.refer_timeout_s * 1000,
        auth: ctx.trunk.outbound?.username && ctx.trunk.outbound.password ? { username: ctx.trunk.outbound.username, password: ctx.trunk.outbound.password } : undefined,
        log: ctx.call.log,
        lateNotify: (l) => this.#deps.lateNotify(ctx.call.info.callId, l),
        signal: stop.signal,
      });
      holdEnd();
      const outcome: TransferOutcome = { result: refer.result, method: 'refer', ms: Date.now() - started, reason: refer.reason, ...(refer.sipStatus !== undefined ? { sipStatus: refer.sipStatus } : {}) };
      // Refused or unanswered, or accepted and then failed at the carrier (no final NOTIFY in time,
      // a 5xx sipfrag, a subscription ended without a status): bridge instead. A human's own answer
      // relayed by sipfrag (busy, no answer, declined) is the outcome.
      const fallBack = method === 'auto' && !ctx.call.ended && (refer.result === 'failed' || (refer.result === 'rejected' && !refer.accepted));
      if (!fallBack) return outcome;
      ctx.call.log.info({ event: 'transfer_fallback', referStatus: refer.referStatus, reason: refer.reason }, 'REFER did not work: bridging instead');
    }
    return this.#bridge(ctx, target, mode, options, started);
  }

  async #bridge(ctx: TransferCallContext, target: ResolvedTarget, mode: 'blind' | 'warm', options: TransferOptions, started: number): Promise<TransferOutcome> {
    const { call } = ctx;
    const outcome = (result: TransferResult, reason: string, sipStatus?: number): TransferOutcome =>
      ({ result, method: 'bridge', ms: Date.now() - started, reason, ...(sipStatus !== undefined ? { sipStatus } : {}) });
    const hears = await this.#callerAudio(call.session, options.callerHears ?? 'ringback');
    let humanEarly: MediaSession | undefined;
    let earlyRelay: { stop(): void } | undefined;
    const attempt = placeLeg(this.#deps.srf, this.#deps.engine, {
      uri: target.inviteUri, proxy: target.proxy, auth: target.auth,
      headers: humanHeaders(ctx, target),
      codecs: ctx.trunk.codecs,
      srtp: target.srtp,
      timeoutSec: options.timeoutSec ?? target.timeoutSec,
      log: call.log.child({ leg: 'human' }),
      id: `${call.info.callId};human`,
      tap: this.#deps.mediaTap?.(`${call.info.callId};human`),
      near: call.session,
      onProgress: (status, early) => {
        call.log.info({ event: 'transfer_progress', status }, `human leg: ${status}`);
        // Early media from the human's side (a carrier's ringback, an announcement) replaces ours.
        if (early && !humanEarly && mode === 'blind' && options.callerHears === undefined) {
          humanEarly = early;
          hears?.stop();
          earlyRelay = relayOneWay(early, call.session);
        }
      },
    });
    const cancelOnHangup = call.onTeardown(() => attempt.cancel('caller hung up'));
    let leg: LegOutcome;
    try {
      leg = await attempt.outcome;
    } finally {
      cancelOnHangup();
      earlyRelay?.stop();
    }
    if (!leg.ok) {
      hears?.stop();
      return outcome(leg.result === 'canceled' ? 'caller_hung_up' : leg.result, leg.reason, leg.sipStatus);
    }
    const human = leg.leg;
    // From here the human's leg is ours to end on every path that does not bridge it.
    const dropHuman = async (why: string): Promise<void> => {
      human.dialog.destroy({ headers: { Reason: `SIP;cause=200;text="${why}"` } });
      await human.session.close(why);
    };
    if (call.ended) {
      await dropHuman('caller hung up');
      return outcome('caller_hung_up', 'caller hung up as the human answered');
    }
    if (mode === 'warm') {
      const consult = await this.#consult(call, human, options);
      if (consult !== 'accepted') {
        hears?.stop();
        await dropHuman(consult.reason);
        return outcome(call.ended ? 'caller_hung_up' : consult.result, consult.reason, consult.sipStatus);
      }
    }
    if (mode === 'warm' && ctx.trunk.transfer.warm_completion === 'replaces' && ctx.callerAllowsRefer && call.caller.dialog) {
      const replaced = await this.#completeByReplaces(ctx, human, started);
      if (replaced.result === 'transferred' || call.ended) {
        hears?.stop();
        if (replaced.result !== 'transferred') await dropHuman('caller hung up');
        return replaced;
      }
      call.log.info({ event: 'transfer_fallback', reason: replaced.reason }, 'REFER with Replaces did not work: bridging instead');
    }
    hears?.stop();
    this.#connect(ctx, human);
    return outcome('transferred', mode === 'warm' ? 'human accepted' : 'human answered', 200);
  }

  /**
   * RFC 3891 / RFC 5589 §7: the caller is referred to the human with Replaces naming our dialog with
   * the human (to-tag and from-tag from the human's side), so the carrier connects them and both of
   * our legs end. The human normally ends our leg itself once replaced; after a grace period we do.
   */
  async #completeByReplaces(ctx: TransferCallContext, human: Leg & { dialog: Srf.Dialog }, started: number): Promise<TransferOutcome> {
    const { call } = ctx;
    const { callId, localTag, remoteTag } = human.dialog.sip;
    const replaces = encodeURIComponent(`${callId};to-tag=${remoteTag};from-tag=${localTag}`);
    const base = human.dialog.remote.uri;
    const refer = await referTransfer(call.caller.dialog!, {
      referTo: `${base}${base.includes('?') ? '&' : '?'}Replaces=${replaces}`,
      referredBy: referredBy(ctx),
      timeoutMs: ctx.trunk.transfer.refer_timeout_s * 1000,
      auth: ctx.trunk.outbound?.username && ctx.trunk.outbound.password ? { username: ctx.trunk.outbound.username, password: ctx.trunk.outbound.password } : undefined,
      log: call.log,
      lateNotify: (l) => this.#deps.lateNotify(call.info.callId, l),
    });
    const outcome: TransferOutcome = { result: refer.result, method: 'refer', ms: Date.now() - started, reason: `REFER with Replaces: ${refer.reason}`, ...(refer.sipStatus !== undefined ? { sipStatus: refer.sipStatus } : {}) };
    if (refer.result === 'transferred') {
      const connected = (): boolean => (human.dialog as unknown as { connected?: boolean }).connected === true;
      if (connected()) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, REPLACED_LEG_GRACE_MS);
          human.dialog.once('destroy', () => { clearTimeout(t); resolve(); });
        });
      }
      if (connected()) human.dialog.destroy({ headers: { Reason: 'SIP;cause=200;text="replaced"' } });
      await human.session.close('replaced');
    }
    return outcome;
  }

  /** Whisper and optional DTMF confirmation, with the human alone. */
  async #consult(call: Call, human: Leg & { dialog: Srf.Dialog }, options: TransferOptions): Promise<'accepted' | { result: TransferResult; reason: string; sipStatus?: number }> {
    let hungUp = false;
    const waitHangup = new Promise<'hangup'>((r) => human.dialog.once('destroy', () => { hungUp = true; r('hangup'); }));
    let unwatch: (() => void) | undefined;
    const waitCaller = new Promise<'caller'>((r) => { unwatch = call.onState((s) => { if (s === 'ending') r('caller'); }); });
    try {
      return await this.#consultSteps(call, human, options, waitHangup, waitCaller, () => hungUp);
    } finally {
      unwatch?.();
    }
  }

  async #consultSteps(call: Call, human: Leg & { dialog: Srf.Dialog }, options: TransferOptions, waitHangup: Promise<'hangup'>, waitCaller: Promise<'caller'>,
    hungUp: () => boolean): Promise<'accepted' | { result: TransferResult; reason: string; sipStatus?: number }> {
    if (options.whisper !== undefined) {
      const pcm = typeof options.whisper === 'string' ? await synthesize(options.whisper, { sampleRate: 16000 }) : { samples: options.whisper.pcm, sampleRate: options.whisper.rate };
      human.session.play(pcm.samples, pcm.sampleRate);
      const played = waitPlayout(human.session);
      const first = await Promise.race([played.then(() => 'played' as const), waitHangup, waitCaller]);
      if (first === 'hangup') return { result: 'rejected', reason: 'human hung up during the whisper' };
      if (first === 'caller') return { result: 'caller_hung_up', reason: 'caller hung up during the whisper' };
    }
    if (options.confirm === 'dtmf') {
      let onDigit: ((e: { digit: string }) => void) | undefined;
      const digit = new Promise<string>((r) => { onDigit = (e) => r(e.digit); human.session.on('dtmf', onDigit); });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), CONFIRM_TIMEOUT_MS); });
      try {
        for (;;) {
          const got = await Promise.race([digit, waitHangup, waitCaller, timeout]);
          if (got === 'hangup') return { result: 'rejected', reason: 'human hung up before confirming' };
          if (got === 'caller') return { result: 'caller_hung_up', reason: 'caller hung up during the consult' };
          if (got === 'timeout') return { result: 'no_answer', reason: 'human did not confirm in time' };
          if (got === '1') break;
          return { result: 'rejected', reason: `human declined (pressed ${got})` };
        }
      } finally {
        clearTimeout(timer);
        if (onDigit) human.session.off('dtmf', onDigit);
      }
    }
    if (hungUp()) return { result: 'rejected', reason: 'human hung up during the consult' };
    return 'accepted';
  }

  /** Caller ↔ human, the agent's part over: relay through the media engine (transfer.media: relay). */
  #connect(ctx: TransferCallContext, human: Leg & { dialog: Srf.Dialog }): void {
    const { call } = ctx;
    ctx.onBridged();
    call.human = human;
    if (!call.session.closed) {
      call.session.clear();
      // An agent that played G.711 payload (passthrough) switched the queue; the relay plays PCM.
      call.session.setPlayFormat('pcm');
    }
    const relay = relayMedia(call.session, human.session);
    // call_end says where the audio was relayed and how many frames this thread dropped (relay.ts).
    call.onTeardown(() => { relay.stop(); call.endFields.relay = { where: relay.where, droppedFrames: relay.dropped }; });
    human.dialog.on('destroy', () => { void call.end('human', 'human hung up'); });
    human.dialog.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      // The human's side re-offers (hold, new address): answer with our current SDP for that leg.
      try {
        if (req.body) human.session.updateRemote(req.body);
        res.send(200, { body: human.dialog.local.sdp, headers: { 'Content-Type': 'application/sdp' } });
      } catch {
        res.send(488);
      }
    });
    call.to('bridged');
    call.log.info({ event: 'bridged', humanCodec: human.media.codec.name, callerCodec: call.caller.media.codec.name, media: ctx.trunk.transfer.media }, 'caller and human bridged');
    const callerDialog = call.caller.dialog;
    if (ctx.trunk.transfer.media === 'direct' && callerDialog) {
      const anchor = this.#deps.anchor?.();
      const moving = anchor && call.anchorId && anchor.anchored(call.anchorId)
        ? anchoredDirectMedia(anchor, call.anchorId, call.caller.media, human.dialog, call.log, human.media.srtp?.suite)
        : directMedia(callerDialog, human.dialog, call.log);
      void moving.then(async (moved) => {
        if (!moved || call.ended) return;
        // Nothing of this call's media passes through trunkgate any more: stop relaying and free the ports.
        relay.stop();
        call.mediaOffloaded = true;
        await Promise.all([call.session.close('direct media'), human.session.close('direct media')]);
        call.log.info({ event: 'media_offloaded' }, 'trunkgate no longer relays this call\'s media: its ports are free');
      });
    }
  }

  async #callerAudio(session: MediaSession, hears: CallerHears): Promise<Loop | undefined> {
    if (hears === 'agent') return undefined;
    let audio: PcmAudio = RINGBACK;
    if (typeof hears === 'object') audio = await loadHoldAudio(hears.hold);
    return loopAudio(session, audio);
  }
}

function untilAnswered(call: Call): Promise<void> {
  return new Promise<void>((resolve) => {
    const off = call.onState((s) => {
      if (s === 'answered' || s === 'ending' || s === 'ended') { off(); resolve(); }
    });
  });
}

/** Waits until everything queued on the session has been sent (a mark), or the session closes. */
export function waitPlayout(session: MediaSession): Promise<void> {
  if (session.closed) return Promise.resolve();
  const name = `${INTERNAL_MARK_PREFIX}playout:${++internalMarks}`;
  return new Promise<void>((resolve) => {
    const onMark = (n: string): void => { if (n === name) done(); };
    const onClose = (): void => done();
    const done = (): void => { session.off('mark', onMark); session.off('close', onClose); resolve(); };
    session.on('mark', onMark);
    session.on('close', onClose);
    session.mark(name);
  });
}

/** One direction only (the human's early media to the caller). */
function relayOneWay(from: MediaSession, to: MediaSession): { stop(): void } {
  const onAudio = (f: { samples: Int16Array; sampleRate: number }): void => { if (!to.closed) to.play(f.samples, f.sampleRate); };
  from.on('audio', onAudio);
  return { stop: () => from.off('audio', onAudio) };
}

function referredBy(ctx: TransferCallContext): string {
  const local = ctx.call.caller.dialog?.local.uri;
  return local ?? `sip:trunkgate@${ctx.carrierAddress}`;
}

/** Caller ID, Diversion (RFC 5806) and History-Info (RFC 7044) toward the human. */
function humanHeaders(ctx: TransferCallContext, target: ResolvedTarget): Record<string, string> {
  const callerId = /^\+?\d+$/.test(target.callerId) || /^[\w.+-]+$/.test(target.callerId) ? target.callerId : 'trunkgate';
  return {
    From: `<sip:${callerId}@localhost>`,
    Diversion: `<${ctx.dialledUri}>;reason=unconditional;counter=1`,
    'History-Info': `<${ctx.dialledUri}>;index=1,<${target.inviteUri}>;index=1.1`,
    ...target.headers,
  };
}
