import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Resolves once some local socket holds UDP `port` (a SIPp peer started with `-p port` has bound
 * it), read from /proc/net/udp — the kernel has no event for another process's bind, so this
 * polls; it never binds the port itself. Rejects after timeoutMs.
 */
export async function udpBound(port: number, timeoutMs = 10_000): Promise<void> {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
      let text = '';
      try { text = readFileSync(file, 'utf8'); } catch { continue; }
      if (text.split('\n').slice(1).some((line) => line.trim().split(/\s+/)[1]?.endsWith(suffix))) return;
    }
    if (Date.now() > deadline) throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
    await delay(10);
  }
}
