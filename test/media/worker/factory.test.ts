import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../../src/gateway/config/load.js';
import { createMediaSessionFactory, resolveMediaWorkers } from '../../../src/media/worker/factory.js';
import { pcmuTo, allocator, LO } from '../session/helpers.js';

const minimal = (media: Record<string, unknown> = {}): unknown => ({
  trunks: [{ name: 't', sources: ['127.0.0.1/32'], routes: [{ pattern: '*', agent: 'echo' }] }],
  agents: { echo: { type: 'echo' } },
  media,
});

describe('media.workers', () => {
  it("'auto' is one worker per core when there is more than one core, else in-process (0)", () => {
    expect(resolveMediaWorkers('auto', 2)).toBe(2);
    expect(resolveMediaWorkers('auto', 8)).toBe(8);
    expect(resolveMediaWorkers('auto', 1)).toBe(0);
    expect(resolveMediaWorkers(0, 8)).toBe(0);
    expect(resolveMediaWorkers(3, 1)).toBe(3);
  });

  it("the config defaults to 'auto' and accepts a count ≥ 0; a negative or fractional count is a ConfigError", () => {
    expect(validateConfig(minimal()).media.workers).toBe('auto');
    expect(validateConfig(minimal({ workers: 0 })).media.workers).toBe(0);
    expect(validateConfig(minimal({ workers: 4 })).media.workers).toBe(4);
    expect(() => validateConfig(minimal({ workers: -1 }))).toThrow(ConfigError);
    expect(() => validateConfig(minimal({ workers: 1.5 }))).toThrow(ConfigError);
    expect(() => validateConfig(minimal({ workers: 'many' }))).toThrow(ConfigError);
  });

  it('workers: 0 makes sessions in this thread; a failed bind rejects and releases the lease there too', async () => {
    const f = createMediaSessionFactory({ workers: 0 });
    expect(f.workers).toBe(0);
    await f.ready();
    const ports = await allocator(2);
    const s = await f.create({ lease: ports.allocate(), negotiated: pcmuTo(9), localAddress: LO });
    const taken = ports.allocate();
    // A lease for a port this session already holds: the bind fails with EADDRINUSE.
    const clash = f.create({ lease: { port: s.localPort, rtcpPort: s.localPort + 1, get released() { return taken.released; }, release: taken.release }, negotiated: pcmuTo(9), localAddress: LO });
    await expect(clash).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(taken.released).toBe(true);
    await s.close();
    await f.close();
    expect(ports.inUse).toBe(0);
  });
});
