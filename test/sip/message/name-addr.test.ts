import { describe, expect, it } from 'vitest';
import { formatNameAddr, parseContact, parseNameAddr, parseNameAddrList, SipParseError } from '../../../src/sip/message/index.js';

function code(fn: () => unknown): string | undefined {
  try { fn(); } catch (err) { expect(err).toBeInstanceOf(SipParseError); return (err as SipParseError).code; }
  return undefined;
}

describe('parseNameAddr', () => {
  it('reads a quoted display name with escaped quotes and backslashes (RFC 3261 §25.1 quoted-pair)', () => {
    const n = parseNameAddr('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8');
    expect(n.displayName).toBe('J Rosenberg \\"');
    expect(n.uri.user).toBe('jdrosen');
    expect(n.params).toEqual({ tag: '98asjd8' });
  });

  it('reads a token display name and a name-addr without LWS before <', () => {
    expect(parseNameAddr('Alice Smith <sip:a@b.c>').displayName).toBe('Alice Smith');
    expect(parseNameAddr('caller<sip:caller@example.com>;tag=323').displayName).toBe('caller');
  });

  it('keeps UTF-8 display names', () => {
    expect(parseNameAddr('"Jörg Müller 電話" <sip:j@example.de>').displayName).toBe('Jörg Müller 電話');
  });

  it('gives the parameters after an addr-spec to the header, not the URI (RFC 3261 §20.10)', () => {
    const n = parseNameAddr('sip:bob@biloxi.com;tag=a6c85cf;expires=60');
    expect(n.uri.params).toEqual({});
    expect(n.params).toEqual({ tag: 'a6c85cf', expires: '60' });
    const b = parseNameAddr('<sip:bob@biloxi.com;transport=tcp>;tag=x');
    expect(b.uri.params).toEqual({ transport: 'tcp' });
    expect(b.params).toEqual({ tag: 'x' });
  });

  it('accepts IPv6 hosts and quoted parameter values', () => {
    const n = parseNameAddr('<sip:caller@[2001:db8::1]>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"');
    expect(n.uri.host).toBe('[2001:db8::1]');
    expect(n.params['+sip.instance']).toBe('"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"');
  });

  it('rejects unbalanced quotes, missing >, non-token display names and addr-specs with ? or ,', () => {
    expect(code(() => parseNameAddr('"Mr. J. User <sip:j.user@example.com>'))).toBe('BAD_NAME_ADDR');
    expect(code(() => parseNameAddr('<sip:a@b'))).toBe('BAD_NAME_ADDR');
    expect(code(() => parseNameAddr('Bell, Alexander <sip:a.g.bell@example.com>'))).toBe('BAD_NAME_ADDR');
    expect(code(() => parseNameAddr('sip:user@example.com?Route=%3Csip:sip.example.com%3E'))).toBe('BAD_NAME_ADDR');
    expect(code(() => parseNameAddr(''))).toBe('BAD_NAME_ADDR');
    expect(code(() => parseNameAddr('<sip:a@b>;;'))).toBe('BAD_NAME_ADDR');
  });

  it('formatNameAddr output parses back to the same value', () => {
    for (const s of ['"A \\"quoted\\" \\\\ name" <sip:a@b.c;lr>;tag=1', 'sip:x@y;tag=2', '<sips:[::1]:5061>', 'Bob <tel:+1555>;p']) {
      const n = parseNameAddr(s);
      expect(parseNameAddr(formatNameAddr(n))).toEqual(n);
    }
  });
});

describe('Contact and address lists', () => {
  it('Contact "*" is recognized (RFC 3261 §10.2.2)', () => {
    expect(parseContact(' * ')).toBe('*');
  });

  it('splits comma-separated addresses but not commas inside quotes or <>', () => {
    const list = parseNameAddrList('"Watson, Thomas" <sip:t@example.org;a=1,2>, <sip:b@example.org>;q=0.5,sip:c@example.org');
    expect(list.map((n) => n.uri.user)).toEqual(['t', 'b', 'c']);
    expect(list[0]!.displayName).toBe('Watson, Thomas');
    expect(list[1]!.params.q).toBe('0.5');
  });
});
