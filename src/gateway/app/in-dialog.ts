/**
 * Requests inside the caller's dialog once it is up: BYE (the caller hung up), re-INVITE (RFC 3264
 * §8 re-offer: hold, new address, session refresh), UPDATE (RFC 3311, session refresh only), the
 * RFC 4028 session timer, and REFER (RFC 3515) handed to whoever accepts transfers from the trunk.
 */
import type Srf from 'drachtio-srf';
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
    const base = { Contact: contact, ...renewTimer(req) };
    const current = call.caller.media;
    if (!req.body) {
      // Offer-less re-INVITE (session refresh): our current SDP is the offer (RFC 3261 §14.2).
      res.send(200, { body: current.sdp, headers: { ...base, 'Content-Type': 'application/sdp' } });
      return;
    }
    try {
      const codecs = [current.codec.name, ...o.trunk.codecs.filter((c) => c !== current.codec.name)];
      const next = negotiateAnswer(req.body, { codecs, localAddress: o.sdpAddress, localPort: call.session.localPort, ptime: current.ptime, origin: current.origin, srtp: srtpForReoffer(current) });
      const wasHeld = current.remoteHold;
      call.session.updateRemote(next);
      call.caller.media = next;
      dialog.local.sdp = next.sdp;
      if (next.remoteHold !== wasHeld) call.log.info({ event: next.remoteHold ? 'hold' : 'unhold' }, next.remoteHold ? 'caller put the call on hold' : 'caller resumed the call');
      else call.log.info({ event: 'reinvite', remote: next.remote }, 're-INVITE: media updated');
      res.send(200, { body: next.sdp, headers: { ...base, 'Content-Type': 'application/sdp' } });
    } catch (err) {
      call.log.warn({ event: 'reinvite_rejected', err }, 're-INVITE rejected (488), call continues');
      res.send(488);
    }
  });
  dialog.on('update', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    res.send(200, { headers: { Contact: contact, ...renewTimer(req) } });
  });
  dialog.on('refer', (req: Srf.SrfRequest, res: Srf.SrfResponse) => o.onRefer(req, res));
}
