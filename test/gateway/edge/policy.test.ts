import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/gateway/config/load.js';
import { createEdgePolicy } from '../../../src/gateway/edge/policy.js';
import { TokenBucketLimiter } from '../../../src/gateway/edge/rate-limit.js';
import { ScannerDetector, sniffUserAgent } from '../../../src/gateway/edge/scanner.js';

const invite = (ua?: string): Buffer => Buffer.from(`INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n${ua ? `User-Agent: ${ua}\r\n` : ''}Content-Length: 0\r\n\r\n`);
const src = (address: string) => ({ address, port: 5062, protocol: 'udp' });

function config(extra: Record<string, unknown> = {}) {
  return validateConfig({
    trunks: [{ name: 't', sources: ['203.0.113.0/24'], routes: [{ pattern: '*', agent: 'echo' }], ...extra }],
    transfer_targets: { human: { uri: 'sip:desk@198.51.100.20:5070' } },
    edge: { rate_per_second: 1, burst: 3 },
  });
}

describe('sniffUserAgent', () => {
  it('reads the header case-insensitively from raw bytes', () => {
    expect(sniffUserAgent(Buffer.from('OPTIONS sip:x SIP/2.0\r\nuser-agent:  friendly-scanner \r\n\r\n'))).toBe('friendly-scanner');
  });
  it('ignores a User-Agent that only appears in the body', () => {
    expect(sniffUserAgent(Buffer.from('INVITE sip:x SIP/2.0\r\nContent-Length: 20\r\n\r\nUser-Agent: sipvicious'))).toBeUndefined();
  });
});

describe('ScannerDetector', () => {
  it.each(['friendly-scanner', 'sipvicious 0.3', 'sipcli/v1.8', 'sip-scan', 'VaxSIPUserAgent/3.1', 'pplsip', 'iWar', 'sundayddr'])('flags %s', (ua) => {
    expect(new ScannerDetector().match(ua)).toBeDefined();
  });
  it('lets ordinary phones through', () => {
    expect(new ScannerDetector().match('baresip v1.0.0 (x86_64/linux)')).toBeUndefined();
  });
});

describe('TokenBucketLimiter', () => {
  it('allows a burst, then the sustained rate, per source', () => {
    let now = 0;
    const l = new TokenBucketLimiter({ ratePerSecond: 2, burst: 2, now: () => now });
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([true, true, false]);
    expect(l.take('b')).toBe(true);
    now = 500;
    expect([l.take('a'), l.take('a')]).toEqual([true, false]);
  });
  it('forgets sources whose bucket is full again', () => {
    let now = 0;
    const l = new TokenBucketLimiter({ ratePerSecond: 10, burst: 1, now: () => now });
    l.take('a');
    now = 1000;
    l.take('b');
    expect(l.trackedSources).toBe(1);
  });
});

describe('createEdgePolicy', () => {
  it('drops requests from sources outside every trunk CIDR and counts them', () => {
    const p = createEdgePolicy(config());
    expect(p(src('192.0.2.1'), invite())).toBe('drop');
    expect(p.counts().unknown_source).toBe(1);
  });
  it('accepts a trunk source and a transfer target host', () => {
    const p = createEdgePolicy(config());
    expect(p(src('203.0.113.9'), invite())).toBe('accept');
    expect(p(src('198.51.100.20'), invite())).toBe('accept');
  });
  it('passes strangers on to the application when a trunk says on_reject: 403', () => {
    const p = createEdgePolicy(config({ on_reject: '403' }));
    expect(p.check(src('192.0.2.1'), invite())).toEqual({ verdict: 'accept', reason: 'reject_403' });
  });
  it('drops a scanner even from a trunk address', () => {
    const p = createEdgePolicy(config());
    expect(p.check(src('203.0.113.9'), invite('friendly-scanner'))).toEqual({ verdict: 'drop', reason: 'scanner' });
  });
  it('lets responses through (they answer our own requests)', () => {
    const p = createEdgePolicy(config());
    expect(p(src('192.0.2.1'), Buffer.from('SIP/2.0 200 OK\r\n\r\n'))).toBe('accept');
  });
  it('rate-limits a flooding source and exports the drop counter', async () => {
    const p = createEdgePolicy(config());
    const verdicts = Array.from({ length: 5 }, () => p(src('203.0.113.9'), invite()));
    expect(verdicts.filter((v) => v === 'drop')).toHaveLength(2);
    expect(await p.registry.metrics()).toMatch(/trunkgate_edge_dropped_total\{reason="rate_limited"\} 2/);
  });
});

describe('createEdgePolicy with cluster.trusted_proxies', () => {
  const withProxy = validateConfig({
    trunks: [{ name: 't', sources: ['203.0.113.0/24'], routes: [{ pattern: '*', agent: 'echo' }] }],
    edge: { rate_per_second: 1, burst: 3 },
    cluster: { trusted_proxies: ['10.0.0.10:5060'] },
  });

  it("passes a trusted proxy that is in no trunk's sources, without the per-source bucket (it carries every carrier)", () => {
    const p = createEdgePolicy(withProxy);
    const proxy = { address: '10.0.0.10', port: 5060, protocol: 'udp' };
    expect(Array.from({ length: 10 }, () => p(proxy, invite()))).toEqual(Array(10).fill('accept'));
    expect(p.counts().rate_limited).toBe(0);
  });

  it('trusts only the configured port, and still drops scanners coming through the proxy', () => {
    const p = createEdgePolicy(withProxy);
    expect(p.check({ address: '10.0.0.10', port: 5061, protocol: 'udp' }, invite()).reason).toBe('unknown_source');
    expect(p.check({ address: '10.0.0.10', port: 5060, protocol: 'udp' }, invite('friendly-scanner')).reason).toBe('scanner');
  });
});
