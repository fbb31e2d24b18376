/**
 * The operations listener (`metrics: { listen }`): Prometheus text at /metrics, liveness at
 * /health, readiness at /ready (200 when the instance takes calls, else 503 naming why). GET and
 * HEAD only; anything else is 405, an unknown path 404.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../log.js';
import type { Readiness } from '../app/readiness.js';

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  ready: () => Readiness;
  log: Logger;
}

export interface OpsServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}

/** Resolves once listening; rejects with the listen error (EADDRINUSE …). */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n', false);
    }
    switch (path) {
      case '/metrics':
        return send(res, 200, options.registry.contentType, await options.registry.metrics(), head);
      case '/health':
        return send(res, 200, 'application/json', '{"status":"alive"}\n', head);
      case '/ready': {
        const r = options.ready();
        return send(res, r.ready ? 200 : 503, 'application/json', `${JSON.stringify({ status: r.ready ? 'ready' : 'not_ready', reasons: r.reasons })}\n`, head);
      }
      default:
        return send(res, 404, 'text/plain', 'not found\n', head);
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.log.warn({ err, url: req.url }, 'metrics listener: request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n', false);
      else res.destroy();
    });
  });
  // Scrapers keep connections open: close() must not wait for them.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  options.log.info({ event: 'metrics_listening', host: addr.address, port: addr.port }, `metrics, /health and /ready on http://${addr.address}:${addr.port}`);
  let closing: Promise<void> | undefined;
  return {
    host: addr.address,
    port: addr.port,
    close: () => (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })),
  };
}
