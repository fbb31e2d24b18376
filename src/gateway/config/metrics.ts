/**
 * `metrics:` — where the Prometheus endpoint listens (issue 15 item 3). The same listener serves
 * `/health` (the process is alive) and `/ready` (it takes calls: src/gateway/app/readiness.ts).
 * Without the section nothing listens.
 *
 *   metrics: { listen: 127.0.0.1:9464 }
 */
import { z } from 'zod';

/** `host:port`, IPv6 in brackets (`[::1]:9464`). */
export const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, { message: 'not host:port (e.g. 127.0.0.1:9464)' })
  .refine((s) => { const p = Number(s.slice(s.lastIndexOf(':') + 1)); return p >= 0 && p <= 65535; }, { message: 'port must be 0–65535' });

export const metricsSchema = z.object({
  listen: hostPort.default('127.0.0.1:9464'),
}).strict();

export type MetricsConfig = z.output<typeof metricsSchema>;

/** `host:port` → the parts `net.Server.listen` takes. */
export function splitHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
}
