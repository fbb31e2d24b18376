/**
 * `transfer.media: direct` for a call anchored in rtpengine (media.anchor: rtpengine): the caller's
 * media already terminates in rtpengine, so instead of re-INVITEing the caller (which would take
 * the call out of the anchor, and its SRTP, recording and public address with it) the human is
 * re-INVITEd with rtpengine's inner side and rtpengine's inner leg is re-answered with the human's
 * SDP. Caller ↔ human audio then flows through rtpengine alone; trunkgate's media engine is out of
 * the path and its ports can be freed. The caller sees no re-INVITE (rtpengine keeps its ports).
 */
import type Srf from 'drachtio-srf';
import { parse, write } from 'sdp-transform';
import type { Logger } from '../../log.js';
import type { RtpengineAnchor } from '../../media/anchor/rtpengine.js';
import type { NegotiatedMedia } from '../../media/sdp/types.js';
import type { SrtpSuiteName } from '../../media/srtp/suites.js';
import { reoffer } from './direct-media.js';

/**
 * rtpengine's inner offer narrowed to what the caller agreed with us (the codec and
 * telephone-event payload types of `agreed`): the human may only answer with what the caller sends.
 */
export function narrowToAgreed(inner: string, agreed: Pick<NegotiatedMedia, 'codec' | 'telephoneEvent'>): string {
  const sdp = parse(inner);
  const keep = new Set([agreed.codec.payloadType, ...(agreed.telephoneEvent ? [agreed.telephoneEvent.payloadType] : [])]);
  for (const m of sdp.media) {
    if (m.type !== 'audio') continue;
    m.payloads = String(m.payloads).split(/\s+/).filter((p) => keep.has(Number(p))).join(' ');
    m.rtp = m.rtp.filter((r) => keep.has(r.payload));
    if (m.fmtp) m.fmtp = m.fmtp.filter((f) => keep.has(f.payload));
  }
  return write(sdp);
}

/**
 * Moves a bridged, anchored call's media to rtpengine alone. Resolves true when the human was
 * re-INVITEd and rtpengine re-pointed; false (the relay stays) when the human refused or rtpengine
 * did not take the new answer — then the human is put back on trunkgate's relay.
 *
 * A human whose leg is in SRTP (`humanSrtp`: its suite) stays in SRTP: rtpengine first re-offers
 * its inner side as RTP/SAVP with its own SDES key in that suite, so it does SRTP toward the human
 * as it does toward the caller; if that fails, the inner side goes back to plain RTP for our engine.
 */
export async function anchoredDirectMedia(anchor: RtpengineAnchor, callId: string, agreed: Pick<NegotiatedMedia, 'codec' | 'telephoneEvent'>, human: Srf.Dialog, log: Logger, humanSrtp?: SrtpSuiteName): Promise<boolean> {
  if (!anchor.anchored(callId)) return false;
  const ours = anchor.ourSdp(callId);
  const restore = async (): Promise<void> => {
    if (humanSrtp && ours) await anchor.reofferInward(callId, { srtp: 'off' }).then(() => anchor.repoint(callId, ours)).catch(() => undefined);
  };
  let inner: string | undefined;
  try {
    inner = humanSrtp ? await anchor.reofferInward(callId, { srtp: 'mandatory', suites: [humanSrtp] }) : anchor.innerOffer(callId);
  } catch (err) {
    log.warn({ event: 'direct_media_refused', leg: 'rtpengine', err }, 'rtpengine did not offer SRTP toward the human: keeping the relay');
    await restore();
    return false;
  }
  if (!inner) return false;
  const humanLocal = human.local.sdp;
  let humanAnswer: string;
  try {
    humanAnswer = await human.modify(reoffer(narrowToAgreed(inner, agreed), humanLocal));
  } catch (err) {
    log.warn({ event: 'direct_media_refused', leg: 'human', status: (err as { status?: number }).status }, 'human refused the re-INVITE to rtpengine: keeping the relay');
    await restore();
    return false;
  }
  try {
    await anchor.repoint(callId, humanAnswer);
  } catch (err) {
    log.warn({ event: 'direct_media_refused', leg: 'rtpengine', err }, 'rtpengine did not take the human\'s answer: human back on the relay');
    await human.modify(reoffer(humanLocal, human.local.sdp)).catch(() => undefined);
    await restore();
    return false;
  }
  log.info({ event: 'direct_media', via: 'rtpengine', ...(humanSrtp ? { srtp: humanSrtp } : {}) }, 'media now flows caller ↔ human through rtpengine alone');
  return true;
}

/**
 * A re-offer from the caller (hold, a new address) once its media flows to the human through
 * rtpengine: rtpengine re-offers its inner side (its ports may move), the human gets that as a
 * re-INVITE (RFC 3264 §8), and its answer goes back through rtpengine. Returns the caller's answer.
 */
export async function forwardAnchoredReoffer(anchor: RtpengineAnchor, anchorId: string, offer: string, agreed: Pick<NegotiatedMedia, 'codec' | 'telephoneEvent'>, human: Srf.Dialog): Promise<string> {
  const inner = await anchor.reoffer(anchorId, offer);
  const humanAnswer = await human.modify(reoffer(narrowToAgreed(inner, agreed), human.local.sdp));
  return anchor.reanswer(anchorId, humanAnswer);
}
