/**
 * Blind transfer by REFER on the caller's dialog (RFC 3515; Referred-By RFC 3892), following the
 * implicit subscription's NOTIFYs (message/sipfrag, RFC 3420) to the outcome:
 *
 * - NOTIFYs are listened for before the REFER is sent: a NOTIFY may overtake the 202.
 * - Any 2xx to the REFER is acceptance (RFC 7647 deprecates 202 in favour of 200).
 * - `Refer-Sub: false` echoed in the 2xx (RFC 4488): no NOTIFY will come; acceptance is the outcome.
 * - sipfrag 1xx: still trying; 2xx: transferred; ≥ 300: the transfer failed with that status.
 *   A terminated subscription without a final sipfrag (no body, or a 1xx) is a failure.
 * - No final NOTIFY within `timeoutMs`: failed (timeout).
 * - The caller's BYE before the final NOTIFY: the carrier may hang up first; a final NOTIFY that
 *   still arrives within the grace period decides (`lateNotify`), else `caller_hung_up`.
 * - A digest challenge to the REFER is answered with the trunk's outbound credentials (drachtio-srf).
 */
import type Srf from 'drachtio-srf';
import type { Logger } from '../../log.js';
import type { TransferResult } from '../../agents/types.js';
import { resultForStatus } from './outcome.js';
import { parseEvent, parseSubscriptionState, sipfragStatus } from './sipfrag.js';

export interface ReferOptions {
  referTo: string;
  referredBy: string;
  timeoutMs: number;
  /** After the caller's BYE, how long a final NOTIFY may still decide the outcome. */
  byeGraceMs?: number;
  auth?: { username: string; password: string } | undefined;
  log: Logger;
  /**
   * NOTIFYs that arrive after the dialog ended (a BYE overtook them) do not reach the dialog;
   * the application passes them here by Call-ID.
   */
  lateNotify: (listener: (req: Srf.SrfRequest) => void) => () => void;
  /** Aborted when the call ends for another reason than the caller's BYE: the REFER is given up (failed). */
  signal?: AbortSignal;
}

export interface ReferOutcome {
  result: TransferResult;
  /** The REFER's own final status (2xx accepted, ≥ 300 refused). */
  referStatus?: number;
  /** The last sipfrag status seen. */
  sipStatus?: number;
  reason: string;
  /** The carrier accepted the REFER (a 2xx): a later failure is the carrier's or the target's, not a refusal. */
  accepted: boolean;
}

const DEFAULT_BYE_GRACE_MS = 2000;

export function referTransfer(dialog: Srf.Dialog, o: ReferOptions): Promise<ReferOutcome> {
  return new Promise<ReferOutcome>((resolve) => {
    let done = false;
    let accepted = false;
    let referStatus: number | undefined;
    let lastStatus: number | undefined;
    let referCseq: string | undefined;
    let byeTimer: NodeJS.Timeout | undefined;
    let stopLate: (() => void) | undefined;

    const finish = (outcome: Omit<ReferOutcome, 'accepted' | 'referStatus'>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(byeTimer);
      dialog.off('notify', onNotify);
      dialog.off('destroy', onDestroy);
      o.signal?.removeEventListener('abort', onAbort);
      stopLate?.();
      resolve({ ...outcome, accepted, ...(referStatus !== undefined ? { referStatus } : {}) });
    };

    /** One NOTIFY of our subscription: answer it, then read its sipfrag. */
    const handleNotify = (req: Srf.SrfRequest, res?: Srf.SrfResponse): void => {
      const event = parseEvent(req.get('Event'));
      if (event && event.package !== 'refer') {
        res?.send(489);
        return;
      }
      res?.send(200);
      // RFC 3515 §2.4.6: id is the REFER's CSeq; a mismatch is another REFER's subscription.
      if (event?.id && referCseq && event.id !== referCseq) return;
      const status = sipfragStatus(req.body);
      const state = parseSubscriptionState(req.get('Subscription-State'));
      if (status !== undefined) lastStatus = status;
      o.log.info({ event: 'refer_notify', sipfrag: status, subscriptionState: state?.state }, `REFER progress: ${status ?? 'no sipfrag'}`);
      if (status !== undefined && status >= 200) {
        finish({ result: resultForStatus(status), sipStatus: status, reason: status < 300 ? `target answered (sipfrag ${status})` : `transfer failed at the carrier (sipfrag ${status})` });
      } else if (state?.state === 'terminated') {
        finish({ result: 'failed', ...(lastStatus !== undefined ? { sipStatus: lastStatus } : {}), reason: `subscription terminated (${state.reason ?? 'no reason'}) without a final status` });
      }
    };
    const onNotify = (req: Srf.SrfRequest, res: Srf.SrfResponse): void => handleNotify(req, res);
    const onDestroy = (): void => {
      if (done) return;
      // A BYE overtaking the final NOTIFY: wait for it a little (it reaches us out of dialog).
      stopLate = o.lateNotify((req) => handleNotify(req));
      byeTimer = setTimeout(() => finish({ result: 'caller_hung_up', ...(lastStatus !== undefined ? { sipStatus: lastStatus } : {}), reason: 'caller leg ended before the final NOTIFY' }), o.byeGraceMs ?? DEFAULT_BYE_GRACE_MS);
    };
    const onAbort = (): void => finish({ result: 'failed', ...(lastStatus !== undefined ? { sipStatus: lastStatus } : {}), reason: 'the call ended before the final NOTIFY' });
    const timer = setTimeout(() => finish({ result: 'failed', ...(lastStatus !== undefined ? { sipStatus: lastStatus } : {}), reason: `no final NOTIFY in ${Math.round(o.timeoutMs / 1000)} s` }), o.timeoutMs);
    dialog.on('notify', onNotify);
    dialog.on('destroy', onDestroy);
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    dialog.request({
      method: 'REFER',
      headers: { 'Refer-To': `<${o.referTo}>`, 'Referred-By': `<${o.referredBy}>` },
      ...(o.auth ? { auth: o.auth } : {}),
    } as unknown as Srf.SrfRequest, (err: unknown, res: Srf.SrfResponse) => {
      if (done) return;
      if (err || !res) return finish({ result: 'failed', reason: `REFER not sent: ${(err as Error)?.message ?? 'no response'}` });
      referStatus = res.status;
      referCseq = String(res.get('CSeq') ?? '').trim().split(/\s+/)[0] || undefined;
      o.log.info({ event: 'refer_response', status: res.status }, `REFER answered ${res.status}`);
      if (res.status >= 300) {
        return finish({ result: res.status === 405 || res.status === 501 || res.status === 603 || res.status === 403 ? 'rejected' : resultForStatus(res.status), sipStatus: res.status, reason: `REFER refused (${res.status})` });
      }
      accepted = true;
      // RFC 4488 §4: the 2xx echoes Refer-Sub: false when no subscription (and no NOTIFY) follows.
      if (/^\s*false\b/i.test(res.get('Refer-Sub') ?? '')) {
        finish({ result: 'transferred', sipStatus: res.status, reason: 'REFER accepted without subscription (Refer-Sub: false)' });
      }
    });
  });
}
