/**
 * `transfer.media: direct`: once caller and human are bridged, each side is re-INVITEd with the
 * other's media description (RFC 3264 §8: a new offer in the existing session — our o= line with
 * its version bumped, the peer's c=/m= lines), so RTP flows caller ↔ human and leaves trunkgate.
 * The caller answers first; its answer becomes the human's offer. A side that refuses (488: no codec
 * in common, e.g. G.722 caller and PCMU human) keeps the relay, which transcodes.
 */
import type Srf from 'drachtio-srf';
import { parse, write } from 'sdp-transform';
import type { Logger } from '../../log.js';

/** `remote`'s media with our origin (RFC 3264 §8: same session id, version + 1). */
export function reoffer(remote: string, ours: string): string {
  const r = parse(remote);
  const o = parse(ours).origin;
  if (o) r.origin = { ...o, sessionVersion: Number(o.sessionVersion) + 1 };
  return write(r);
}

/**
 * Moves the media of a bridged call off trunkgate. Resolves true when both legs were re-INVITEd;
 * false (and the relay stays) when the caller refused; when only the human refused, the caller is
 * put back on trunkgate's address.
 */
export async function directMedia(caller: Srf.Dialog, human: Srf.Dialog, log: Logger): Promise<boolean> {
  const callerLocal = caller.local.sdp;
  let callerAnswer: string;
  try {
    callerAnswer = await caller.modify(reoffer(human.remote.sdp, callerLocal));
  } catch (err) {
    log.warn({ event: 'direct_media_refused', leg: 'caller', status: (err as { status?: number }).status }, 'caller refused the re-INVITE to direct media: keeping the relay');
    return false;
  }
  try {
    await human.modify(reoffer(callerAnswer, human.local.sdp));
  } catch (err) {
    log.warn({ event: 'direct_media_refused', leg: 'human', status: (err as { status?: number }).status }, 'human refused the re-INVITE to direct media: caller back on the relay');
    await caller.modify(reoffer(callerLocal, caller.local.sdp)).catch(() => undefined);
    return false;
  }
  log.info({ event: 'direct_media' }, 'media now flows caller ↔ human directly');
  return true;
}

/**
 * A re-offer from the caller once media flows caller ↔ human directly: passed on to the human as
 * a re-INVITE (RFC 3264 §8), and the human's answer becomes the caller's (with our origin in each).
 */
export async function forwardReoffer(offer: string, caller: Srf.Dialog, human: Srf.Dialog): Promise<string> {
  const humanAnswer = await human.modify(reoffer(offer, human.local.sdp));
  return reoffer(humanAnswer, caller.local.sdp);
}
