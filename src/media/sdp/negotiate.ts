/**
 * SDP offer/answer for one audio stream (RFC 3264, SDP per RFC 4566, parsed with sdp-transform).
 *
 * - negotiateAnswer: we are the answerer (INVITE with SDP, or a re-INVITE offer).
 * - createOffer + applyAnswer: we are the offerer (late offer: 200 OK carries our offer and the
 *   ACK the answer; or a re-INVITE we originate for hold/unhold, RFC 3264 §8).
 */
import { randomInt } from 'node:crypto';
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { NoCommonCodecError, SdpError } from './errors.js';
import { answerCrypto, answeredKeys, chooseStream, offerCrypto, offerCryptoAttributes } from './srtp.js';
import { CODEC_RTP, formatIs, isTelephoneEvent, mediaFormats, type PayloadFormat } from './formats.js';
import type {
  CodecName, CreateOfferOptions, MediaDirection, NegotiateAnswerOptions, NegotiatedCodec, NegotiatedMedia,
  NegotiatedTelephoneEvent, RtpAddress, SdpAnswer, SdpOffer, SdpOrigin, SrtpNegotiationOptions,
} from './types.js';

const DEFAULT_PTIME = 20;

function parseSdp(text: string): SessionDescription {
  let sdp: SessionDescription;
  try {
    sdp = parse(text);
  } catch (err) {
    throw new SdpError('SDP_INVALID', `unparseable SDP: ${(err as Error).message}`);
  }
  if (!Array.isArray(sdp.media) || sdp.media.length === 0) throw new SdpError('SDP_NO_AUDIO', 'SDP has no m= line');
  return sdp;
}

/** RFC 4566 §6: direction at media level overrides session level; default sendrecv. */
function directionOf(sdp: SessionDescription, m: MediaDescription): MediaDirection {
  return m.direction ?? sdp.direction ?? 'sendrecv';
}

function connectionOf(sdp: SessionDescription, m: MediaDescription): string | undefined {
  return m.connection?.ip ?? sdp.connection?.ip;
}

/**
 * RFC 3264 §8.4 and the older RFC 2543 form: c=0.0.0.0 means "do not send to me" (hold).
 * We read it as sendonly (or inactive if the stream was already recvonly/inactive).
 */
function effectiveRemoteDirection(dir: MediaDirection, address: string | undefined): MediaDirection {
  if (address !== '0.0.0.0') return dir;
  if (dir === 'sendrecv' || dir === 'sendonly') return 'sendonly';
  return 'inactive';
}

/** RFC 3264 §6.1: the answer's direction mirrors the offer's; `hold` removes our sending. */
function answerDirection(offered: MediaDirection, hold: boolean): MediaDirection {
  const mirrored: MediaDirection = offered === 'sendonly' ? 'recvonly' : offered === 'recvonly' ? 'sendonly' : offered;
  if (!hold) return mirrored;
  if (mirrored === 'sendrecv') return 'sendonly';
  if (mirrored === 'recvonly') return 'inactive';
  return mirrored;
}

function isHold(dir: MediaDirection): boolean {
  return dir === 'sendonly' || dir === 'inactive';
}

function remoteRtcpOf(m: MediaDescription, remote: RtpAddress, mux: boolean): RtpAddress {
  if (mux) return remote;
  // RFC 3605 a=rtcp:port [IN IP4 addr]; otherwise RTP port + 1 (RFC 3550 §11).
  if (m.rtcp?.port) return { address: m.rtcp.address ?? remote.address, port: m.rtcp.port };
  return { address: remote.address, port: remote.port + 1 };
}

function toCodec(name: CodecName, f: PayloadFormat): NegotiatedCodec {
  return { name, payloadType: f.payloadType, clockRate: f.clockRate, channels: f.channels, ...(f.fmtp !== undefined ? { fmtp: f.fmtp } : {}) };
}

/** Pick the telephone-event format whose clock matches the codec's RTP clock (RFC 4733 §2.5.1.1). */
function matchTelephoneEvent(formats: PayloadFormat[], clockRate: number): NegotiatedTelephoneEvent | undefined {
  const te = formats.find((f) => isTelephoneEvent(f) && f.clockRate === clockRate);
  return te ? { payloadType: te.payloadType, clockRate: te.clockRate } : undefined;
}

function newOrigin(address: string): SdpOrigin {
  // RFC 4566 §5.2: sess-id and sess-version should be NTP-format timestamps; any unique number does.
  return { username: 'trunkgate', sessionId: String(randomInt(1, 2 ** 47)), sessionVersion: randomInt(1, 2 ** 31), address };
}

/** RFC 3264 §8: a modified description keeps o= session id and increments the version by one. */
function nextOrigin(prev: SdpOrigin | undefined, address: string): SdpOrigin {
  return prev ? { ...prev, sessionVersion: prev.sessionVersion + 1, address } : newOrigin(address);
}

function ipVer(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

function rtpmapOf(f: { payloadType: number; encoding: string; clockRate: number; channels: number }):
  { payload: number; codec: string; rate: number; encoding?: number } {
  return { payload: f.payloadType, codec: f.encoding, rate: f.clockRate, ...(f.channels > 1 ? { encoding: f.channels } : {}) };
}

function sessionSkeleton(origin: SdpOrigin, localAddress: string): SessionDescription {
  return {
    version: 0,
    origin: { username: origin.username, sessionId: origin.sessionId, sessionVersion: origin.sessionVersion, netType: 'IN', ipVer: ipVer(origin.address), address: origin.address },
    name: 'trunkgate',
    connection: { version: ipVer(localAddress), ip: localAddress },
    timing: { start: 0, stop: 0 },
    media: [],
  };
}

/** RFC 3264 §6: a rejected stream keeps its place in the answer with port 0. */
function rejectedMedia(m: MediaDescription): MediaDescription {
  const pts = String(m.payloads ?? '').trim() || '0';
  return { type: m.type, port: 0, protocol: m.protocol, payloads: pts, rtp: [], fmtp: [] };
}

/**
 * Answer an offer. Uses the first audio m= line with a non-zero port and a profile the SRTP
 * policy takes (./srtp.ts: RTP/AVP(F), and RTP/SAVP(F) with a usable a=crypto); every other m= line
 * is rejected with port 0. Throws NoCommonCodecError / SdpError (→ 488).
 */
export function negotiateAnswer(offerSdp: string, options: NegotiateAnswerOptions): SdpAnswer {
  const offer = parseSdp(offerSdp);
  const { index: chosenIndex, crypto: peerCrypto } = chooseStream(offer.media, options.srtp);
  const secured = peerCrypto ? answerCrypto(peerCrypto, options.srtp) : undefined;
  const m = offer.media[chosenIndex]!;
  const formats = mediaFormats(m);
  let codec: NegotiatedCodec | undefined;
  for (const name of options.codecs) {
    const f = formats.find((x) => formatIs(x, name));
    if (f) { codec = toCodec(name, f); break; }
  }
  if (!codec) throw new NoCommonCodecError(formats.map((f) => `${f.encoding}/${f.clockRate}`), options.codecs);

  const telephoneEvent = options.dtmf === false ? undefined : matchTelephoneEvent(formats, codec.clockRate);
  const ptime = m.ptime ?? options.ptime ?? DEFAULT_PTIME;
  const address = connectionOf(offer, m);
  if (!address) throw new SdpError('SDP_INVALID', 'offer has no c= line for the audio stream');
  const remoteDirection = effectiveRemoteDirection(directionOf(offer, m), address);
  const direction = answerDirection(remoteDirection, options.hold ?? false);
  const rtcpMux = m.rtcpMux === 'rtcp-mux';
  const remote = { address, port: m.port };
  const origin = nextOrigin(options.origin, options.localAddress);

  const answer = sessionSkeleton(origin, options.localAddress);
  const chosenFormats = [{ payloadType: codec.payloadType, encoding: formats.find((f) => f.payloadType === codec.payloadType)!.encoding, clockRate: codec.clockRate, channels: codec.channels }];
  const fmtp: { payload: number; config: string }[] = [];
  if (codec.fmtp !== undefined && codec.name === 'opus') fmtp.push({ payload: codec.payloadType, config: codec.fmtp });
  if (telephoneEvent) {
    chosenFormats.push({ payloadType: telephoneEvent.payloadType, encoding: 'telephone-event', clockRate: telephoneEvent.clockRate, channels: 1 });
    fmtp.push({ payload: telephoneEvent.payloadType, config: formats.find((f) => f.payloadType === telephoneEvent.payloadType)?.fmtp ?? '0-16' });
  }
  answer.media = offer.media.map((om, i) => {
    if (i !== chosenIndex) return rejectedMedia(om);
    const am: MediaDescription = {
      type: 'audio',
      port: options.localPort,
      protocol: m.protocol,
      payloads: chosenFormats.map((f) => f.payloadType).join(' '),
      rtp: chosenFormats.map(rtpmapOf),
      fmtp,
      ptime,
      direction,
    };
    if (rtcpMux) am.rtcpMux = 'rtcp-mux';
    if (secured) am.crypto = [secured.attribute];
    return am;
  });

  return {
    sdp: write(answer),
    origin,
    codec,
    ...(telephoneEvent ? { telephoneEvent } : {}),
    ptime,
    direction,
    remoteDirection,
    remoteHold: isHold(remoteDirection),
    remote,
    remoteRtcp: remoteRtcpOf(m, remote, rtcpMux),
    rtcpMux,
    ...(secured ? { srtp: secured.keys } : {}),
  };
}

/** Payload types we use when we are the offerer (RFC 3551 static ones, dynamic for the rest). */
const OFFER_PT: Record<CodecName, number> = { PCMU: 0, PCMA: 8, G722: 9, opus: 111 };
const TE_PT: Record<number, number> = { 8000: 101, 48000: 110 };

/** Build an offer (late offer in 200 OK, or a re-INVITE we originate; pass `origin` then). */
export function createOffer(options: CreateOfferOptions): SdpOffer {
  if (options.codecs.length === 0) throw new NoCommonCodecError([], []);
  const codecs: NegotiatedCodec[] = options.codecs.map((name) => ({
    name, payloadType: OFFER_PT[name], clockRate: CODEC_RTP[name].clockRate, channels: CODEC_RTP[name].channels,
  }));
  const telephoneEvents: NegotiatedTelephoneEvent[] = [];
  if (options.dtmf !== false) {
    for (const rate of new Set(codecs.map((c) => c.clockRate))) telephoneEvents.push({ payloadType: TE_PT[rate]!, clockRate: rate });
  }
  const ptime = options.ptime ?? DEFAULT_PTIME;
  const direction = options.direction ?? 'sendrecv';
  const rtcpMux = options.rtcpMux ?? false;
  const origin = nextOrigin(options.origin, options.localAddress);
  const sdp = sessionSkeleton(origin, options.localAddress);
  const { protocol, crypto } = offerCrypto(options.srtp);
  const formats = [
    ...codecs.map((c) => ({ payloadType: c.payloadType, encoding: c.name, clockRate: c.clockRate, channels: c.channels })),
    ...telephoneEvents.map((t) => ({ payloadType: t.payloadType, encoding: 'telephone-event', clockRate: t.clockRate, channels: 1 })),
  ];
  const m: MediaDescription = {
    type: 'audio',
    port: options.localPort,
    protocol,
    payloads: formats.map((f) => f.payloadType).join(' '),
    rtp: formats.map(rtpmapOf),
    fmtp: telephoneEvents.map((t) => ({ payload: t.payloadType, config: '0-16' })),
    ptime,
    direction,
  };
  if (rtcpMux) m.rtcpMux = 'rtcp-mux';
  if (crypto) m.crypto = offerCryptoAttributes(crypto);
  sdp.media = [m];
  return { sdp: write(sdp), origin, codecs, telephoneEvents, ptime, direction, rtcpMux, ...(crypto ? { crypto } : {}) };
}

/** Our direction as constrained by the answer (RFC 3264 §6.1 table, seen from the offerer). */
function offererDirection(offered: MediaDirection, answered: MediaDirection): MediaDirection {
  const weSend = (offered === 'sendrecv' || offered === 'sendonly') && (answered === 'sendrecv' || answered === 'recvonly');
  const weRecv = (offered === 'sendrecv' || offered === 'recvonly') && (answered === 'sendrecv' || answered === 'sendonly');
  return weSend && weRecv ? 'sendrecv' : weSend ? 'sendonly' : weRecv ? 'recvonly' : 'inactive';
}

/**
 * Read the peer's answer to our offer. The answer's first payload type that we offered is the
 * codec (RFC 3264 §6.1: the answerer lists formats it will use, most preferred first).
 */
export function applyAnswer(offer: SdpOffer, answerSdp: string): NegotiatedMedia {
  const answer = parseSdp(answerSdp);
  const m = answer.media[0]!;
  if (m.type !== 'audio') throw new SdpError('SDP_NO_AUDIO', 'answer does not carry the offered audio stream');
  if (m.port === 0) throw new SdpError('SDP_MEDIA_REJECTED', 'answer rejected the audio stream (port 0)');
  const formats = mediaFormats(m);
  let codec: NegotiatedCodec | undefined;
  for (const f of formats) {
    const ours = offer.codecs.find((c) => formatIs(f, c.name));
    if (ours) { codec = toCodec(ours.name, f); break; }
  }
  if (!codec) throw new NoCommonCodecError(formats.map((f) => `${f.encoding}/${f.clockRate}`), offer.codecs.map((c) => c.name));
  const srtp = answeredKeys(offer, m);
  const telephoneEvent = offer.telephoneEvents.length > 0 ? matchTelephoneEvent(formats, codec.clockRate) : undefined;
  const address = connectionOf(answer, m);
  if (!address) throw new SdpError('SDP_INVALID', 'answer has no c= line for the audio stream');
  const remoteDirection = effectiveRemoteDirection(directionOf(answer, m), address);
  const rtcpMux = offer.rtcpMux && m.rtcpMux === 'rtcp-mux';
  const remote = { address, port: m.port };
  return {
    codec,
    ...(telephoneEvent ? { telephoneEvent } : {}),
    ptime: m.ptime ?? offer.ptime,
    direction: offererDirection(offer.direction, remoteDirection),
    remoteDirection,
    remoteHold: isHold(remoteDirection),
    remote,
    remoteRtcp: remoteRtcpOf(m, remote, rtcpMux),
    rtcpMux,
    ...(srtp ? { srtp } : {}),
  };
}

/**
 * Check an offer against an SRTP policy without answering it (the offer goes to rtpengine, which
 * answers the caller): throws SdpError SDP_SRTP_REQUIRED / SDP_MEDIA_REJECTED as negotiateAnswer would.
 */
export function checkOfferPolicy(offerSdp: string, srtp: SrtpNegotiationOptions | undefined): void {
  chooseStream(parseSdp(offerSdp).media, srtp);
}

/** What a re-INVITE's SDP says about the peer (address, direction, hold), without renegotiating codecs. */
export function readRemote(sdpText: string): Pick<NegotiatedMedia, 'remote' | 'remoteRtcp' | 'remoteDirection' | 'remoteHold' | 'rtcpMux'> {
  const sdp = parseSdp(sdpText);
  const m = sdp.media.find((x) => x.type === 'audio' && x.port !== 0);
  if (!m) throw new SdpError('SDP_NO_AUDIO', 'SDP has no active audio stream');
  const address = connectionOf(sdp, m);
  if (!address) throw new SdpError('SDP_INVALID', 'SDP has no c= line for the audio stream');
  const remoteDirection = effectiveRemoteDirection(directionOf(sdp, m), address);
  const rtcpMux = m.rtcpMux === 'rtcp-mux';
  const remote = { address, port: m.port };
  return { remote, remoteRtcp: remoteRtcpOf(m, remote, rtcpMux), remoteDirection, remoteHold: isHold(remoteDirection), rtcpMux };
}
