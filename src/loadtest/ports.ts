/**
 * Loopback ports for the peers a load test starts, taken at random from 20000–32767: below the
 * kernel's ephemeral range (32768–60999 on Linux), so no socket bound to port 0 by another process
 * can take them between the probe and the peer's bind, and above the blocks the test suite's workers
 * use (10000–19999). A single port must be free over UDP and TCP (SIP listens on both); a media range
 * is probed by binding every port once. TRUNKGATE_LOADTEST_PORTS=min-max narrows the range, so that
 * load tests running side by side (the test suite's parallel workers) never pick overlapping ranges:
 * a gateway binds its media ports only call by call, long after the probe.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { PortRange } from './udp-drops.js';

/** True when `port` can be bound over UDP on `host` right now. */
export function udpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', () => resolve(false));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

/** True when `port` can be listened on over TCP on `host` right now. */
export function tcpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * True when a local socket holds `port` right now: over UDP any bound socket, over TCP a listening
 * one (state 0A, TCP_LISTEN). Read from /proc/net/{udp,tcp}{,6}, so it never binds the port itself
 * (a probe that binds would take it from the peer about to bind it). Only the local_address column
 * counts: a connected socket's remote port is not a bound port.
 */
export function portBound(port: number, protocol: 'udp' | 'tcp' = 'udp'): boolean {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const file of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch { continue; /* no IPv6 */ }
    for (const line of text.split('\n').slice(1)) {
      // "  sl  local_address rem_address   st ..."
      const [, local, , state] = line.trim().split(/\s+/);
      if (local?.endsWith(suffix) && (protocol === 'udp' || state === '0A')) return true;
    }
  }
  return false;
}

function configuredRange(): { min: number; max: number } {
  const m = /^(\d{4,5})-(\d{4,5})$/.exec(process.env.TRUNKGATE_LOADTEST_PORTS ?? '');
  if (m && Number(m[1]) >= 1024 && Number(m[2]) <= 65535 && Number(m[2]) - Number(m[1]) >= 1000) return { min: Number(m[1]), max: Number(m[2]) };
  return { min: 20_000, max: 32_767 };
}

const { min: RANGE_MIN, max: RANGE_MAX } = configuredRange();

const inside = (port: number, ranges: readonly PortRange[]): boolean => ranges.some((r) => port >= r.min && port <= r.max);

/**
 * A port free over UDP and TCP right now and outside `avoid`: ports already handed to a peer that
 * binds them later (a gateway's media range is bound call by call, so the probe alone cannot see it).
 */
export async function freeLoopbackPort(avoid: readonly PortRange[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = RANGE_MIN + Math.floor(Math.random() * (RANGE_MAX - RANGE_MIN + 1));
    if (inside(port, avoid)) continue;
    if (await udpPortFree(port) && await tcpPortFree(port)) return port;
  }
  throw new Error('no free loopback port');
}

/**
 * `count` consecutive UDP ports starting on an even one, free right now and outside `avoid`
 * (ranges handed to a peer that binds them later, e.g. the gateway's media ports).
 */
export async function freeLoopbackRange(count: number, avoid: readonly PortRange[] = []): Promise<PortRange> {
  // Every even start whose range stays clear of `avoid`, tried from a random one on (wrapping):
  // rejection sampling with a fixed number of draws could miss the few starts a large `avoid` leaves.
  const starts: number[] = [];
  for (let min = RANGE_MIN + (RANGE_MIN % 2); min + count - 1 <= RANGE_MAX; min += 2) {
    if (!avoid.some((r) => min <= r.max && min + count - 1 >= r.min)) starts.push(min);
  }
  const first = Math.floor(Math.random() * starts.length);
  for (let i = 0; i < starts.length; i++) {
    const min = starts[(first + i) % starts.length]!;
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
