/**
 * Setting up an admitted INVITE into a Call: the caller's media (offer in the INVITE: answered now;
 * no offer: RFC 3261 §13.2.1 / RFC 3264 §4 delayed offer, our offer in the 200 OK and the answer in
 * the ACK), 180/183, then the call's service — an agent, or a SIP endpoint the call is bridged to
 * (a SIP route) — and the 200 OK.
 *
 * A call that ends before it is answered always gets a final response: the agent hanging up in
 * `start()` or failing before the answer (a bot that cannot be reached) is refused with the trunk's
 * `agent_unavailable_status` (480 by default) and a Reason header, never left ringing.
 */
import type Srf from 'drachtio-srf';
import type { Logger } from '../../log.js';
import type { MediaEngine, MediaSession, NegotiatedMedia, PacketTap, SdpAnswer } from '../../media/index.js';
import { SdpError } from '../../media/sdp/errors.js';
import { srtpForCall } from './srtp-policy.js';
import { anchoredAnswer } from './anchored-answer.js';
import type { RtpengineAnchor } from '../../media/anchor/rtpengine.js';
import type { CallInfo, TransferOptions, TransferOutcome } from '../../agents/types.js';
import type { ResolvedAgent } from '../../agents/registry.js';
import type { TrunkConfig } from '../config/schema.js';
import { userOf } from '../routing/numbers.js';
import type { RouteTarget } from '../routing/router.js';
import { placeLeg } from '../transfer/human-leg.js';
import { relayMedia } from '../transfer/relay.js';
import type { Admitted, Refusal } from './admission.js';
import { startAgent } from './agent-start.js';
import { Call, type HangupSide } from './call.js';

/** The Allow header of our answers (RFC 3261 §20.5). */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY';

/** What set-up needs from the application. */
export interface SetupDeps {
  srf: Srf;
  engine: MediaEngine;
  /** rtpengine when media.anchor is rtpengine. */
  anchor?: () => RtpengineAnchor | undefined;
  log: Logger;
  agent(name: string): Promise<ResolvedAgent>;
  transferTargets: Record<string, string>;
  tap(callId: string): PacketTap | undefined;
  /** The call exists (media up): count it, keep it until `closed`. */
  register(call: Call): void;
  closed(call: Call): void;
  refuse(log: Logger, refusal: Refusal, res: Srf.SrfResponse): void;
  /** The caller's dialog is up: in-dialog handling (re-INVITE, UPDATE, REFER, BYE, session timer). */
  watch(call: Call, dialog: Srf.Dialog, admitted: Admitted): void;
  transfer(call: Call, target: string, options: TransferOptions): Promise<TransferOutcome>;
}

/** The caller's and the dialled number as call_end and the CDR give them. */
export function callNumbers(req: Srf.SrfRequest, trunk: TrunkConfig, admitted: Pick<Admitted, 'dialled' | 'normalized'>): { from: string; fromUri: string; to: string } {
  const fromUri = req.getParsedHeader('From').uri;
  // E.164 when the digits were recognised as a full number (country code known, or dialled with +/00).
  const e164 = /^\d{8,15}$/.test(admitted.normalized) && (trunk.country_code !== undefined || /^(\+|00)/.test(admitted.dialled)) ? `+${admitted.normalized}` : admitted.dialled;
  return { from: userOf(fromUri), fromUri, to: e164 };
}

/** What the agent is told about a call (start()). */
function callInfo(req: Srf.SrfRequest, trunk: TrunkConfig, admitted: Pick<Admitted, 'dialled' | 'normalized'>, codec: NegotiatedMedia['codec']): CallInfo {
  const { from, fromUri, to } = callNumbers(req, trunk, admitted);
  return {
    from, fromUri, to, dialled: admitted.dialled, toUri: req.uri, trunk: trunk.name, callId: req.get('Call-ID'),
    codec: { name: codec.name, clockRate: codec.clockRate },
    customParameters: { ...trunk.custom_parameters },
  };
}

function reasonHeader(status: number, text: string): string {
  return `SIP;cause=${status};text="${text.replace(/"/g, "'").slice(0, 120)}"`;
}

export class InboundSetup {
  readonly #deps: SetupDeps;

  constructor(deps: SetupDeps) {
    this.#deps = deps;
  }

  /** Runs the set-up; resolves with the Call once it exists (answered or ended), undefined if refused earlier. Throws set-up errors (SdpError, PortExhaustedError, MediaSocketError). */
  async run(req: Srf.SrfRequest, res: Srf.SrfResponse, log: Logger, admitted: Admitted, isCanceled: () => boolean, onCall: (call: Call) => void): Promise<Call | undefined> {
    return req.body
      ? this.#earlyOffer(req, res, log, admitted, req.body, isCanceled, onCall)
      : this.#delayedOffer(req, res, log, admitted, onCall);
  }

  #makeCall(req: Srf.SrfRequest, log: Logger, admitted: Admitted, session: MediaSession, answer: SdpAnswer): Call {
    const info = callInfo(req, admitted.trunk, admitted, answer.codec);
    const call: Call = new Call({ info, log, caller: { dialog: undefined, session, media: answer }, target: targetName(admitted.target) }, (c) => this.#deps.closed(c));
    // Media that ends on its own (its worker thread died) ends the call: BYE, call_end with the reason.
    session.once('close', (reason) => {
      if (call.ended || call.mediaOffloaded) return;
      call.log.error({ event: 'media_lost', reason }, 'media session ended during the call: hanging up');
      void call.end('gateway', `media ended: ${reason}`);
    });
    this.#deps.register(call);
    return call;
  }

  /**
   * Before the answer an end is a refusal: the caller gets a final response (480/503 + Reason)
   * at once and `call_refused` says why. After the answer it is a BYE (Call.end).
   */
  #endFor(call: Call, res: Srf.SrfResponse, admitted: Admitted, isCanceled: () => boolean) {
    return (by: HangupSide, reason: string, status: number = admitted.trunk.agent_unavailable_status): Promise<void> => {
      if (call.answeredAt === undefined && !call.ended && !res.finalResponseSent && !isCanceled()) {
        call.finalStatus = status;
        this.#deps.refuse(call.log, { reason: by === 'agent' ? 'agent_unavailable' : 'agent_failed', status, trunk: admitted.trunk.name, detail: { by, cause: reason, agent: call.target }, headers: { Reason: reasonHeader(status, reason) } }, res);
      }
      return call.end(by, reason);
    };
  }

  #startAgent(call: Call, name: string, end: (by: HangupSide, reason: string) => Promise<void>): Promise<void> {
    return startAgent(call, name, end, { ...this.#deps, recordControl: (c) => this.#recordControl(c) });
  }

  /** io.record(): only for a call anchored in rtpengine that can record. */
  #recordControl(call: Call): { record?: () => Promise<void> } {
    const anchor = this.#deps.anchor?.();
    // Asked for when the agent starts; the call's rtpengine id may change later (a REFER's new party).
    return anchor?.canRecord && call.anchorId && anchor.anchored(call.anchorId) ? { record: () => anchor.startRecording(call.anchorId!) } : {};
  }

  async #earlyOffer(req: Srf.SrfRequest, res: Srf.SrfResponse, log: Logger, admitted: Admitted, offer: string, isCanceled: () => boolean, onCall: (call: Call) => void): Promise<Call | undefined> {
    const { trunk } = admitted;
    const callId = req.get('Call-ID');
    const anchor = this.#deps.anchor?.();
    const { answer, session } = anchor
      ? await anchoredAnswer(anchor, this.#deps.engine, req, offer, { codecs: trunk.codecs, srtp: srtpForCall(trunk, req.protocol), record: trunk.record, id: callId, logger: log, tap: this.#deps.tap(callId), sourceCheck: trunk.rtp_source })
      : await this.#deps.engine.answer(offer, { codecs: trunk.codecs, srtp: srtpForCall(trunk, req.protocol), id: callId, logger: log, tap: this.#deps.tap(callId), sourceCheck: trunk.rtp_source });
    const call = this.#makeCall(req, log, admitted, session, answer);
    if (anchor) anchorCall(call, anchor, callId);
    onCall(call);
    call.to('early');
    const end = this.#endFor(call, res, admitted, isCanceled);
    if (isCanceled()) {
      await call.end('caller', 'canceled before answer');
      return call;
    }
    if (trunk.early_media) res.send(183, { body: answer.sdp, headers: { 'Content-Type': 'application/sdp' } });
    else res.send(180);

    if (admitted.target.kind === 'sip') return this.#bridgeRoute(req, res, call, admitted, admitted.target, end, isCanceled);

    try {
      await this.#startAgent(call, admitted.target.agent, end);
    } catch (err) {
      call.finalStatus = 500;
      this.#deps.refuse(log, { reason: 'agent_failed', status: 500, trunk: trunk.name, detail: { err, agent: call.target } }, res);
      await call.end('gateway', `agent failed to start: ${(err as Error)?.message ?? String(err)}`);
      return call;
    }
    if (isCanceled() || call.ended) {
      await call.end('caller', 'canceled before answer');
      return call;
    }
    return this.#answer(req, res, call, admitted, answer.sdp);
  }

  /** 200 OK with `sdp`; the dialog is watched from then on. */
  async #answer(req: Srf.SrfRequest, res: Srf.SrfResponse, call: Call, admitted: Admitted, sdp: string): Promise<Call> {
    const headers: Record<string, string> = { 'Content-Type': 'application/sdp', Allow: ALLOW };
    if (admitted.timer.kind === 'on') Object.assign(headers, admitted.timer.headers);
    let dialog: Srf.Dialog;
    try {
      dialog = await this.#deps.srf.createUAS(req, res, { localSdp: sdp, headers });
    } catch (err) {
      const canceled = (err as { status?: number }).status === 487;
      if (canceled) call.finalStatus = 487;
      await call.end('caller', canceled ? 'canceled before answer' : `answer failed: ${(err as Error).message}`);
      return call;
    }
    call.caller.dialog = dialog;
    call.answeredAt = Date.now();
    if (call.state === 'early' || call.state === 'setting_up') call.to('answered');
    call.log.info({ event: 'call_answered', trunk: admitted.trunk.name, agent: call.target, codec: call.caller.media.codec.name, ptime: call.caller.media.ptime, from: call.info.from, to: call.info.to, ...(req.body ? {} : { offer: 'delayed' }) }, 'call answered');
    if (call.ended) {
      // The agent hung up (or failed) while the 200 OK was on its way: BYE now.
      dialog.destroy();
      return call;
    }
    this.#deps.watch(call, dialog, admitted);
    return call;
  }

  /**
   * Delayed offer: our offer goes in the 200 OK and the caller's answer comes in the ACK; media
   * and agent start once it arrives.
   */
  async #delayedOffer(req: Srf.SrfRequest, res: Srf.SrfResponse, log: Logger, admitted: Admitted, onCall: (call: Call) => void): Promise<Call | undefined> {
    const { trunk } = admitted;
    if (admitted.target.kind === 'sip') {
      // A SIP route needs the caller's offer to offer the endpoint the same codecs.
      this.#deps.refuse(log, { reason: 'no_sdp', status: 488, trunk: trunk.name, detail: { route: admitted.target.uri } }, res);
      return undefined;
    }
    const callId = req.get('Call-ID');
    const srtp = srtpForCall(trunk, req.protocol);
    const anchor = this.#deps.anchor?.();
    // Anchored: our offer goes out through rtpengine, which offers the caller the trunk's SRTP
    // policy and keeps our side plain; the caller's answer in the ACK comes back through it.
    const pending = this.#deps.engine.offer({ codecs: trunk.codecs, srtp: anchor ? { policy: 'off' } : srtp });
    let offerSdp = pending.offer.sdp;
    let dialog: Srf.Dialog;
    try {
      if (anchor) offerSdp = await anchor.offerOutward(callId, offerSdp, { srtp: srtp.policy, suites: srtp.suites }, { record: trunk.record });
      res.send(180);
      const headers: Record<string, string> = { 'Content-Type': 'application/sdp', Allow: ALLOW };
      if (admitted.timer.kind === 'on') Object.assign(headers, admitted.timer.headers);
      dialog = await this.#deps.srf.createUAS(req, res, { localSdp: offerSdp, headers });
    } catch (err) {
      pending.cancel();
      if (anchor) await anchor.delete(callId);
      throw err;
    }
    const ackBody = await new Promise<string | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), 32_000);
      dialog.once('ack', (ack: { body?: string }) => { clearTimeout(t); resolve(ack.body || undefined); });
      dialog.once('destroy', () => { clearTimeout(t); resolve(undefined); });
    });
    // The caller may hang up while the session starts (a worker thread answers asynchronously).
    let hungUp = false;
    const onHangup = (): void => { hungUp = true; };
    dialog.once('destroy', onHangup);
    let session: MediaSession;
    try {
      if (!ackBody) throw new SdpError('SDP_INVALID', 'no SDP answer in the ACK of a delayed-offer call');
      const answerSdp = anchor ? await anchor.answerInward(callId, ackBody) : ackBody;
      session = await pending.accept(answerSdp, { id: callId, logger: log, tap: this.#deps.tap(callId), sourceCheck: trunk.rtp_source });
    } catch (err) {
      pending.cancel();
      if (anchor) await anchor.delete(callId);
      dialog.off('destroy', onHangup);
      const reason = (err as { code?: string }).code === 'MEDIA_NO_COMMON_CODEC' ? 'no_common_codec' : 'bad_sdp';
      log.info({ event: 'call_refused', reason, err }, 'delayed-offer call without a usable answer: BYE');
      this.#deps.refuse(log, { reason, status: 488, trunk: trunk.name, detail: { offer: 'delayed' } }, res);
      if ((dialog as unknown as { connected: boolean }).connected) dialog.destroy();
      return undefined;
    }
    const answer: SdpAnswer = { ...session.negotiated, sdp: offerSdp, origin: pending.offer.origin };
    const call = this.#makeCall(req, log, admitted, session, answer);
    if (anchor) anchorCall(call, anchor, callId);
    onCall(call);
    call.caller.dialog = dialog;
    call.answeredAt = Date.now();
    call.to('answered');
    log.info({ event: 'call_answered', trunk: trunk.name, agent: call.target, codec: answer.codec.name, ptime: answer.ptime, from: call.info.from, to: call.info.to, offer: 'delayed' }, 'call answered');
    dialog.off('destroy', onHangup);
    this.#deps.watch(call, dialog, admitted);
    if (hungUp) {
      await call.end('caller', 'caller hung up before media started');
      return call;
    }
    try {
      await this.#startAgent(call, admitted.target.agent, (by, reason) => call.end(by, reason));
    } catch (err) {
      if (!call.ended) {
        log.error({ event: 'agent_failed', err, agent: call.target }, 'agent failed: ending the call');
        await call.end('gateway', `agent failed: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    return call;
  }

  /**
   * A SIP route: the call is bridged to a SIP endpoint (a SIP-native AI platform, a PBX) with the
   * transfer code's leg and relay; the caller is answered only when the endpoint answers, and a
   * refusal there is passed back as the caller's final response.
   */
  async #bridgeRoute(req: Srf.SrfRequest, res: Srf.SrfResponse, call: Call, admitted: Admitted, route: Extract<RouteTarget, { kind: 'sip' }>,
    end: (by: HangupSide, reason: string, status?: number) => Promise<void>, isCanceled: () => boolean): Promise<Call> {
    const callId = req.get('Call-ID');
    const from = userOf(req.getParsedHeader('From').uri);
    const attempt = placeLeg(this.#deps.srf, this.#deps.engine, {
      uri: route.uri, auth: route.auth,
      headers: { From: `<sip:${/^[\w.+-]+$/.test(from) ? from : 'anonymous'}@localhost>`, ...route.headers },
      codecs: admitted.trunk.codecs, srtp: route.srtp === 'off' ? { policy: 'off' } : { policy: route.srtp, suites: admitted.trunk.srtp_suites },
      timeoutSec: 60, log: call.log.child({ leg: 'sip_route' }), id: `${callId};route`, tap: this.#deps.tap(`${callId};route`), near: call.session,
    });
    const cancel = call.onTeardown(() => attempt.cancel('caller hung up'));
    const outcome = await attempt.outcome;
    cancel();
    if (!outcome.ok) {
      const status = outcome.sipStatus && outcome.sipStatus >= 400 ? outcome.sipStatus : 480;
      if (!isCanceled() && !call.ended) {
        call.finalStatus = status;
        this.#deps.refuse(call.log, { reason: 'sip_route_failed', status, trunk: admitted.trunk.name, detail: { route: route.uri, cause: outcome.reason } }, res);
      }
      await call.end(isCanceled() ? 'caller' : 'gateway', `SIP route not reached: ${outcome.reason}`);
      return call;
    }
    const human = outcome.leg;
    if (call.ended || isCanceled()) {
      human.dialog.destroy();
      await human.session.close('caller gone');
      await call.end('caller', 'canceled before answer');
      return call;
    }
    call.human = human;
    const relay = relayMedia(call.session, human.session);
    // call_end says where the audio was relayed and how many frames this thread dropped (relay.ts).
    call.onTeardown(() => { relay.stop(); call.endFields.relay = { where: relay.where, droppedFrames: relay.dropped }; });
    human.dialog.on('destroy', () => { void (call.answeredAt === undefined ? end('human', 'SIP route hung up before the answer', 480) : call.end('human', 'SIP route hung up')); });
    const answered = await this.#answer(req, res, call, admitted, call.caller.media.sdp);
    if (!answered.ended) answered.to('bridged');
    return answered;
  }
}

/** The call is anchored in rtpengine under `id`: rtpengine's counters go into call_end, and the daemon forgets the call. */
function anchorCall(call: Call, anchor: RtpengineAnchor, id: string): void {
  call.anchorId = id;
  call.onTeardown(async () => { call.endFields.rtpengine = await anchor.delete(call.anchorId ?? id); });
}

export function targetName(t: RouteTarget): string {
  return t.kind === 'agent' ? t.agent : t.uri;
}
