import type { TestGateway } from './gateway.js';

/** Open handles by type (UDPWRAP = UDP sockets, TCPWRAP = TCP sockets, Timeout = timers). */
function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/**
 * What a gateway holds: sockets, calls, media ports, server dialogs, and timers outside the SIP
 * stack (whose transactions rightly linger 32 s: RFC 3261 Timer J, RFC 6026 Timer L).
 */
export function gatewaySnapshot(gw: TestGateway) {
  const res = resources();
  const stackTimers = gw.proc.server!.stats.stack.timers;
  return { udpSockets: res.UDPWRAP ?? 0, tcpSockets: res.TCPWRAP ?? 0, ...gw.proc.gateway.stats(), dialogs: gw.proc.server!.stats.dialogs, otherTimers: (res.Timeout ?? 0) - stackTimers };
}

export type GatewaySnapshot = ReturnType<typeof gatewaySnapshot>;

/**
 * The snapshot once nothing outnumbers `before` (a closed socket leaves the list only once libuv has
 * finished closing it, a turn or two later), or the last one after `timeoutMs` for the assertions to show.
 */
export async function settled(gw: TestGateway, before: GatewaySnapshot, timeoutMs = 5000): Promise<GatewaySnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = gatewaySnapshot(gw);
    const clean = now.udpSockets <= before.udpSockets && now.tcpSockets <= before.tcpSockets && now.otherTimers <= before.otherTimers && now.dialogs <= before.dialogs && now.mediaPortsInUse === 0;
    if (clean || Date.now() > deadline) return now;
    await new Promise((r) => setImmediate(r));
  }
}
