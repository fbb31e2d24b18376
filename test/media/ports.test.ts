import { describe, expect, it } from 'vitest';
import { InvalidPortRangeError, PortAllocator, PortExhaustedError } from '../../src/media/ports.js';

describe('PortAllocator', () => {
  it('hands out even RTP ports with RTCP on port + 1, inside the range', () => {
    const a = new PortAllocator({ min: 30001, max: 30010 });
    const leases = [a.allocate(), a.allocate(), a.allocate(), a.allocate()];
    expect(leases.map((l) => l.port)).toEqual([30002, 30004, 30006, 30008]);
    for (const l of leases) expect(l.rtcpPort).toBe(l.port + 1);
    expect(a.capacity).toBe(4);
  });

  it('throws PortExhaustedError when every pair is leased, and recovers after a release', () => {
    const a = new PortAllocator({ min: 30000, max: 30003 });
    const l1 = a.allocate();
    a.allocate();
    expect(() => a.allocate()).toThrow(PortExhaustedError);
    expect(() => a.allocate()).toThrow(expect.objectContaining({ code: 'MEDIA_PORTS_EXHAUSTED' }));
    l1.release();
    expect(a.allocate().port).toBe(l1.port);
  });

  it('does not reuse a released port before the other free ones', () => {
    const a = new PortAllocator({ min: 30000, max: 30009 });
    const first = a.allocate();
    first.release();
    const next = [a.allocate(), a.allocate(), a.allocate(), a.allocate()].map((l) => l.port);
    expect(next).not.toContain(first.port);
    expect(a.allocate().port).toBe(first.port);
  });

  it('release is idempotent', () => {
    const a = new PortAllocator({ min: 30000, max: 30003 });
    const l = a.allocate();
    l.release();
    l.release();
    expect(l.released).toBe(true);
    expect(a.inUse).toBe(0);
    a.allocate();
    a.allocate();
    expect(() => a.allocate()).toThrow(PortExhaustedError);
  });

  it('rejects a range without a whole even/odd pair', () => {
    expect(() => new PortAllocator({ min: 30001, max: 30002 })).toThrow(InvalidPortRangeError);
  });
});
