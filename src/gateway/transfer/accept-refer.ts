/**
 * A REFER from the trunk's side (a PBX or carrier passing the call on, RFC 3515 §2.4): the gateway
 * is the transferee. Only targets the trunk's `accept_refer.allow` lists are called — anything else
 * is 403, so a REFER can never make trunkgate dial an arbitrary number (toll fraud). Accepted:
 * 202, NOTIFY `SIP/2.0 100 Trying`, a new leg to the target offered with the call's own media port
 * and codec, its progress as NOTIFY sipfrags, and the final status with the subscription
 * terminated. Answered: the new leg replaces the old one — the same MediaSession now sends to the
 * new party, so the agent carries on without noticing — and the old dialog is left for the
 * transferor to end (RFC 5589 §6); we end it ourselves if it has not after a grace period.
 */
import type Srf from 'drachtio-srf';
import { parse } from 'sdp-transform';
import type { RtpengineAnchor } from '../../media/anchor/rtpengine.js';
import { createOffer, applyAnswer } from '../../media/sdp/negotiate.js';
import type { SrtpNegotiationOptions } from '../../media/sdp/types.js';
import type { TrunkConfig } from '../config/schema.js';
import { legSrtpPolicy, signalledOverTls } from '../config/leg-srtp.js';
import { compilePattern, matchesPattern, normalizeNumber, userOf } from '../routing/numbers.js';
import type { Call } from '../app/call.js';
import { warningText } from './outcome.js';
import { sipfragBody } from './sipfrag.js';
import { resolveTarget, type ResolvedTarget } from './targets.js';

export interface AcceptReferContext {
  call: Call;
  trunk: TrunkConfig;
  /** Names in `transfer_targets`, their URIs and SRTP settings. */
  targets: Record<string, { uri: string; srtp?: 'off' | 'optional' | 'mandatory' | undefined; srtp_keys_without_tls?: boolean }>;
  srf: Srf;
  sdpAddress: string;
  /** The carrier's address (the INVITE's source): numbers go there without the trunk's `outbound.proxy`. */
  carrierAddress: string;
  /** Rebind the call to the new dialog (in-dialog handlers, BYE on end). */
  adoptDialog(dialog: Srf.Dialog): void;
  /** rtpengine, for an anchored call: the new party is anchored too (its own rtpengine call), the old one is deleted. */
  anchor?: RtpengineAnchor | undefined;
}

/** Whether an SDP offers or answers SRTP (a=crypto, RFC 4568). */
function sdpHasCrypto(sdp: string): boolean {
  return parse(sdp).media.some((m) => (m.crypto?.length ?? 0) > 0);
}

const OLD_DIALOG_GRACE_MS = 5000;
const RING_TIMEOUT_MS = 30_000;

/**
 * How an allowed Refer-To is reached: a transfer target's URI or one a SIP URI glob lists is called
 * as written; a number a number pattern lists is called through the trunk (its outbound proxy, or
 * the carrier the call came from) — never at the host the REFER names, which would let any host
 * be dialled for an allowed number.
 */
export type ReferPermit = { kind: 'uri'; uri: string } | { kind: 'number'; number: string };

/** The phone number a Refer-To carries: a tel: URI, or a sip: URI whose user part is a number. */
function numberIn(uri: string): string | undefined {
  const user = userOf(uri);
  return /^\+?[0-9][0-9\-.()]*$/.test(user) ? user : undefined;
}

/** What `allow` (target names, number patterns, SIP URI globs) permits for a Refer-To, or undefined (403). */
export function referPermit(referTo: string, allow: readonly string[], trunk: Pick<TrunkConfig, 'country_code' | 'national_prefix'>, targets: Record<string, { uri: string }>): ReferPermit | undefined {
  const uri = referTo.trim().replace(/^<|>.*$/g, '').split('?')[0]!;
  const bare = uri.split(';')[0]!.toLowerCase();
  const ctx = { countryCode: trunk.country_code, nationalPrefix: trunk.national_prefix };
  const number = numberIn(uri);
  for (const a of allow) {
    const named = targets[a];
    if (named && named.uri.split(';')[0]!.toLowerCase() === bare) return { kind: 'uri', uri: named.uri };
    if (/^(sips?|tel):/i.test(a)) {
      const glob = new RegExp(`^${a.toLowerCase().split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^@;]*')}$`);
      if (glob.test(bare) && !/^tel:/i.test(bare)) return { kind: 'uri', uri };
      if (glob.test(bare) && number) return { kind: 'number', number };
      continue;
    }
    if (named || !number) continue;
    try {
      if (matchesPattern(compilePattern(a, ctx), normalizeNumber(number, ctx))) return { kind: 'number', number };
    } catch { /* not a number pattern: the config check reports it */ }
  }
  return undefined;
}

/** Whether a Refer-To URI is one `allow` lists: target names, number patterns, or SIP URI globs. */
export function referAllowed(referTo: string, allow: readonly string[], trunk: Pick<TrunkConfig, 'country_code' | 'national_prefix'>, targets: Record<string, { uri: string }>): boolean {
  return referPermit(referTo, allow, trunk, targets) !== undefined;
}

/**
 * SRTP toward the party a REFER names. A call in SRTP stays in SRTP (its protection does not drop
 * because the peer changed), which needs a leg whose SDES keys are not in clear (TLS, or
 * srtp_keys_without_tls on the target or trunk): otherwise undefined, and the REFER is refused.
 * The new party gets a fresh key of ours, never the old one: a new SRTP context starts its rollover
 * counter at 0, and the same key with the same SSRC could repeat keystream (RFC 3711 §9.1).
 * A plain call takes the target's own policy (`srtp`, sips: → mandatory).
 */
export function referLegSrtp(permit: ReferPermit, current: { srtp?: unknown }, ctx: Pick<AcceptReferContext, 'trunk' | 'targets'>, via: ResolvedTarget | undefined): SrtpNegotiationOptions | undefined {
  const bare = permit.kind === 'uri' ? permit.uri.split(';')[0]!.toLowerCase() : '';
  const named = permit.kind === 'uri' ? Object.values(ctx.targets).find((t) => t.uri.split(';')[0]!.toLowerCase() === bare) : undefined;
  const secure = permit.kind === 'uri'
    ? signalledOverTls(permit.uri) || named?.srtp_keys_without_tls === true || ctx.trunk.srtp_keys_without_tls
    : ctx.trunk.srtp_keys_without_tls || signalledOverTls(ctx.trunk.outbound?.proxy ?? '');
  if (current.srtp) return secure ? { policy: 'mandatory', suites: ctx.trunk.srtp_suites } : undefined;
  if (permit.kind === 'number') return via?.srtp ?? { policy: 'off' };
  const policy = legSrtpPolicy(permit.uri, named?.srtp);
  return policy === 'off' || !secure ? { policy: 'off' } : { policy, suites: ctx.trunk.srtp_suites };
}

export function acceptRefer(req: Srf.SrfRequest, res: Srf.SrfResponse, oldDialog: Srf.Dialog, ctx: AcceptReferContext): void {
  const { call } = ctx;
  const referTo = req.get('Refer-To');
  const log = call.log.child({ refer: 'inbound' });
  if (!referTo) {
    log.info({ event: 'refer_refused', status: 400 }, 'REFER without Refer-To');
    return void res.send(400);
  }
  if (call.state !== 'answered') {
    log.info({ event: 'refer_refused', status: 491, state: call.state }, 'REFER while the call is busy');
    return void res.send(491);
  }
  const permit = referPermit(referTo, ctx.trunk.accept_refer.allow, ctx.trunk, ctx.targets);
  if (!permit) {
    log.warn({ event: 'refer_refused', status: 403, referTo }, 'REFER to a target accept_refer does not allow: 403');
    return void res.send(403);
  }
  let via: ResolvedTarget | undefined;
  try {
    if (permit.kind === 'number') via = resolveTarget(permit.number, { config: { transfer_targets: {} }, trunk: ctx.trunk, callerNumber: call.info.from, carrierAddress: ctx.carrierAddress });
  } catch (err) {
    log.warn({ event: 'refer_refused', status: 403, referTo, err }, 'REFER to a number the trunk cannot dial: 403');
    return void res.send(403);
  }
  const target = permit.kind === 'uri' ? permit.uri : via!.inviteUri;
  // Anchored, the caller's SRTP is rtpengine's (our side is plain): what the caller was sent says.
  const anchor = call.anchorId ? ctx.anchor : undefined;
  const inSrtp = anchor ? sdpHasCrypto(call.caller.media.sdp) : call.caller.media.srtp !== undefined;
  const srtp = referLegSrtp(permit, { srtp: inSrtp || undefined }, ctx, via);
  if (!srtp) {
    log.warn({ event: 'refer_refused', status: 403, referTo, reason: 'srtp_keys_in_clear' }, 'REFER of an SRTP call to a target not reached over TLS (and srtp_keys_without_tls not set): 403');
    return void res.send(403);
  }
  res.send(202);
  log.info({ event: 'refer_accepted', referTo: target }, 'REFER accepted: calling the new target');
  call.to('transferring');

  // RFC 3515 §2.4.4/§2.4.5: NOTIFYs in the REFER's dialog, Event: refer (id only for later REFERs).
  const cseq = String(req.get('CSeq') ?? '').split(/\s+/)[0];
  const notify = (status: number, reason: string, terminated: boolean): void => {
    oldDialog.request({
      method: 'NOTIFY',
      headers: {
        Event: `refer;id=${cseq}`,
        'Subscription-State': terminated ? 'terminated;reason=noresource' : 'active;expires=60',
        'Content-Type': 'message/sipfrag;version=2.0',
      },
      body: sipfragBody(status, reason),
    } as unknown as Srf.SrfRequest, (err: unknown) => { if (err) log.debug({ err }, 'NOTIFY not sent (dialog gone)'); });
  };
  notify(100, 'Trying', false);

  // The new party gets the call's own media port and codec: the session only changes its remote.
  // Anchored, it gets its own rtpengine call (our side plain, its side in `srtp`), so it too sees
  // only rtpengine's address; the old party's rtpengine call is deleted once the new one answers.
  const current = call.caller.media;
  const offer = createOffer({ codecs: [current.codec.name], localAddress: ctx.sdpAddress, localPort: call.session.localPort, ptime: current.ptime, origin: current.origin, srtp: anchor ? { policy: 'off' } : srtp });
  const anchorId = anchor ? `${call.info.callId}-refer${cseq}` : undefined;
  let sentRinging = false;
  let invite: Srf.SrfRequest | undefined;
  // Never wait for ever: the new party gets the ring time of a transfer, then CANCEL (→ 487 sipfrag).
  const ring = setTimeout(() => invite?.cancel(() => undefined), RING_TIMEOUT_MS);
  const stopRing = call.onTeardown(() => { clearTimeout(ring); invite?.cancel(() => undefined); });
  const localSdp = anchor ? anchor.offerOutward(anchorId!, offer.sdp, { srtp: srtp.policy, suites: srtp.suites }, { record: ctx.trunk.record }) : Promise.resolve(offer.sdp);
  let sent = offer.sdp;
  void localSdp.then((sdp) => {
    sent = sdp;
    return ctx.srf.createUAC(target, {
      localSdp: sdp, headers: { 'Referred-By': req.get('Referred-By') ?? '' },
      ...(via?.proxy ? { proxy: via.proxy } : {}), ...(via?.auth ? { auth: via.auth } : {}),
    }, {
      cbRequest: ((a: unknown, b?: Srf.SrfRequest) => { invite = b ?? (a as Srf.SrfRequest | undefined); }) as (req: Srf.SrfRequest) => void,
      cbProvisional: (p) => {
        if (p.status >= 180 && !sentRinging) { sentRinging = true; notify(p.status, p.reason ?? 'Ringing', false); }
      },
    });
  }).finally(() => { clearTimeout(ring); stopRing(); }).then(async (dialog) => {
    if (call.ended) {
      dialog.destroy();
      if (anchor) await anchor.delete(anchorId!);
      notify(487, 'Request Terminated', true);
      return;
    }
    try {
      const negotiated = applyAnswer(offer, anchor ? await anchor.answerInward(anchorId!, dialog.remote.sdp) : dialog.remote.sdp);
      call.session.updateRemote(negotiated);
      // Later re-INVITEs of the new party start from what was agreed with it (its SRTP keys too).
      call.caller.media = { ...negotiated, sdp: sent, origin: offer.origin };
    } catch (err) {
      log.warn({ event: 'refer_target_sdp', err }, 'new target answered with unusable SDP');
      dialog.destroy();
      if (anchor) await anchor.delete(anchorId!);
      notify(488, 'Not Acceptable Here', true);
      call.to('answered');
      return;
    }
    if (anchor) {
      const previous = call.anchorId!;
      call.anchorId = anchorId;
      const stats = await anchor.delete(previous);
      log.info({ event: 'refer_anchored', rtpengine: stats, anchorId }, 'the new party is anchored in rtpengine; the old party\'s rtpengine call is deleted');
    }
    notify(200, 'OK', true);
    // The old leg's end is now expected, not a hang-up.
    oldDialog.removeAllListeners('destroy');
    oldDialog.on('destroy', () => log.info({ event: 'refer_old_leg_ended' }, 'transferor ended the old leg'));
    const grace = setTimeout(() => { if ((oldDialog as unknown as { connected?: boolean }).connected) oldDialog.destroy(); }, OLD_DIALOG_GRACE_MS);
    call.onTeardown(() => clearTimeout(grace));
    ctx.adoptDialog(dialog);
    call.to('answered');
    log.info({ event: 'refer_completed', referTo: target }, 'REFER completed: the call continues with the new party');
  }, async (err: { status?: number; reason?: string }) => {
    if (anchor) await anchor.delete(anchorId!);
    const status = err.status ?? 500;
    const warning = warningText(err);
    log.info({ event: 'refer_target_failed', status, ...(warning ? { reason: warning } : {}) }, `new target not reached (${status}${warning ? `: ${warning}` : ''}): the call stays`);
    notify(status, err.reason ?? 'Failed', true);
    if (!call.ended) call.to('answered');
  });
}
