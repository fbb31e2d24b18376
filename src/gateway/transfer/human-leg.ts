/**
 * A leg the gateway places to a human (or a SIP endpoint): INVITE with our offer (drachtio-srf
 * createUAC), ring timeout by CANCEL (RFC 3261 §9.1), early media from a 183 with SDP, and the
 * answer's SDP applied to a new MediaSession. Resolves with the leg or with why it was not reached;
 * never hangs (the ring timer always ends it) and never leaks a port or a dialog.
 */
import type { SourceCheck } from '../../media/rtp/latch.js';
import type Srf from 'drachtio-srf';
import type { Logger } from '../../log.js';
import type { CodecName, MediaEngine, MediaSession, PacketTap } from '../../media/index.js';
import type { SdpOffer, SrtpNegotiationOptions } from '../../media/sdp/types.js';
import type { TransferResult } from '../../agents/types.js';
import type { Leg } from '../app/call.js';
import { resultForStatus, warningText } from './outcome.js';

export interface PlaceLegOptions {
  uri: string;
  proxy?: string | undefined;
  auth?: { username: string; password: string } | undefined;
  headers: Record<string, string>;
  codecs: CodecName[];
  /** SRTP toward this leg (SDES in our offer; `mandatory` offers RTP/SAVP and takes only an SRTP answer). Default off. */
  srtp?: SrtpNegotiationOptions | undefined;
  timeoutSec: number;
  log: Logger;
  id: string;
  tap?: PacketTap | undefined;
  /** The caller's session: the human's goes on the same media worker, so the relay can run there. */
  near?: MediaSession | undefined;
  /** Where the leg's RTP may come from (a trunk's `rtp_source`; default latch). */
  sourceCheck?: SourceCheck | undefined;
  /** A provisional response arrived (180, 183 …); `early` is set once early media flows. */
  onProgress?: (status: number, early: MediaSession | undefined) => void;
}

export type LegOutcome =
  /** `offer`: the SDP we sent (a leg that becomes a call's main leg keeps it for re-offers). */
  | { ok: true; leg: Leg & { dialog: Srf.Dialog }; sipStatus: 200; offer: SdpOffer }
  | { ok: false; result: Exclude<TransferResult, 'transferred'> | 'canceled'; sipStatus?: number; reason: string };

export interface LegAttempt {
  readonly outcome: Promise<LegOutcome>;
  /** Give up before the answer (the caller hung up): CANCEL, or BYE if the 200 crossed it. */
  cancel(reason: string): void;
}

export function placeLeg(srf: Srf, engine: MediaEngine, o: PlaceLegOptions): LegAttempt {
  const pending = engine.offer({ codecs: o.codecs, ...(o.srtp ? { srtp: o.srtp } : {}) });
  let invite: Srf.SrfRequest | undefined;
  let canceled: string | undefined;
  let timedOut = false;
  let early: MediaSession | undefined;
  let earlySdp: string | undefined;
  let earlyStarting: Promise<MediaSession | undefined> | undefined;
  const sessionOpts = { id: o.id, logger: o.log, ...(o.tap ? { tap: o.tap } : {}), ...(o.near ? { near: o.near } : {}), ...(o.sourceCheck ? { sourceCheck: o.sourceCheck } : {}) };

  const ring = setTimeout(() => {
    timedOut = true;
    o.log.info({ event: 'leg_ring_timeout', uri: o.uri, timeoutSec: o.timeoutSec }, 'human leg: ring timeout, canceling');
    invite?.cancel(() => undefined);
  }, o.timeoutSec * 1000);

  const startEarly = (sdp: string): void => {
    if (earlyStarting || canceled) return;
    earlySdp = sdp;
    earlyStarting = pending.accept(sdp, sessionOpts).then((s) => { early = s; o.onProgress?.(183, s); return s; }, (err: unknown) => {
      o.log.warn({ event: 'leg_early_media_failed', err }, 'human leg: early media SDP not usable');
      return undefined;
    });
  };

  const outcome = (async (): Promise<LegOutcome> => {
    let dialog: Srf.Dialog;
    try {
      dialog = await srf.createUAC(o.uri, {
        localSdp: pending.offer.sdp, headers: o.headers,
        ...(o.proxy ? { proxy: o.proxy } : {}), ...(o.auth ? { auth: o.auth } : {}),
      }, {
        cbRequest: ((a: unknown, b?: Srf.SrfRequest) => {
          invite = b ?? (a as Srf.SrfRequest | undefined);
          if (canceled) invite?.cancel(() => undefined);
        }) as (req: Srf.SrfRequest) => void,
        cbProvisional: (res) => {
          const status = res.status;
          if (res.body && /application\/sdp/i.test(res.get('Content-Type') ?? '')) startEarly(res.body);
          o.onProgress?.(status, early);
        },
      });
    } catch (err) {
      clearTimeout(ring);
      const status = (err as { status?: number }).status;
      const started = await earlyStarting;
      if (started) await started.close('leg failed'); else pending.cancel();
      if (canceled) return { ok: false, result: 'canceled', ...(status ? { sipStatus: status } : {}), reason: canceled };
      if (timedOut) return { ok: false, result: 'no_answer', ...(status ? { sipStatus: status } : {}), reason: `no answer in ${o.timeoutSec} s` };
      if (status) {
        const warning = warningText(err);
        const reason = `${status} ${(err as { reason?: string }).reason ?? ''}`.trim();
        return { ok: false, result: resultForStatus(status) as Exclude<TransferResult, 'transferred'>, sipStatus: status, reason: warning ? `${reason}: ${warning}` : reason };
      }
      return { ok: false, result: 'failed', reason: (err as Error)?.message ?? String(err) };
    }
    clearTimeout(ring);
    if (canceled) {
      // The 200 crossed our CANCEL (RFC 3261 §9.1): the dialog exists, end it.
      dialog.destroy();
      const started = await earlyStarting;
      if (started) await started.close('canceled'); else pending.cancel();
      return { ok: false, result: 'canceled', reason: canceled };
    }
    try {
      let session = await earlyStarting;
      const answerSdp = dialog.remote.sdp;
      if (session) {
        if (answerSdp && answerSdp !== earlySdp) session.updateRemote(answerSdp);
      } else {
        session = await pending.accept(answerSdp, sessionOpts);
      }
      return { ok: true, leg: { dialog, session, media: session.negotiated }, sipStatus: 200, offer: pending.offer };
    } catch (err) {
      o.log.warn({ event: 'leg_answer_unusable', err }, 'human leg answered with SDP we cannot use: BYE');
      dialog.destroy();
      pending.cancel();
      return { ok: false, result: 'failed', sipStatus: 488, reason: `answer SDP not usable: ${(err as Error).message}` };
    }
  })();

  return {
    outcome,
    cancel(reason) {
      if (canceled) return;
      canceled = reason;
      invite?.cancel(() => undefined);
    },
  };
}
