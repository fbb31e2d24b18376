import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => { vi.unstubAllEnvs(); vi.resetModules(); });

describe('load-test peer ports', () => {
  it('come from TRUNKGATE_LOADTEST_PORTS when set, so parallel load tests never pick overlapping ranges', async () => {
    vi.stubEnv('TRUNKGATE_LOADTEST_PORTS', '23000-24999');
    vi.resetModules();
    const { freeLoopbackPort, freeLoopbackRange } = await import('../../src/loadtest/ports.js');
    for (let i = 0; i < 20; i++) {
      const port = await freeLoopbackPort();
      expect(port).toBeGreaterThanOrEqual(23000);
      expect(port).toBeLessThanOrEqual(24999);
      const range = await freeLoopbackRange(100);
      expect(range.min).toBeGreaterThanOrEqual(23000);
      expect(range.max).toBeLessThanOrEqual(24999);
      expect(range.min % 2).toBe(0);
    }
  });

  it('never hand out a port or range inside `avoid` (ports a peer binds later, e.g. a gateway media range)', async () => {
    vi.stubEnv('TRUNKGATE_LOADTEST_PORTS', '23000-24999');
    vi.resetModules();
    const { freeLoopbackPort, freeLoopbackRange } = await import('../../src/loadtest/ports.js');
    const avoid = [{ min: 23000, max: 24799 }];
    for (let i = 0; i < 20; i++) {
      expect(await freeLoopbackPort(avoid)).toBeGreaterThanOrEqual(24800);
      expect((await freeLoopbackRange(10, avoid)).min).toBeGreaterThanOrEqual(24800);
    }
  });

  it('fall back to 20000–32767 (below the ephemeral range) when the variable is absent or malformed', async () => {
    vi.stubEnv('TRUNKGATE_LOADTEST_PORTS', 'nonsense');
    vi.resetModules();
    const { freeLoopbackRange } = await import('../../src/loadtest/ports.js');
    for (let i = 0; i < 20; i++) {
      const r = await freeLoopbackRange(4);
      expect(r.min).toBeGreaterThanOrEqual(20000);
      expect(r.max).toBeLessThanOrEqual(32767);
    }
  });

  it('each vitest worker got its own slice from the setup file', () => {
    expect(process.env.TRUNKGATE_LOADTEST_PORTS).toMatch(/^\d{5}-\d{5}$/);
  });
});
