import { describe, expect, it } from 'vitest';
import { hostportOf, parseContactSpec } from '../../src/drachtio/contact-spec.js';

describe('drachtio --contact specs', () => {
  it('expands sip:host:port;transport=udp,tcp into one listener per transport', () => {
    expect(parseContactSpec('sip:127.0.0.1:5090;transport=udp,tcp')).toEqual([
      { protocol: 'udp', address: '127.0.0.1', port: 5090 },
      { protocol: 'tcp', address: '127.0.0.1', port: 5090 },
    ]);
  });

  it('defaults to UDP on 5060', () => {
    expect(parseContactSpec('sip:127.0.0.1')).toEqual([{ protocol: 'udp', address: '127.0.0.1', port: 5060 }]);
  });

  it('accepts IPv6 references and names them as drachtio-server does', () => {
    const [l] = parseContactSpec('sip:[::1]:5062;transport=tcp');
    expect(l).toEqual({ protocol: 'tcp', address: '::1', port: 5062 });
    expect(hostportOf(l!)).toBe('tcp/[::1]:5062');
  });

  it('rejects an unknown transport', () => {
    expect(() => parseContactSpec('sip:127.0.0.1;transport=sctp')).toThrow();
  });
});
