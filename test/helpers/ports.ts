import { tcpPortFree, udpPortFree } from '../../src/loadtest/ports.js';

/**
 * Loopback ports for tests. Test files run in parallel workers and start real peers (SIPp,
 * baresip, the gateway) that bind their ports only later, so a port that was merely free when a test
 * probed it can be taken by the other worker before the peer binds it. Each vitest worker therefore
 * owns its own block of ports below the kernel's ephemeral range (32768–60999 on Linux, where
 * sockets bound to port 0 land), and hands them out in sequence, probing each before use:
 *
 *   worker 1: 10000–12499, worker 2: 12500–14999, worker 3: 15000–17499, worker 4: 17500–19999
 *
 * The load-test command's own peers (src/loadtest/ports.ts) take ports from 20000–32767.
 */
const BLOCK_BASE = 10_000;
const BLOCK_SIZE = 2_500;
const BLOCKS = 4;

const poolId = Number(process.env.VITEST_POOL_ID ?? '1');
const blockMin = BLOCK_BASE + ((Number.isFinite(poolId) ? poolId - 1 : 0) % BLOCKS) * BLOCK_SIZE;
// Files in one worker run one after another with fresh module state; starting each file at a random
// point of the block keeps it clear of ports a previous file's peers may still be releasing.
let next = blockMin + 2 * Math.floor(Math.random() * (BLOCK_SIZE / 2));

/** Takes `count` consecutive ports of this worker's block, the first one even. */
function take(count: number): number {
  if (next % 2 === 1) next++;
  if (next + count > blockMin + BLOCK_SIZE) next = blockMin;
  const first = next;
  next += count;
  return first;
}

async function claim(count: number, host: string, tcpToo: boolean): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < BLOCK_SIZE; attempt++) {
    const min = take(count);
    let ok = true;
    for (let p = min; p < min + count && ok; p++) {
      ok = await udpPortFree(p, host) && (!tcpToo || await tcpPortFree(p, host));
    }
    if (ok) return { min, max: min + count - 1 };
  }
  throw new Error(`no ${count} free loopback port(s) left in ${blockMin}–${blockMin + BLOCK_SIZE - 1}`);
}

/** A loopback port free for both UDP and TCP (SIP listens on both), owned by this worker. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return (await claim(1, host, true)).min;
}

/** `count` consecutive UDP ports starting on an even one (RTP even, RTCP odd), for a media port range. */
export async function freePortRange(count: number, host = '127.0.0.1'): Promise<{ min: number; max: number }> {
  return claim(count, host, false);
}

/**
 * A base port for SIPp's `-mp`: SIPp binds it and the next three (audio RTP/RTCP and video
 * RTP/RTCP), so all four must be free.
 */
export async function sippMediaPort(host = '127.0.0.1'): Promise<number> {
  return (await freePortRange(4, host)).min;
}
