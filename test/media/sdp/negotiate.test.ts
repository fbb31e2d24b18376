import { describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { applyAnswer, createOffer, negotiateAnswer } from '../../../src/media/sdp/negotiate.js';
import { NoCommonCodecError, SdpError } from '../../../src/media/sdp/errors.js';
import type { CodecName } from '../../../src/media/sdp/types.js';

function offer(opts: { media?: string[]; c?: string; sessionAttrs?: string[] } = {}): string {
  const media = opts.media ?? [audio('0 8 101', ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'])];
  return ['v=0', 'o=carrier 1234 1 IN IP4 127.0.0.1', 's=-', `c=IN IP4 ${opts.c ?? '127.0.0.1'}`, 't=0 0',
    ...(opts.sessionAttrs ?? []), ...media].join('\r\n') + '\r\n';
}

function audio(pts: string, attrs: string[] = [], port = 40000, proto = 'RTP/AVP'): string {
  return [`m=audio ${port} ${proto} ${pts}`, ...attrs].join('\r\n');
}

const base = { localAddress: '127.0.0.1', localPort: 30000 };
const ALL: CodecName[] = ['PCMU', 'PCMA', 'G722', 'opus'];

describe('negotiateAnswer (RFC 3264 §6)', () => {
  const table: { name: string; offer: string; codecs: CodecName[]; codec: CodecName; pt: number; te?: { pt: number; rate: number } }[] = [
    { name: 'PCMU only', offer: offer({ media: [audio('0')] }), codecs: ALL, codec: 'PCMU', pt: 0 },
    { name: 'PCMA only', offer: offer({ media: [audio('8')] }), codecs: ALL, codec: 'PCMA', pt: 8 },
    { name: 'G.722 preferred over G.711', offer: offer({ media: [audio('0 8 9')] }), codecs: ['G722', 'PCMU'], codec: 'G722', pt: 9 },
    { name: 'our preference order wins over the offer order', offer: offer({ media: [audio('0 9')] }), codecs: ['PCMA', 'G722', 'PCMU'], codec: 'G722', pt: 9 },
    {
      name: 'Opus with a dynamic payload type kept as offered',
      offer: offer({ media: [audio('96 0', ['a=rtpmap:96 opus/48000/2', 'a=fmtp:96 useinbandfec=1'])] }),
      codecs: ['opus', 'PCMU'], codec: 'opus', pt: 96,
    },
    {
      name: 'telephone-event at 8000 chosen for G.711 when 8000 and 48000 are offered',
      offer: offer({ media: [audio('0 96 97 98', ['a=rtpmap:96 opus/48000/2', 'a=rtpmap:97 telephone-event/48000', 'a=rtpmap:98 telephone-event/8000'])] }),
      codecs: ['PCMU'], codec: 'PCMU', pt: 0, te: { pt: 98, rate: 8000 },
    },
    {
      name: 'telephone-event at 48000 chosen for Opus',
      offer: offer({ media: [audio('120 0 97 98', ['a=rtpmap:120 opus/48000/2', 'a=rtpmap:97 telephone-event/48000', 'a=rtpmap:98 telephone-event/8000'])] }),
      codecs: ['opus'], codec: 'opus', pt: 120, te: { pt: 97, rate: 48000 },
    },
    {
      name: 'telephone-event at 8000 chosen for G.722 when 16000 is offered too (RFC 3551 G.722 clock is 8000)',
      offer: offer({ media: [audio('9 100 101', ['a=rtpmap:100 telephone-event/16000', 'a=rtpmap:101 telephone-event/8000'])] }),
      codecs: ['G722'], codec: 'G722', pt: 9, te: { pt: 101, rate: 8000 },
    },
    {
      name: 'dynamic telephone-event number kept as offered',
      offer: offer({ media: [audio('8 126', ['a=rtpmap:126 telephone-event/8000'])] }),
      codecs: ALL, codec: 'PCMA', pt: 8, te: { pt: 126, rate: 8000 },
    },
  ];
  for (const row of table) {
    it(`${row.name}: answers ${row.codec}/${row.pt}`, () => {
      const a = negotiateAnswer(row.offer, { ...base, codecs: row.codecs, dtmf: true });
      expect(a.codec.name).toBe(row.codec);
      expect(a.codec.payloadType).toBe(row.pt);
      expect(a.telephoneEvent ? { pt: a.telephoneEvent.payloadType, rate: a.telephoneEvent.clockRate } : undefined).toEqual(row.te);
      const sdp = parse(a.sdp);
      expect(sdp.media[0]!.port).toBe(30000);
      const pts = String(sdp.media[0]!.payloads).split(' ').map(Number);
      expect(pts[0]).toBe(row.pt);
      expect(pts).toEqual(row.te ? [row.pt, row.te.pt] : [row.pt]);
    });
  }

  it('throws NoCommonCodecError (→ 488) when no offered codec is supported', () => {
    const o = offer({ media: [audio('18 3', ['a=rtpmap:18 G729/8000', 'a=rtpmap:3 GSM/8000'])] });
    expect(() => negotiateAnswer(o, { ...base, codecs: ALL })).toThrow(NoCommonCodecError);
    expect(() => negotiateAnswer(o, { ...base, codecs: ALL })).toThrow(expect.objectContaining({ code: 'MEDIA_NO_COMMON_CODEC', status: 488 }));
  });

  it('does not match a codec name at the wrong clock rate', () => {
    const o = offer({ media: [audio('96', ['a=rtpmap:96 PCMU/16000'])] });
    expect(() => negotiateAnswer(o, { ...base, codecs: ['PCMU'] })).toThrow(NoCommonCodecError);
  });

  it('omits telephone-event when dtmf is false', () => {
    const a = negotiateAnswer(offer(), { ...base, codecs: ALL, dtmf: false });
    expect(a.telephoneEvent).toBeUndefined();
    expect(String(parse(a.sdp).media[0]!.payloads)).toBe('0');
  });

  const holds: { name: string; offer: string; remote: string; ours: string; hold: boolean }[] = [
    { name: 'sendrecv', offer: offer(), remote: 'sendrecv', ours: 'sendrecv', hold: false },
    { name: 'a=sendonly (hold)', offer: offer({ media: [audio('0', ['a=sendonly'])] }), remote: 'sendonly', ours: 'recvonly', hold: true },
    { name: 'session-level a=sendonly', offer: offer({ sessionAttrs: ['a=sendonly'], media: [audio('0')] }), remote: 'sendonly', ours: 'recvonly', hold: true },
    { name: 'a=inactive', offer: offer({ media: [audio('0', ['a=inactive'])] }), remote: 'inactive', ours: 'inactive', hold: true },
    { name: 'RFC 2543 c=0.0.0.0 hold', offer: offer({ c: '0.0.0.0', media: [audio('0')] }), remote: 'sendonly', ours: 'recvonly', hold: true },
    { name: 'a=recvonly', offer: offer({ media: [audio('0', ['a=recvonly'])] }), remote: 'recvonly', ours: 'sendonly', hold: false },
  ];
  for (const row of holds) {
    it(`answers ${row.name} with ${row.ours} and remoteHold=${row.hold}`, () => {
      const a = negotiateAnswer(row.offer, { ...base, codecs: ALL });
      expect(a.remoteDirection).toBe(row.remote);
      expect(a.direction).toBe(row.ours);
      expect(a.remoteHold).toBe(row.hold);
      expect(parse(a.sdp).media[0]!.direction).toBe(row.ours);
    });
  }

  it('unhold: a re-offer with sendrecv after hold answers sendrecv with the same o= session id, version + 1', () => {
    const held = negotiateAnswer(offer({ media: [audio('0', ['a=sendonly'])] }), { ...base, codecs: ALL });
    const resumed = negotiateAnswer(offer(), { ...base, codecs: ALL, origin: held.origin });
    expect(resumed.remoteHold).toBe(false);
    expect(resumed.direction).toBe('sendrecv');
    const o1 = parse(held.sdp).origin;
    const o2 = parse(resumed.sdp).origin;
    expect(String(o2.sessionId)).toBe(String(o1.sessionId));
    expect(o2.sessionVersion).toBe(o1.sessionVersion + 1);
  });

  it('answers with sendonly when we hold a sendrecv offer', () => {
    const a = negotiateAnswer(offer(), { ...base, codecs: ALL, hold: true });
    expect(a.direction).toBe('sendonly');
  });

  it('keeps rejected (port 0) streams and extra m= lines in place with port 0, using the first usable audio', () => {
    const o = offer({ media: [audio('0', [], 0), 'm=video 40002 RTP/AVP 96\r\na=rtpmap:96 H264/90000', audio('8', [], 40004), audio('0', [], 40006)] });
    const a = negotiateAnswer(o, { ...base, codecs: ALL });
    const media = parse(a.sdp).media;
    expect(media.map((m) => m.port)).toEqual([0, 0, 30000, 0]);
    expect(media.map((m) => m.type)).toEqual(['audio', 'video', 'audio', 'audio']);
    expect(a.codec.name).toBe('PCMA');
    expect(a.remote).toEqual({ address: '127.0.0.1', port: 40004 });
  });

  it('rejects an offer whose only audio stream has port 0 with SdpError SDP_MEDIA_REJECTED', () => {
    const o = offer({ media: [audio('0', [], 0)] });
    expect(() => negotiateAnswer(o, { ...base, codecs: ALL })).toThrow(SdpError);
    expect(() => negotiateAnswer(o, { ...base, codecs: ALL })).toThrow(expect.objectContaining({ code: 'SDP_MEDIA_REJECTED' }));
  });

  it('rejects SRTP-only audio (RTP/SAVP) as unusable', () => {
    expect(() => negotiateAnswer(offer({ media: [audio('0', [], 40000, 'RTP/SAVP')] }), { ...base, codecs: ALL })).toThrow(SdpError);
  });

  it('echoes a=rtcp-mux (RFC 5761) and sends RTCP to the RTP port', () => {
    const a = negotiateAnswer(offer({ media: [audio('0', ['a=rtcp-mux'])] }), { ...base, codecs: ALL });
    expect(a.rtcpMux).toBe(true);
    expect(parse(a.sdp).media[0]!.rtcpMux).toBe('rtcp-mux');
    expect(a.remoteRtcp).toEqual({ address: '127.0.0.1', port: 40000 });
  });

  it('sends RTCP to port+1 without rtcp-mux, or to the a=rtcp port (RFC 3605)', () => {
    expect(negotiateAnswer(offer({ media: [audio('0')] }), { ...base, codecs: ALL }).remoteRtcp.port).toBe(40001);
    const a = negotiateAnswer(offer({ media: [audio('0', ['a=rtcp:40011'])] }), { ...base, codecs: ALL });
    expect(a.rtcpMux).toBe(false);
    expect(a.remoteRtcp.port).toBe(40011);
    expect(parse(a.sdp).media[0]!.rtcpMux).toBeUndefined();
  });

  it('uses the offered ptime, else ours', () => {
    expect(negotiateAnswer(offer({ media: [audio('0', ['a=ptime:30'])] }), { ...base, codecs: ALL }).ptime).toBe(30);
    expect(negotiateAnswer(offer({ media: [audio('0')] }), { ...base, codecs: ALL, ptime: 40 }).ptime).toBe(40);
    expect(negotiateAnswer(offer({ media: [audio('0')] }), { ...base, codecs: ALL }).ptime).toBe(20);
  });

  it('prefers the media-level c= over the session-level one', () => {
    const o = offer({ c: '127.0.0.9', media: [audio('0', ['c=IN IP4 127.0.0.2'])] });
    expect(negotiateAnswer(o, { ...base, codecs: ALL }).remote.address).toBe('127.0.0.2');
  });

  it('throws SdpError for text that is not SDP', () => {
    expect(() => negotiateAnswer('hello', { ...base, codecs: ALL })).toThrow(SdpError);
  });
});

describe('createOffer + applyAnswer (late offer, RFC 3264 §5 and §7)', () => {
  it('offers every codec with telephone-event at each needed clock rate', () => {
    const o = createOffer({ ...base, codecs: ['opus', 'G722', 'PCMU'] });
    const m = parse(o.sdp).media[0]!;
    expect(String(m.payloads).split(' ').map(Number)).toEqual([111, 9, 0, 110, 101]);
    expect(m.rtp.find((r) => r.payload === 111)).toMatchObject({ codec: 'opus', rate: 48000, encoding: 2 });
    expect(m.rtp.find((r) => r.payload === 110)).toMatchObject({ codec: 'telephone-event', rate: 48000 });
    expect(m.direction).toBe('sendrecv');
  });

  it('applyAnswer reads the codec the answerer chose, with its telephone-event', () => {
    const o = createOffer({ ...base, codecs: ['opus', 'G722', 'PCMU'] });
    const answer = ['v=0', 'o=x 5 5 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      'm=audio 41000 RTP/AVP 9 101', 'a=rtpmap:101 telephone-event/8000', 'a=ptime:20', 'a=sendrecv'].join('\r\n') + '\r\n';
    const n = applyAnswer(o, answer);
    expect(n.codec).toMatchObject({ name: 'G722', payloadType: 9, clockRate: 8000 });
    expect(n.telephoneEvent).toEqual({ payloadType: 101, clockRate: 8000 });
    expect(n.remote).toEqual({ address: '127.0.0.1', port: 41000 });
    expect(n.direction).toBe('sendrecv');
  });

  it('applyAnswer throws NoCommonCodecError when the answer picks nothing we offered', () => {
    const o = createOffer({ ...base, codecs: ['PCMU'] });
    const answer = 'v=0\r\no=x 5 5 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 41000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n';
    expect(() => applyAnswer(o, answer)).toThrow(NoCommonCodecError);
  });

  it('applyAnswer throws SDP_MEDIA_REJECTED for a port-0 answer', () => {
    const o = createOffer({ ...base, codecs: ['PCMU'] });
    const answer = 'v=0\r\no=x 5 5 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n';
    expect(() => applyAnswer(o, answer)).toThrow(SdpError);
    expect(() => applyAnswer(o, answer)).toThrow(expect.objectContaining({ code: 'SDP_MEDIA_REJECTED' }));
  });

  it('a hold re-offer keeps the o= session id, increments the version and offers sendonly (RFC 3264 §8.4)', () => {
    const first = createOffer({ ...base, codecs: ['PCMU'] });
    const hold = createOffer({ ...base, codecs: ['PCMU'], direction: 'sendonly', origin: first.origin });
    const o1 = parse(first.sdp).origin;
    const o2 = parse(hold.sdp).origin;
    expect(String(o2.sessionId)).toBe(String(o1.sessionId));
    expect(o2.sessionVersion).toBe(o1.sessionVersion + 1);
    expect(parse(hold.sdp).media[0]!.direction).toBe('sendonly');
    const answer = 'v=0\r\no=x 5 6 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0\r\na=recvonly\r\n';
    const n = applyAnswer(hold, answer);
    expect(n.direction).toBe('sendonly');
    expect(n.remoteHold).toBe(false);
  });

  it('offers and applies rtcp-mux only when both sides agree', () => {
    const o = createOffer({ ...base, codecs: ['PCMU'], rtcpMux: true });
    expect(parse(o.sdp).media[0]!.rtcpMux).toBe('rtcp-mux');
    const without = 'v=0\r\no=x 5 5 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0\r\n';
    expect(applyAnswer(o, without).rtcpMux).toBe(false);
    expect(applyAnswer(o, without.replace('RTP/AVP 0\r\n', 'RTP/AVP 0\r\na=rtcp-mux\r\n')).rtcpMux).toBe(true);
  });

  it('an answer to our own offer negotiates back to the same codec (round trip)', () => {
    const o = createOffer({ ...base, codecs: ['PCMA', 'PCMU'] });
    const a = negotiateAnswer(o.sdp, { localAddress: '127.0.0.1', localPort: 42000, codecs: ['PCMU', 'PCMA'] });
    const n = applyAnswer(o, a.sdp);
    expect(n.codec.name).toBe('PCMU');
    expect(n.remote.port).toBe(42000);
    expect(n.telephoneEvent?.payloadType).toBe(101);
  });
});
