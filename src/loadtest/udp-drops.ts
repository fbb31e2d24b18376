/**
 * The kernel's per-socket UDP drop counters (/proc/net/udp and /proc/net/udp6, last column
 * "drops": datagrams dropped because the socket's receive buffer was full). SIPp cannot measure
 * RTP loss (its uac never reads returned RTP), so this is how a load test sees packets a peer
 * failed to read in time.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { processTree } from './proc-sampler.js';

export interface UdpSocketDrops { localPort: number; inode: string; drops: number; rxQueueBytes: number }

/** Parses the text of /proc/net/udp or /proc/net/udp6. */
export function parseProcNetUdp(text: string): UdpSocketDrops[] {
  const out: UdpSocketDrops[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const local = f[1]!;
    const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    const rxQueue = parseInt((f[4] ?? '0:0').split(':')[1] ?? '0', 16);
    const drops = Number(f[f.length - 1]);
    if (!Number.isFinite(port) || !Number.isFinite(drops)) continue;
    out.push({ localPort: port, inode: f[9] ?? '', drops, rxQueueBytes: Number.isFinite(rxQueue) ? rxQueue : 0 });
  }
  return out;
}

export interface PortRange { min: number; max: number }

function readSockets(ranges: readonly PortRange[]): UdpSocketDrops[] {
  const out: UdpSocketDrops[] = [];
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch { continue; }
    for (const s of parseProcNetUdp(text)) {
      if (ranges.some((r) => s.localPort >= r.min && s.localPort <= r.max)) out.push(s);
    }
  }
  return out;
}

/**
 * Follows the drop counters of the sockets on some ports over a run. Sockets come and go (a
 * gateway opens one RTP socket per call), so every sample keeps the highest count seen per socket
 * inode; drops in the last interval before a socket closes are missed. Counts start from the
 * value at the first sample (a socket that already existed contributes only new drops).
 */
/** Inodes of the sockets open in a process tree (from the /proc/PID/fd links `socket:[inode]`). */
export function socketInodes(rootPid: number): Set<string> {
  const out = new Set<string>();
  for (const pid of processTree(rootPid)) {
    let fds: string[];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(m[1]!);
      } catch { /* closed meanwhile */ }
    }
  }
  return out;
}

export class UdpDropTracker {
  readonly #baseline = new Map<string, number>();
  readonly #latest = new Map<string, number>();
  #first = true;
  maxSockets = 0;

  /** With `ownerPid`, only sockets that process tree owns count (another program may bind a port in the range). */
  constructor(private readonly ranges: readonly PortRange[], private readonly ownerPid?: number) {}

  sample(): void {
    let sockets = readSockets(this.ranges);
    if (this.ownerPid !== undefined) {
      const owned = socketInodes(this.ownerPid);
      sockets = sockets.filter((s) => owned.has(s.inode));
    }
    this.maxSockets = Math.max(this.maxSockets, sockets.length);
    for (const s of sockets) {
      const key = `${s.localPort}/${s.inode}`;
      if (this.#first) this.#baseline.set(key, s.drops);
      this.#latest.set(key, Math.max(this.#latest.get(key) ?? 0, s.drops));
    }
    this.#first = false;
  }

  /** Datagrams dropped since the first sample, over all sockets seen. */
  drops(): number {
    let total = 0;
    for (const [key, v] of this.#latest) total += v - (this.#baseline.get(key) ?? 0);
    return total;
  }
}
