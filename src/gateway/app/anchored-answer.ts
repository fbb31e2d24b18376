/**
 * Answering a caller's offer through rtpengine (media.anchor: rtpengine): the offer goes through
 * rtpengine's `offer`, our media engine answers rtpengine's inner side, and our answer goes through
 * `answer`; the caller gets rtpengine's SDP (its address, and its SDES keys for an SRTP caller:
 * rtpengine does SRTP ↔ RTP, the inner leg is plain RTP). The returned answer's `sdp` is the one
 * for the caller. A failure after the offer deletes the call in rtpengine.
 */
import type Srf from 'drachtio-srf';
import type { RtpengineAnchor } from '../../media/anchor/rtpengine.js';
import type { SdpAnswer } from '../../media/sdp/types.js';
import type { MediaEngine, SessionStartOptions } from '../../media/session/engine.js';
import type { MediaSession } from '../../media/session/types.js';
import type { CodecName, SrtpNegotiationOptions } from '../../media/sdp/types.js';
import { checkOfferPolicy } from '../../media/sdp/negotiate.js';

export async function anchoredAnswer(anchor: RtpengineAnchor, engine: MediaEngine, req: Srf.SrfRequest, offer: string, options: SessionStartOptions & { codecs: CodecName[]; srtp: SrtpNegotiationOptions; record?: boolean }): Promise<{ answer: SdpAnswer; session: MediaSession }> {
  // The trunk's SRTP policy holds for the caller's leg, which rtpengine terminates: check it here.
  checkOfferPolicy(offer, options.srtp);
  const { srtp: _callerLeg, record, ...innerOptions } = options;
  const callId = req.get('Call-ID');
  const inner = await anchor.offer(callId, offer, { record: record === true });
  let session: MediaSession | undefined;
  try {
    const r = await engine.answer(inner, innerOptions);
    session = r.session;
    const outer = await anchor.answer(callId, r.answer.sdp);
    return { answer: { ...r.answer, sdp: outer }, session: r.session };
  } catch (err) {
    await session?.close('rtpengine answer failed');
    await anchor.delete(callId);
    throw err;
  }
}
