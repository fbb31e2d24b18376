import { describe, expect, it } from 'vitest';
import { SourceLatch, addressFamily } from '../../../src/media/rtp/latch.js';

describe('SourceLatch (symmetric RTP, RFC 4961)', () => {
  it('latches onto the source of `required` consecutive packets with one SSRC, then refuses every other source', () => {
    const l = new SourceLatch({ address: '198.51.100.7', port: 4000 }, 3);
    expect(l.offer('203.0.113.9', 5000, 1)).toBe('accept');
    expect(l.offer('203.0.113.9', 5000, 1)).toBe('accept');
    expect(l.latched).toBeUndefined();
    expect(l.destination).toEqual({ address: '198.51.100.7', port: 4000 });
    expect(l.offer('203.0.113.9', 5000, 1)).toBe('accept');
    expect(l.destination).toEqual({ address: '203.0.113.9', port: 5000 });
    expect(l.offer('198.51.100.7', 4000, 1)).toBe('reject');
  });

  it('never latches onto another address family than the SDP signalled', () => {
    const v4 = new SourceLatch({ address: '198.51.100.7', port: 4000 }, 1);
    expect(v4.offer('2001:db8::5', 4000, 1)).toBe('reject');
    expect(v4.latched).toBeUndefined();
    // An IPv4-mapped IPv6 source (a dual-stack socket) is IPv4.
    expect(v4.offer('::ffff:198.51.100.7', 4000, 1)).toBe('accept');
    expect(v4.latched).toEqual({ address: '::ffff:198.51.100.7', port: 4000 });

    const v6 = new SourceLatch({ address: '2001:db8::1', port: 4000 }, 1);
    expect(v6.offer('198.51.100.7', 4000, 1)).toBe('reject');
    expect(v6.offer('2001:db8::99', 4002, 1)).toBe('accept');
    expect(v6.latched).toEqual({ address: '2001:db8::99', port: 4002 });
  });

  it('strict: only the SDP\'s address and port, never latching elsewhere, whatever arrives', () => {
    const l = new SourceLatch({ address: '198.51.100.7', port: 4000 }, 3, 'strict');
    for (let i = 0; i < 10; i++) expect(l.offer('203.0.113.9', 5000, 1)).toBe('reject');
    expect(l.offer('198.51.100.7', 4002, 1)).toBe('reject');
    expect(l.offer('198.51.100.7', 4000, 1)).toBe('accept');
    expect(l.latched).toBeUndefined();
    expect(l.destination).toEqual({ address: '198.51.100.7', port: 4000 });
    // A re-INVITE moves the expected address, strictly again.
    l.reset({ address: '198.51.100.8', port: 4100 });
    expect(l.offer('198.51.100.7', 4000, 1)).toBe('reject');
    expect(l.offer('198.51.100.8', 4100, 1)).toBe('accept');
  });

  it('addressFamily: 4, 6, IPv4-mapped as 4, names 0', () => {
    expect([addressFamily('10.0.0.1'), addressFamily('::1'), addressFamily('::FFFF:10.0.0.1'), addressFamily('media.example.com')]).toEqual([4, 6, 4, 0]);
  });
});
