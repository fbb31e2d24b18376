import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clusterSchema, parseTrustedProxy } from '../../../src/gateway/config/cluster.js';
import { addressOfHeader, TrustedProxies } from '../../../src/gateway/edge/trusted-source.js';

const proxies = (trusted: string[]): TrustedProxies => new TrustedProxies(clusterSchema.parse({ trusted_proxies: trusted }));

describe('cluster.trusted_proxies entries', () => {
  it('take a CIDR, an address, address:port and [v6]:port', () => {
    expect(parseTrustedProxy('10.0.0.0/24')).toEqual({ cidr: '10.0.0.0/24' });
    expect(parseTrustedProxy('10.0.0.5')).toEqual({ cidr: '10.0.0.5/32' });
    expect(parseTrustedProxy('127.0.0.1:5080')).toEqual({ cidr: '127.0.0.1/32', port: 5080 });
    expect(parseTrustedProxy('[::1]:5080')).toEqual({ cidr: '::1/128', port: 5080 });
    expect(parseTrustedProxy('2001:db8::/32')).toEqual({ cidr: '2001:db8::/32' });
  });

  it('refuse anything else with a config error naming the forms', () => {
    for (const bad of ['proxy.example.com', '10.0.0.300', '127.0.0.1:0', '127.0.0.1:70000', '']) expect(parseTrustedProxy(bad)).toBeUndefined();
    const r = clusterSchema.safeParse({ trusted_proxies: ['kamailio'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['trusted_proxies', 0]);
  });
});

describe('TrustedProxies.carrierSource', () => {
  it("uses the header's address only from a trusted proxy", () => {
    const p = proxies(['127.0.0.1:5080', '10.1.0.0/16']);
    expect(p.carrierSource('127.0.0.1', 5080, '198.51.100.7:5060')).toEqual({ address: '198.51.100.7', proxy: '127.0.0.1:5080' });
    expect(p.carrierSource('10.1.2.3', 40000, '198.51.100.7')).toEqual({ address: '198.51.100.7', proxy: '10.1.2.3:40000' });
    // same host, another port: not the proxy
    expect(p.carrierSource('127.0.0.1', 5081, '198.51.100.7')).toEqual({ address: '127.0.0.1' });
    expect(p.carrierSource('203.0.113.9', 5060, '198.51.100.7')).toEqual({ address: '203.0.113.9' });
  });

  it('falls back to the packet source when a trusted proxy sends no header or not an address', () => {
    const p = proxies(['127.0.0.1']);
    expect(p.carrierSource('127.0.0.1', 5080, undefined)).toEqual({ address: '127.0.0.1' });
    expect(p.carrierSource('127.0.0.1', 5080, 'carrier.example.com')).toEqual({ address: '127.0.0.1' });
  });

  it('trusts nobody without trusted_proxies, whatever the header says', () => {
    fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), fc.ipV4(), (src, port, claimed) => {
      expect(proxies([]).carrierSource(src, port, claimed)).toEqual({ address: src });
    }), { seed: 16, numRuns: 200 });
  });

  it('reads IPv4, IPv4:port, IPv6 and [IPv6]:port header values, nothing else', () => {
    expect(addressOfHeader(' 198.51.100.7 ')).toBe('198.51.100.7');
    expect(addressOfHeader('198.51.100.7:5060')).toBe('198.51.100.7');
    expect(addressOfHeader('[2001:db8::7]:5060')).toBe('2001:db8::7');
    expect(addressOfHeader('2001:db8::7')).toBe('2001:db8::7');
    fc.assert(fc.property(fc.string(), (s) => {
      const a = addressOfHeader(s);
      if (a !== undefined) expect(s).toContain(a);
    }), { seed: 16, numRuns: 500 });
  });
});
