/**
 * Loopback ports for the peers a load test starts: the OS picks a free TCP port which must also be
 * free over UDP (SIP listens on both), and media ranges are probed by binding every port once.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { PortRange } from './udp-drops.js';

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    if (port > 0 && await udpFree(port)) return port;
  }
  throw new Error('no free loopback port');
}

/**
 * `count` consecutive UDP ports starting on an even one, free right now and outside `avoid`
 * (ranges handed to a peer that binds them later, e.g. the gateway's media ports).
 */
export async function freeLoopbackRange(count: number, avoid: readonly PortRange[] = []): Promise<PortRange> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const min = 20000 + 2 * Math.floor(Math.random() * ((40000 - count) / 2));
    if (avoid.some((r) => min <= r.max && min + count - 1 >= r.min)) continue;
    const sockets: ReturnType<typeof createSocket>[] = [];
    let ok = true;
    for (let p = min; p < min + count && ok; p++) {
      ok = await new Promise<boolean>((resolve) => {
        const s = createSocket('udp4');
        s.once('error', () => resolve(false));
        s.bind(p, '127.0.0.1', () => { sockets.push(s); resolve(true); });
      });
    }
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok) return { min, max: min + count - 1 };
  }
  throw new Error(`no free range of ${count} UDP ports`);
}
