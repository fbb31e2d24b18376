import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * A loopback port free for both UDP and TCP right now. Test files run in parallel, so every test
 * takes its ports from here instead of hard-coding them.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, host, () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, host, () => s.close(() => resolve(true)));
    });
    if (udpFree && port > 0) return port;
  }
  throw new Error('no free loopback port found');
}

/** `count` consecutive even ports (RTP on even, RTCP on odd) free over UDP, for a media port range. */
export async function freePortRange(count: number, host = '127.0.0.1'): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 10000);
    const sockets: ReturnType<typeof createSocket>[] = [];
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      ok = await new Promise<boolean>((resolve) => {
        const s = createSocket('udp4');
        s.once('error', () => resolve(false));
        s.bind(p, host, () => { sockets.push(s); resolve(true); });
      });
    }
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok) return { min: base, max: base + count - 1 };
  }
  throw new Error(`no free range of ${count} UDP ports`);
}
