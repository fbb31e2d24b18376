import { describe, expect, it } from 'vitest';
import { formatUri, parseUri, SipParseError } from '../../../src/sip/message/index.js';

function code(fn: () => unknown): string | undefined {
  try { fn(); } catch (err) { expect(err).toBeInstanceOf(SipParseError); return (err as SipParseError).code; }
  return undefined;
}

describe('parseUri', () => {
  it('splits user, password, host, port, params and headers of a sip: URI (RFC 3261 §19.1.1)', () => {
    const u = parseUri('sip:alice:secret@atlanta.com:5061;transport=TCP;lr?subject=project%20x&priority=urgent');
    expect(u).toEqual({
      scheme: 'sip', user: 'alice', password: 'secret', host: 'atlanta.com', port: 5061,
      params: { transport: 'TCP', lr: null }, headers: { subject: 'project%20x', priority: 'urgent' },
    });
  });

  it('keeps IPv6 references with their brackets and reads the port after them (RFC 5118 §4.3, §4.4)', () => {
    expect(parseUri('sips:[2001:db8::10]:5070')).toMatchObject({ scheme: 'sips', host: '[2001:db8::10]', port: 5070 });
    expect(parseUri('sip:[2001:db8::10:5070]')).toMatchObject({ host: '[2001:db8::10:5070]' });
    expect(parseUri('sip:[2001:db8::10:5070]').port).toBeUndefined();
  });

  it('allows ; in the user part (RFC 4475 §3.1.1.9) and lower-cases the scheme', () => {
    const u = parseUri('SIP:user;par=u%40example.net@example.com');
    expect(u.scheme).toBe('sip');
    expect(u.user).toBe('user;par=u%40example.net');
    expect(u.host).toBe('example.com');
  });

  it('keeps tel: and unknown schemes opaque', () => {
    expect(parseUri('tel:+1-201-555-0123;phone-context=example.com')).toMatchObject({ scheme: 'tel', opaque: '+1-201-555-0123;phone-context=example.com' });
    expect(parseUri('soap.beep://192.0.2.103:3002')).toMatchObject({ scheme: 'soap.beep' });
  });

  it('rejects malformed URIs with BAD_URI', () => {
    for (const bad of ['', 'sip', ':x', 'sip:', 'sip:user@', 'sip:host:99999', 'sip:host:x', 'sip:ho st', 'sip:[2001:db8:::1]',
      'sip:2001:db8::1', 'sip:@host', 'sip:host;=x', 'sip:host?x', 'sip:h%zzost', '<sip:host>']) {
      expect(code(() => parseUri(bad)), bad).toBe('BAD_URI');
    }
  });

  it('formatUri(parseUri(s)) reproduces the URI (with lower-cased parameter names)', () => {
    for (const s of ['sip:alice@atlanta.com', 'sips:[::1]:5061;transport=tls', 'sip:+15551234567;npdi@gw.example.com;user=phone',
      'sip:b@h?Replaces=abc%40h%3Bto-tag%3D1&x=y', 'tel:+15551234567', 'urn:service:sos']) {
      expect(formatUri(parseUri(s))).toBe(s);
    }
  });
});
