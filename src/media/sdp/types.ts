/**
 * The result of SDP offer/answer (RFC 3264) for the one audio stream a call carries. The call
 * layer negotiates with ./negotiate.ts and hands the result to `createMediaSession`.
 */

import type { SrtpKeys } from '../srtp/session.js';
import type { SrtpSuiteName } from '../srtp/suites.js';

/** Audio codecs trunkgate speaks; names as written in a=rtpmap (RFC 3551 §6, RFC 7587). */
export type CodecName = 'PCMU' | 'PCMA' | 'G722' | 'opus';

/** RFC 3264 §5.1 / RFC 4566 §6 media direction attributes. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface RtpAddress {
  address: string;
  port: number;
}

export interface NegotiatedCodec {
  name: CodecName;
  /** The payload type number as the offerer numbered it (RFC 3264 §6.1: the answer keeps it). */
  payloadType: number;
  /** RTP clock rate from a=rtpmap: 8000 for G.722 (RFC 3551 §4.5.2), 48000 for Opus. */
  clockRate: number;
  channels: number;
  /** a=fmtp parameters of the chosen format, if any. */
  fmtp?: string;
}

/** RFC 4733 telephone-event as negotiated, at the clock rate matching the codec. */
export interface NegotiatedTelephoneEvent {
  payloadType: number;
  clockRate: number;
}

/** Everything a MediaSession needs from the negotiation. */
export interface NegotiatedMedia {
  codec: NegotiatedCodec;
  telephoneEvent?: NegotiatedTelephoneEvent;
  /** Packetization time in ms (a=ptime of the offer if given, else 20). */
  ptime: number;
  /** Our direction, as written in our SDP (answer or offer). */
  direction: MediaDirection;
  /** The peer's direction as written in its SDP (a c=0.0.0.0 hold reads as `sendonly`). */
  remoteDirection: MediaDirection;
  /** True when the peer put the call on hold (sendonly/inactive, or the RFC 2543 c=0.0.0.0 form). */
  remoteHold: boolean;
  /** Where to send RTP until symmetric RTP latches onto the real source. */
  remote: RtpAddress;
  /** Where to send RTCP (port+1 unless a=rtcp or rtcp-mux says otherwise). */
  remoteRtcp: RtpAddress;
  /** RFC 5761: RTP and RTCP share one port. */
  rtcpMux: boolean;
  /** SRTP keys agreed with SDES (RFC 4568); absent for plain RTP. */
  srtp?: SrtpKeys;
}

/**
 * SRTP with SDES keys in offer/answer. `off`: plain RTP only (an RTP/SAVP offer is refused);
 * `optional`: SRTP when the peer offers or accepts a=crypto, plain RTP otherwise; `mandatory`:
 * SRTP or the negotiation fails (SdpError SDP_SRTP_REQUIRED → 488).
 */
export type SrtpPolicy = 'off' | 'optional' | 'mandatory';

export interface SrtpNegotiationOptions {
  policy: SrtpPolicy;
  /** Suites we accept, most preferred first (default AES_CM_128_HMAC_SHA1_80, then _32). */
  suites?: SrtpSuiteName[];
  /** Our master key || salt to keep (a re-offer or re-answer in a session, RFC 4568 §7.1.4). */
  localKey?: string;
}

/** RFC 4566 §5.2 o= line; kept per call so re-offers bump only the version (RFC 3264 §8). */
export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: number;
  address: string;
}

/** `negotiateAnswer` result: the answer SDP text plus what was agreed. */
export interface SdpAnswer extends NegotiatedMedia {
  sdp: string;
  origin: SdpOrigin;
}

export interface NegotiateAnswerOptions {
  /** Codecs we accept, most preferred first. */
  codecs: CodecName[];
  /** Address written in c= of our answer. */
  localAddress: string;
  /** Our RTP port (from the PortAllocator). */
  localPort: number;
  /** Accept RFC 4733 telephone-event if offered (default true). */
  dtmf?: boolean;
  /** Our preferred ptime if the offer has none (default 20). */
  ptime?: number;
  /** Answering a re-offer in an existing session: reuse this o= line with version + 1. */
  origin?: SdpOrigin;
  /** We hold the call: answer sendrecv offers with sendonly (or recvonly with inactive). */
  hold?: boolean;
  /** SRTP policy (default: off). */
  srtp?: SrtpNegotiationOptions;
}

export interface CreateOfferOptions {
  codecs: CodecName[];
  localAddress: string;
  localPort: number;
  dtmf?: boolean;
  ptime?: number;
  /** Direction to offer (default sendrecv; sendonly to hold the peer, RFC 3264 §8.4). */
  direction?: MediaDirection;
  /** Offer a=rtcp-mux (default false: carriers rarely support it). */
  rtcpMux?: boolean;
  /** Re-offer in an existing session: same o= session id, version + 1 (RFC 3264 §8). */
  origin?: SdpOrigin;
  /** SRTP policy (default: off). `optional` offers RTP/AVP with a=crypto, `mandatory` RTP/SAVP. */
  srtp?: SrtpNegotiationOptions;
}

/** `createOffer` result. Hand the peer's answer to `applyAnswer(offer, answerSdp)`. */
export interface SdpOffer {
  sdp: string;
  origin: SdpOrigin;
  /** What we offered, in order, with the payload types we chose. */
  codecs: NegotiatedCodec[];
  telephoneEvents: NegotiatedTelephoneEvent[];
  ptime: number;
  direction: MediaDirection;
  rtcpMux: boolean;
  /** The a=crypto lines we offered (all with our one key), and the policy they came from. */
  crypto?: { policy: SrtpPolicy; key: string; offered: { tag: number; suite: SrtpSuiteName }[] };
}
