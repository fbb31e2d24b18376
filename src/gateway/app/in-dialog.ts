/**
 * Requests inside the caller's dialog once it is up: BYE (the caller hung up), re-INVITE (RFC 3264
 * §8 re-offer: hold, new address, session refresh), UPDATE (RFC 3311, session refresh only), the
 * RFC 4028 session timer, and REFER (RFC 3515) handed to whoever accepts transfers from the trunk.
 */
import type Srf from 'drachtio-srf';
import type { RtpengineAnchor } from '../../media/anchor/rtpengine.js';
import { forwardAnchoredReoffer } from '../transfer/anchored-direct.js';
import { forwardReoffer } from '../transfer/direct-media.js';
import { negotiateAnswer } from '../../media/sdp/negotiate.js';
import { srtpForReoffer } from './srtp-policy.js';
import type { TrunkConfig } from '../config/schema.js';
import { timerHeaders } from './admission.js';
import type { Call, HangupSide } from './call.js';
import { decideSessionTimer, SessionTimer, type SessionTimerConfig, type SessionTimerDecision } from './session-timer.js';

export interface InDialogOptions {
  trunk: TrunkConfig;
  timers: SessionTimerConfig;
  initialTimer: SessionTimerDecision;
  /** Address written in our SDP. */
  sdpAddress: string;
  /** rtpengine when media.anchor is rtpengine: re-offers of an anchored call go through it. */
  anchor?: RtpengineAnchor | undefined;
  /** A REFER from the caller's side (RFC 3515). Without a handler drachtio-srf would answer 200 itself. */
  onRefer(req: Srf.SrfRequest, res: Srf.SrfResponse): void;
}

/** Our Contact in this dialog (re-sent on in-dialog 200 OKs). */
export function localContact(dialog: Srf.Dialog): string {
  return (dialog as unknown as { local: { contact?: string } }).local.contact ?? '';
}

export function watchCallerDialog(call: Call, dialog: Srf.Dialog, o: InDialogOptions): void {
  const contact = localContact(dialog);
  const end = (by: HangupSide, reason: string): void => { void call.end(by, reason); };
  dialog.on('destroy', (_msg: unknown, reason?: string) => end('caller', typeof reason === 'string' ? `caller hung up (${reason})` : 'caller hung up'));
  if (o.initialTimer.kind === 'on') {
    call.timer = new SessionTimer({
      refresh: async (headers) => {
        call.log.debug({ event: 'session_refresh' }, 'refreshing session (re-INVITE)');
        await dialog.modify(dialog.local.sdp, { headers: { ...headers, 'Content-Type': 'application/sdp' } } as never);
        call.log.info({ event: 'session_refreshed', by: 'gateway' }, 'session refreshed');
      },
      expire: (reason) => end('gateway', reason),
    });
    call.timer.restart(o.initialTimer);
  }
  const renewTimer = (req: Srf.SrfRequest): Record<string, string> => {
    if (!call.timer) return {};
    const d = decideSessionTimer(timerHeaders(req), o.timers);
    if (d.kind !== 'on') return {};
    call.timer.restart(d);
    return d.headers;
  };
  // Every re-INVITE comes here (no hold/unhold/refresh listeners): RFC 3264 §8 re-offer.
  dialog.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    const headers = { Contact: contact, ...renewTimer(req) };
    const current = call.caller.media;
    if (!req.body) {
      // Offer-less re-INVITE (session refresh): our current SDP is the offer (RFC 3261 §14.2).
      res.send(200, { body: current.sdp, headers: { ...headers, 'Content-Type': 'application/sdp' } });
      return;
    }
    answerReoffer(call, dialog, req.body, o).then((sdp) => {
      dialog.local.sdp = sdp;
      res.send(200, { body: sdp, headers: { ...headers, 'Content-Type': 'application/sdp' } });
    }, (err: unknown) => {
      call.log.warn({ event: 'reinvite_rejected', err }, 're-INVITE rejected (488), call continues');
      res.send(488);
    });
  });
  dialog.on('update', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    res.send(200, { headers: { Contact: contact, ...renewTimer(req) } });
  });
  dialog.on('refer', (req: Srf.SrfRequest, res: Srf.SrfResponse) => o.onRefer(req, res));
}

/**
 * The caller's re-offer → our answer. Where the caller's media ends decides who answers: our
 * session (through rtpengine when the call is anchored: rtpengine re-offers its inner side, whose
 * port may move, and our answer goes back through it), or — once a transfer moved the media off
 * trunkgate — the human, to whom the offer is passed on.
 */
async function answerReoffer(call: Call, dialog: Srf.Dialog, offer: string, o: InDialogOptions): Promise<string> {
  const anchor = call.anchorId ? o.anchor : undefined;
  if (call.mediaOffloaded && call.human?.dialog) {
    const sdp = anchor ? await forwardAnchoredReoffer(anchor, call.anchorId!, offer, call.caller.media, call.human.dialog) : await forwardReoffer(offer, dialog, call.human.dialog);
    call.log.info({ event: 'reinvite_forwarded', to: 'human', via: anchor ? 'rtpengine' : 'direct' }, 're-INVITE passed on to the human (media flows caller ↔ human)');
    return sdp;
  }
  const current = call.caller.media;
  const inner = anchor ? await anchor.reoffer(call.anchorId!, offer) : offer;
  const codecs = [current.codec.name, ...o.trunk.codecs.filter((c) => c !== current.codec.name)];
  // Anchored, our side is plain RTP (rtpengine keeps the caller's SRTP).
  const next = negotiateAnswer(inner, { codecs, localAddress: o.sdpAddress, localPort: call.session.localPort, ptime: current.ptime, origin: current.origin, srtp: anchor ? { policy: 'off' } : srtpForReoffer(current) });
  const sdp = anchor ? await anchor.reanswer(call.anchorId!, next.sdp) : next.sdp;
  const wasHeld = current.remoteHold;
  call.session.updateRemote(next);
  call.caller.media = { ...next, sdp };
  if (next.remoteHold !== wasHeld) call.log.info({ event: next.remoteHold ? 'hold' : 'unhold' }, next.remoteHold ? 'caller put the call on hold' : 'caller resumed the call');
  else call.log.info({ event: 'reinvite', remote: next.remote, ...(anchor ? { via: 'rtpengine' } : {}) }, 're-INVITE: media updated');
  return sdp;
}
