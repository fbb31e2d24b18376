/**
 * SRTP in offer/answer: RTP/SAVP (RFC 3711 §12) and SDES a=crypto (RFC 4568 §7). Which audio
 * stream of an offer we can take under a trunk's policy, the a=crypto of our answer, the a=crypto
 * lines of our offer, and the keys an answer agrees to.
 *
 * `optional` also takes and makes "best-effort" offers — RTP/AVP carrying a=crypto — as baresip
 * (`mediaenc=srtp`), Asterisk and FreeSWITCH do: a peer without SRTP ignores the attribute.
 */
import type { MediaDescription } from 'sdp-transform';
import { cryptoAttribute, newMasterKey, readCryptoAttribute, type CryptoAttribute } from '../srtp/sdes.js';
import type { SrtpKeys } from '../srtp/session.js';
import type { SrtpSuiteName } from '../srtp/suites.js';
import { SdpError } from './errors.js';
import type { SdpOffer, SrtpNegotiationOptions, SrtpPolicy } from './types.js';

const PLAIN = new Set(['RTP/AVP', 'RTP/AVPF']);
const SECURE = new Set(['RTP/SAVP', 'RTP/SAVPF']);
const DEFAULT_SUITES: SrtpSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

/** The first a=crypto of the offer whose suite we accept (RFC 4568 §7.1.1: in the offerer's order). */
function acceptableCrypto(m: MediaDescription, suites: SrtpSuiteName[]): CryptoAttribute | undefined {
  for (const a of m.crypto ?? []) {
    const c = readCryptoAttribute(a);
    if (c && suites.includes(c.suite)) return c;
  }
  return undefined;
}

export interface ChosenStream {
  index: number;
  /** The peer's a=crypto we answer; undefined for plain RTP. */
  crypto: CryptoAttribute | undefined;
}

/**
 * The audio stream we answer: the first one with a non-zero port and a profile the policy takes.
 * Throws SdpError SDP_SRTP_REQUIRED when `mandatory` finds no stream with a usable a=crypto, and
 * SDP_MEDIA_REJECTED / SDP_NO_AUDIO as before otherwise.
 */
export function chooseStream(media: MediaDescription[], srtp: SrtpNegotiationOptions | undefined): ChosenStream {
  const policy: SrtpPolicy = srtp?.policy ?? 'off';
  const suites = srtp?.suites ?? DEFAULT_SUITES;
  let fallback: ChosenStream | undefined;
  for (const [index, m] of media.entries()) {
    if (m.type !== 'audio' || m.port === 0) continue;
    const plain = PLAIN.has(m.protocol);
    if (!plain && !SECURE.has(m.protocol)) continue;
    if (policy === 'off') {
      if (plain) return { index, crypto: undefined };
      continue;
    }
    const crypto = acceptableCrypto(m, suites);
    if (crypto) return { index, crypto };
    // RFC 4568 §7.1.2: RTP/SAVP without a usable a=crypto cannot be accepted.
    if (policy === 'optional' && plain) fallback ??= { index, crypto: undefined };
  }
  if (fallback) return fallback;
  const audio = media.filter((m) => m.type === 'audio');
  if (audio.length === 0) throw new SdpError('SDP_NO_AUDIO', 'offer has no usable audio stream');
  if (policy === 'mandatory') throw new SdpError('SDP_SRTP_REQUIRED', 'SRTP is mandatory on this trunk and the offer has no usable a=crypto (AES_CM_128_HMAC_SHA1_80/_32)');
  throw new SdpError('SDP_MEDIA_REJECTED', 'offer has no usable audio stream');
}

/** Our a=crypto in the answer (same tag and suite as the peer's, our key) and the agreed keys. */
export function answerCrypto(peer: CryptoAttribute, srtp: SrtpNegotiationOptions | undefined): { attribute: NonNullable<MediaDescription['crypto']>[number]; keys: SrtpKeys } {
  const localKey = srtp?.localKey ?? newMasterKey(peer.suite);
  return {
    attribute: cryptoAttribute({ tag: peer.tag, suite: peer.suite, key: localKey }),
    keys: { suite: peer.suite, localKey, remoteKey: peer.key },
  };
}

/** The profile and a=crypto lines of our offer; undefined crypto for `off`. */
export function offerCrypto(srtp: SrtpNegotiationOptions | undefined): { protocol: string; crypto: SdpOffer['crypto'] } {
  const policy = srtp?.policy ?? 'off';
  if (policy === 'off') return { protocol: 'RTP/AVP', crypto: undefined };
  const suites = srtp?.suites ?? DEFAULT_SUITES;
  const key = srtp?.localKey ?? newMasterKey(suites[0]!);
  return {
    protocol: policy === 'mandatory' ? 'RTP/SAVP' : 'RTP/AVP',
    crypto: { policy, key, offered: suites.map((suite, i) => ({ tag: i + 1, suite })) },
  };
}

export function offerCryptoAttributes(crypto: NonNullable<SdpOffer['crypto']>): NonNullable<MediaDescription['crypto']> {
  return crypto.offered.map((o) => cryptoAttribute({ tag: o.tag, suite: o.suite, key: crypto.key }));
}

/** The keys the answer agrees to (RFC 4568 §7.1.3: one a=crypto with a tag we offered). */
export function answeredKeys(offer: SdpOffer, m: MediaDescription): SrtpKeys | undefined {
  const crypto = offer.crypto;
  if (crypto) {
    for (const a of m.crypto ?? []) {
      const c = readCryptoAttribute(a);
      if (c && crypto.offered.some((o) => o.tag === c.tag && o.suite === c.suite)) return { suite: c.suite, localKey: crypto.key, remoteKey: c.key };
    }
  }
  if (crypto?.policy === 'mandatory' || SECURE.has(m.protocol)) {
    throw new SdpError('SDP_SRTP_REQUIRED', 'the answer accepts none of the offered a=crypto suites');
  }
  return undefined;
}
