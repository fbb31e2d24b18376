import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CallbackServer {
  url: string;
  /** Every body received, in order of arrival. */
  bodies: Record<string, unknown>[];
  /** Resolves with the bodies once one with `event` arrived (rejects after `timeoutMs`). */
  until(event: string, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** A status-callback receiver on 127.0.0.1 (an ephemeral port): answers 200 to every POST and keeps its JSON body. */
export async function startCallbackServer(): Promise<CallbackServer> {
  const bodies: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try { bodies.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>); } catch { bodies.push({ unparsable: true }); }
      res.writeHead(200).end();
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/status`,
    bodies,
    until: (event, timeoutMs = 20_000) => new Promise((resolve, reject) => {
      const check = (): void => {
        if (!bodies.some((b) => b.event === event)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(bodies);
      };
      const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no '${event}' callback within ${timeoutMs} ms (got ${bodies.map((b) => String(b.event)).join(', ') || 'none'})`)); }, timeoutMs);
      waiters.add(check);
      check();
    }),
    close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
