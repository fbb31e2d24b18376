import { describe, expect, it } from 'vitest';
import { SdpError } from '../../../src/media/sdp/errors.js';
import { srtpForCall, srtpForReoffer } from '../../../src/gateway/app/srtp-policy.js';

const trunk = (srtp: 'off' | 'optional' | 'mandatory', srtpKeysWithoutTls = false) => ({
  srtp, srtp_suites: ['AES_CM_128_HMAC_SHA1_80' as const], srtp_keys_without_tls: srtpKeysWithoutTls,
});

describe('srtpForCall: SDES keys only over TLS unless the trunk allows otherwise', () => {
  it('off stays off on any transport', () => {
    expect(srtpForCall(trunk('off'), 'tls')).toEqual({ policy: 'off' });
  });

  it('over TLS the trunk policy and suites apply', () => {
    expect(srtpForCall(trunk('mandatory'), 'tls')).toEqual({ policy: 'mandatory', suites: ['AES_CM_128_HMAC_SHA1_80'] });
    expect(srtpForCall(trunk('optional'), 'TLS')).toEqual({ policy: 'optional', suites: ['AES_CM_128_HMAC_SHA1_80'] });
  });

  it('optional over UDP or TCP falls back to plain RTP', () => {
    expect(srtpForCall(trunk('optional'), 'udp')).toEqual({ policy: 'off' });
    expect(srtpForCall(trunk('optional'), 'tcp')).toEqual({ policy: 'off' });
  });

  it('mandatory over UDP refuses the call with SDP_SRTP_REQUIRED (→ 488)', () => {
    expect(() => srtpForCall(trunk('mandatory'), 'udp')).toThrow(SdpError);
    try { srtpForCall(trunk('mandatory'), 'udp'); } catch (err) { expect((err as SdpError).code).toBe('SDP_SRTP_REQUIRED'); }
  });

  it('srtp_keys_without_tls lets SRTP run over UDP', () => {
    expect(srtpForCall(trunk('mandatory', true), 'udp')).toEqual({ policy: 'mandatory', suites: ['AES_CM_128_HMAC_SHA1_80'] });
  });
});

describe('srtpForReoffer', () => {
  it('keeps SRTP mandatory with our key in a call that has it, and off in a plain call', () => {
    expect(srtpForReoffer({ srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: 'L', remoteKey: 'R' } })).toEqual({ policy: 'mandatory', localKey: 'L' });
    expect(srtpForReoffer({})).toEqual({ policy: 'off' });
  });
});
