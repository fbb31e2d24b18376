import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, InvalidPatternError, matchesPattern, normalizeNumber, userOf } from '../../../src/gateway/routing/numbers.js';
import { isRefusal, Router } from '../../../src/gateway/routing/router.js';
import { validateConfig } from '../../../src/gateway/config/load.js';

const india = { countryCode: '91', nationalPrefix: '0' };

describe('normalizeNumber', () => {
  it.each(['+919876543210', '919876543210', '09876543210', '00919876543210', '+91 98765-43210', '9876543210'])('%s becomes 919876543210 with country code 91', (n) => {
    expect(normalizeNumber(n, india)).toBe('919876543210');
  });
  it('leaves short codes alone', () => {
    expect(normalizeNumber('1800', india)).toBe('1800');
  });
  it('every written form of a national number normalises the same (property)', () => {
    fc.assert(fc.property(fc.stringMatching(/^[6-9]\d{9}$/), (nsn) => {
      const forms = [`+91${nsn}`, `91${nsn}`, `0${nsn}`, `0091${nsn}`, nsn];
      expect(new Set(forms.map((f) => normalizeNumber(f, india))).size).toBe(1);
    }));
  });
});

describe('userOf', () => {
  it('takes the user part of sip: and tel: URIs', () => {
    expect(userOf('sip:+919876543210@carrier.example;user=phone')).toBe('+919876543210');
    expect(userOf('<tel:%2B919876543210>')).toBe('+919876543210');
  });
});

describe('compilePattern', () => {
  it('a prefix pattern written nationally matches the international form', () => {
    expect(matchesPattern(compilePattern('098765*', india), '919876543210')).toBe(true);
    expect(matchesPattern(compilePattern('+9198*', india), '919776543210')).toBe(false);
  });
  it('a /regex/ is tested on the normalised digits', () => {
    expect(matchesPattern(compilePattern('/^91(98|99)\\d{8}$/', india), '919876543210')).toBe(true);
  });
  it.each(['abc', '/(/'])('rejects %s with InvalidPatternError', (p) => {
    expect(() => compilePattern(p)).toThrow(InvalidPatternError);
  });
});

describe('Router', () => {
  const router = new Router(validateConfig({
    trunks: [
      { name: 'a', sources: ['203.0.113.0/24'], country_code: '91', routes: [{ pattern: '+919876543210', agent: 'demo' }, { pattern: '+9180*', agent: 'echo' }] },
      { name: 'b', sources: ['198.51.100.0/24'], routes: [{ pattern: '*', agent: 'echo' }] },
    ],
  }));
  it('routes +91…, 91… and 0… forms of a number to the same agent', () => {
    for (const uri of ['sip:+919876543210@gw', 'sip:919876543210@gw', 'sip:09876543210@gw']) {
      expect(router.route('203.0.113.1', uri)).toMatchObject({ target: { kind: 'agent', agent: 'demo' }, normalized: '919876543210' });
    }
  });
  it('says why it refuses: no trunk for the source, or no route for the number', () => {
    expect(router.route('192.0.2.1', 'sip:1@gw')).toEqual({ reason: 'no_trunk_for_source', source: '192.0.2.1' });
    const r = router.route('203.0.113.1', 'sip:+14155550100@gw');
    expect(isRefusal(r) && r.reason).toBe('no_route_for_number');
  });
  it('picks the trunk by source address', () => {
    expect(router.route('198.51.100.3', 'sip:123@gw')).toMatchObject({ target: { kind: 'agent', agent: 'echo' }, trunk: { name: 'b' } });
  });
});
