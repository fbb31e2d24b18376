import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CidrSet, InvalidCidrError, parseAddress, parseCidr } from '../../../src/gateway/edge/cidr.js';

describe('parseCidr', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.255', true],
    ['203.0.113.0/24', '203.0.114.0', false],
    ['127.0.0.1/32', '127.0.0.1', true],
    ['127.0.0.1/32', '127.0.0.2', false],
    ['0.0.0.0/0', '198.51.100.7', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::1/128', '::1', true],
    ['203.0.113.0/24', '::ffff:203.0.113.9', true],
    ['2001:db8::/32', '203.0.113.1', false],
    ['fe80::/10', 'fe80::1%eth0', true],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    expect(parseCidr(cidr).contains(address)).toBe(expected);
  });

  it.each(['203.0.113.0/33', '2001:db8::/129', 'example.com/24', '10.0.0.0/8/1', '10.0.0.0/x', ''])('rejects %s with InvalidCidrError', (bad) => {
    expect(() => parseCidr(bad)).toThrow(InvalidCidrError);
  });

  it('a bare address is a /32 or /128', () => {
    expect(parseCidr('10.1.2.3').prefix).toBe(32);
    expect(parseCidr('2001:db8::1').prefix).toBe(128);
  });

  it('an IPv4 /n range contains exactly the addresses sharing the first n bits (property)', () => {
    const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    fc.assert(fc.property(ip, ip, fc.integer({ min: 0, max: 32 }), (a, b, prefix) => {
      const toInt = (t: number[]): number => ((t[0]! << 24) >>> 0) + (t[1]! << 16) + (t[2]! << 8) + t[3]!;
      const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
      const same = ((toInt(a) & mask) >>> 0) === ((toInt(b) & mask) >>> 0);
      expect(parseCidr(`${a.join('.')}/${prefix}`).contains(b.join('.'))).toBe(same);
    }));
  });

  it('IPv6 text forms of the same address parse to the same value (property)', () => {
    fc.assert(fc.property(fc.ipV6(), (addr) => {
      const parsed = parseAddress(addr);
      expect(parsed).toBeDefined();
      // Other spellings of the same address: upper case, and the RFC 5952 form WHATWG URL writes
      // (zeros compressed, embedded IPv4 as hex groups).
      const canonical = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
      for (const form of [addr.toUpperCase(), canonical, `[${addr}]`]) {
        expect(parseAddress(form), form).toEqual(parsed);
        expect(parseCidr(`${addr}/128`).contains(form), form).toBe(true);
      }
    }));
  });
});

describe('CidrSet', () => {
  it('contains an address when any range does', () => {
    const set = new CidrSet(['203.0.113.0/24', '2001:db8::/32']);
    expect(set.contains('203.0.113.5')).toBe(true);
    expect(set.contains('2001:db8::5')).toBe(true);
    expect(set.contains('198.51.100.1')).toBe(false);
  });
});
