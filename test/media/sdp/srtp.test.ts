import { describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { applyAnswer, createOffer, negotiateAnswer } from '../../../src/media/sdp/negotiate.js';
import { SdpError } from '../../../src/media/sdp/errors.js';
import { newMasterKey } from '../../../src/media/srtp/sdes.js';

const KEY80 = newMasterKey('AES_CM_128_HMAC_SHA1_80');
const KEY32 = newMasterKey('AES_CM_128_HMAC_SHA1_32');

function offer(protocol: string, crypto: string[]): string {
  return [
    'v=0', 'o=peer 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio 40000 ${protocol} 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
    ...crypto.map((c) => `a=crypto:${c}`), 'a=sendrecv', '',
  ].join('\r\n');
}

const base = { codecs: ['PCMU' as const], localAddress: '127.0.0.1', localPort: 30000 };

function codeOf(fn: () => unknown): string | undefined {
  try { fn(); } catch (err) { return err instanceof SdpError ? err.code : 'other'; }
  return undefined;
}

describe('negotiateAnswer with SRTP (RFC 4568 §7.1)', () => {
  it('answers RTP/SAVP with the first a=crypto whose suite we take: same tag and suite, a fresh key of ours', () => {
    const a = negotiateAnswer(offer('RTP/SAVP', [`1 AES_CM_256_HMAC_SHA1_80 inline:${KEY80}`, `2 AES_CM_128_HMAC_SHA1_32 inline:${KEY32}`, `3 AES_CM_128_HMAC_SHA1_80 inline:${KEY80}`]), { ...base, srtp: { policy: 'mandatory' } });
    const m = parse(a.sdp).media[0]!;
    expect(m.protocol).toBe('RTP/SAVP');
    expect(m.crypto).toHaveLength(1);
    expect(m.crypto![0]).toMatchObject({ id: 2, suite: 'AES_CM_128_HMAC_SHA1_32' });
    expect(a.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_32', remoteKey: KEY32 });
    expect(m.crypto![0]!.config).toBe(`inline:${a.srtp!.localKey}`);
    expect(a.srtp!.localKey).not.toBe(KEY32);
    expect(Buffer.from(a.srtp!.localKey, 'base64')).toHaveLength(30);
  });

  it('mandatory refuses a plain RTP/AVP offer with SDP_SRTP_REQUIRED (→ 488)', () => {
    expect(codeOf(() => negotiateAnswer(offer('RTP/AVP', []), { ...base, srtp: { policy: 'mandatory' } }))).toBe('SDP_SRTP_REQUIRED');
  });

  it('mandatory refuses RTP/SAVP whose a=crypto it cannot use (MKI, wrong key length, unknown suite, session parameter)', () => {
    const bad = [
      `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY80}|2^20|1:4`,
      `2 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(20).toString('base64')}`,
      `3 F8_128_HMAC_SHA1_80 inline:${KEY80}`,
      `4 AES_CM_128_HMAC_SHA1_80 inline:${KEY80} UNENCRYPTED_SRTP`,
    ];
    for (const c of bad) expect(codeOf(() => negotiateAnswer(offer('RTP/SAVP', [c]), { ...base, srtp: { policy: 'mandatory' } }))).toBe('SDP_SRTP_REQUIRED');
  });

  it('accepts a lifetime in the key parameters', () => {
    const a = negotiateAnswer(offer('RTP/SAVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY80}|2^31`]), { ...base, srtp: { policy: 'mandatory' } });
    expect(a.srtp?.remoteKey).toBe(KEY80);
  });

  it('optional answers a best-effort RTP/AVP offer with a=crypto with SRTP, and a plain one with plain RTP', () => {
    const secure = negotiateAnswer(offer('RTP/AVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY80}`]), { ...base, srtp: { policy: 'optional' } });
    expect(parse(secure.sdp).media[0]!.protocol).toBe('RTP/AVP');
    expect(secure.srtp?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    const plain = negotiateAnswer(offer('RTP/AVP', []), { ...base, srtp: { policy: 'optional' } });
    expect(plain.srtp).toBeUndefined();
    expect(parse(plain.sdp).media[0]!.crypto).toBeUndefined();
  });

  it('off (the default) ignores a=crypto on RTP/AVP and refuses an RTP/SAVP-only offer', () => {
    const a = negotiateAnswer(offer('RTP/AVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY80}`]), base);
    expect(a.srtp).toBeUndefined();
    expect(parse(a.sdp).media[0]!.crypto).toBeUndefined();
    expect(codeOf(() => negotiateAnswer(offer('RTP/SAVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY80}`]), base))).toBe('SDP_MEDIA_REJECTED');
  });

  it('keeps our key in a re-answer when given one (RFC 4568 §7.1.4)', () => {
    const a = negotiateAnswer(offer('RTP/SAVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY80}`]), { ...base, srtp: { policy: 'mandatory', localKey: KEY32 } });
    expect(a.srtp?.localKey).toBe(KEY32);
  });
});

describe('createOffer / applyAnswer with SRTP', () => {
  it('mandatory offers RTP/SAVP with one a=crypto per suite; the answer picks the keys', () => {
    const o = createOffer({ ...base, srtp: { policy: 'mandatory' } });
    const m = parse(o.sdp).media[0]!;
    expect(m.protocol).toBe('RTP/SAVP');
    expect(m.crypto!.map((c) => [c.id, c.suite])).toEqual([[1, 'AES_CM_128_HMAC_SHA1_80'], [2, 'AES_CM_128_HMAC_SHA1_32']]);
    // The peer answers with negotiateAnswer's logic: our own answerer plays it.
    const answer = negotiateAnswer(o.sdp, { ...base, localPort: 31000, srtp: { policy: 'mandatory', suites: ['AES_CM_128_HMAC_SHA1_32'] } });
    const agreed = applyAnswer(o, answer.sdp);
    expect(agreed.srtp).toEqual({ suite: 'AES_CM_128_HMAC_SHA1_32', localKey: o.crypto!.key, remoteKey: answer.srtp!.localKey });
    expect(answer.srtp!.remoteKey).toBe(o.crypto!.key);
  });

  it('optional offers RTP/AVP with a=crypto and takes a plain answer as plain RTP', () => {
    const o = createOffer({ ...base, srtp: { policy: 'optional' } });
    expect(parse(o.sdp).media[0]!.protocol).toBe('RTP/AVP');
    const answer = negotiateAnswer(o.sdp, { ...base, localPort: 31000 });
    expect(applyAnswer(o, answer.sdp).srtp).toBeUndefined();
  });

  it('mandatory refuses an answer without a=crypto with SDP_SRTP_REQUIRED', () => {
    const o = createOffer({ ...base, srtp: { policy: 'mandatory' } });
    const plainAnswer = negotiateAnswer(offer('RTP/AVP', []), { ...base, localPort: 31000 }).sdp;
    expect(codeOf(() => applyAnswer(o, plainAnswer))).toBe('SDP_SRTP_REQUIRED');
  });
});
