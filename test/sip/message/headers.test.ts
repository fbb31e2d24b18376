import { describe, expect, it } from 'vitest';
import {
  formatAuthChallenge, formatAuthCredentials, formatContentType, formatReplaces, formatSessionExpires, parseAuthChallenge,
  parseAuthCredentials, parseContentType, parseCSeq, parseMaxForwards, parseOptionTags, parseReferredBy, parseReferTo,
  parseReplaces, parseSessionExpires, SipParseError,
} from '../../../src/sip/message/index.js';

function code(fn: () => unknown): string | undefined {
  try { fn(); } catch (err) { expect(err).toBeInstanceOf(SipParseError); return (err as SipParseError).code; }
  return undefined;
}

describe('CSeq and Max-Forwards', () => {
  it('parseCSeq reads the number and method, allowing LWS between them', () => {
    expect(parseCSeq('4711 INVITE')).toEqual({ seq: 4711, method: 'INVITE' });
    expect(parseCSeq(' 0009 \t INVITE')).toEqual({ seq: 9, method: 'INVITE' });
  });

  it('parseCSeq rejects numbers of 2**31 and above (RFC 3261 §8.1.1.5) and missing methods', () => {
    expect(parseCSeq('2147483647 ACK').seq).toBe(2 ** 31 - 1);
    for (const bad of ['2147483648 ACK', '36893488147419103232 REGISTER', 'INVITE', '1', '-1 INVITE', '1 IN VITE', '1 INV@TE']) {
      expect(code(() => parseCSeq(bad)), bad).toBe('BAD_CSEQ');
    }
  });

  it('parseMaxForwards accepts 0–255 and rejects others with BAD_MAX_FORWARDS', () => {
    expect(parseMaxForwards('0068')).toBe(68);
    expect(parseMaxForwards('0')).toBe(0);
    expect(code(() => parseMaxForwards('300'))).toBe('BAD_MAX_FORWARDS');
    expect(code(() => parseMaxForwards('-1'))).toBe('BAD_MAX_FORWARDS');
  });
});

describe('Content-Type', () => {
  it('lower-cases type/subtype and unquotes parameters', () => {
    expect(parseContentType('Multipart/Mixed ; boundary="unique-boundary-1"; charset=UTF-8')).toEqual({
      type: 'multipart', subtype: 'mixed', mediaType: 'multipart/mixed', params: { boundary: 'unique-boundary-1', charset: 'UTF-8' },
    });
  });

  it('rejects a value without subtype', () => {
    expect(code(() => parseContentType('application'))).toBe('BAD_CONTENT_TYPE');
    expect(code(() => parseContentType('application/'))).toBe('BAD_CONTENT_TYPE');
  });

  it('formatContentType quotes values that are not tokens', () => {
    const s = formatContentType({ type: 'multipart', subtype: 'mixed', params: { boundary: 'a b"c' } });
    expect(parseContentType(s).params.boundary).toBe('a b"c');
  });
});

describe('digest challenge and credentials (RFC 7616)', () => {
  it('parses a WWW-Authenticate challenge with quoted and token parameters', () => {
    const c = parseAuthChallenge('Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth,auth-int", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5');
    expect(c.scheme).toBe('Digest');
    expect(c.params).toEqual({ realm: 'atlanta.com', domain: 'sip:boxesbybob.com', qop: 'auth,auth-int',
      nonce: 'f84f1cec41e6cbe5aea9c8e88d359', opaque: '', stale: 'FALSE', algorithm: 'MD5' });
  });

  it('parses Authorization credentials with an escaped quote in the username', () => {
    const a = parseAuthCredentials('Digest username="bob\\"x", realm="biloxi.com", nonce="dcd98b", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1"');
    expect(a.params.username).toBe('bob"x');
    expect(a.params.qop).toBe('auth');
    expect(a.params.nc).toBe('00000001');
  });

  it('round-trips through format (qop unquoted only in credentials)', () => {
    const c = { scheme: 'Digest', params: { realm: 'r', nonce: 'n', qop: 'auth', algorithm: 'SHA-256' } };
    expect(formatAuthChallenge(c)).toBe('Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256');
    expect(formatAuthCredentials(c)).toBe('Digest realm="r", nonce="n", qop=auth, algorithm=SHA-256');
    expect(parseAuthChallenge(formatAuthChallenge(c))).toEqual(c);
    expect(parseAuthCredentials(formatAuthCredentials(c))).toEqual(c);
  });

  it('rejects broken parameter lists with BAD_AUTH', () => {
    for (const bad of ['', 'Digest realm', 'Digest realm="x', 'Digest realm="a" nonce="b"', 'Digest =x']) {
      expect(code(() => parseAuthChallenge(bad)), bad).toBe('BAD_AUTH');
    }
  });
});

describe('Replaces, Session-Expires, option tags, Refer-To, Referred-By', () => {
  it('parseReplaces reads call-id, tags and early-only (RFC 3891 §6.1)', () => {
    expect(parseReplaces('98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only')).toMatchObject({
      callId: '98732@sip.example.com', fromTag: 'r33th4x0r', toTag: 'ff87ff', earlyOnly: true,
    });
    const r = { callId: 'a@b', toTag: '1', fromTag: '2', earlyOnly: false };
    expect(parseReplaces(formatReplaces(r))).toMatchObject(r);
    expect(code(() => parseReplaces('abc;to-tag=1'))).toBe('BAD_HEADER_VALUE');
  });

  it('parseSessionExpires reads delta and refresher (RFC 4028 §4)', () => {
    expect(parseSessionExpires('1800;refresher=uas')).toMatchObject({ delta: 1800, refresher: 'uas' });
    expect(parseSessionExpires('90')).toMatchObject({ delta: 90 });
    expect(parseSessionExpires(formatSessionExpires({ delta: 600, refresher: 'uac' }))).toMatchObject({ delta: 600, refresher: 'uac' });
    expect(code(() => parseSessionExpires('soon'))).toBe('BAD_HEADER_VALUE');
  });

  it('parseSessionExpires reads a refresher other than uac/uas as none, keeping it in params (as sofia-sip)', () => {
    const se = parseSessionExpires('1800;refresher=proxy');
    expect(se.refresher).toBeUndefined();
    expect(se).toMatchObject({ delta: 1800, params: { refresher: 'proxy' } });
  });

  it('parseOptionTags splits Supported/Require', () => {
    expect(parseOptionTags('timer, 100rel,replaces ,  norefersub')).toEqual(['timer', '100rel', 'replaces', 'norefersub']);
    expect(parseOptionTags('')).toEqual([]);
    expect(code(() => parseOptionTags('timer, "x"'))).toBe('BAD_HEADER_VALUE');
  });

  it('Refer-To carries an embedded Replaces as an escaped URI header; Referred-By keeps cid', () => {
    const r = parseReferTo('<sip:dave@denver.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>');
    expect(r.uri.headers.Replaces).toBe('12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994');
    expect(parseReferredBy('<sip:referrer@referrer.example>;cid="20398823.2UWQFN309shb3@referrer.example"').params.cid)
      .toBe('"20398823.2UWQFN309shb3@referrer.example"');
  });

  it('Refer-To without <> around a URI with headers is read as sofia-sip reads it (the headers run to the end)', () => {
    const r = parseReferTo('sip:dave@denver.example.org;user=phone?Replaces=12345%40h%3Bto-tag%3D1%3Bfrom-tag%3D2');
    expect(r.uri.params.user).toBe('phone');
    expect(r.uri.headers.Replaces).toBe('12345%40h%3Bto-tag%3D1%3Bfrom-tag%3D2');
    // Anything after such headers stays ambiguous (a header value or a parameter?): still an error.
    expect(code(() => parseReferTo('sip:dave@denver.example.org?Replaces=x;method=INVITE'))).toBe('BAD_NAME_ADDR');
  });
});
