/** The `api:` section: the REST call-control API (src/gateway/api), off unless configured. */
import { z } from 'zod';

export const API_DEFAULT_LISTEN = '127.0.0.1:8080';

export const apiConfigSchema = z.object({
  /** host:port the HTTP server listens on (port 0: any free port). */
  listen: z.string().regex(/^\[?[^\s\]]+\]?:\d{1,5}$/, { message: 'not host:port (e.g. 127.0.0.1:8080)' }).default(API_DEFAULT_LISTEN),
  /** Bearer token every request must carry (Authorization: Bearer <token>). */
  token: z.string().min(16, { message: 'token must be at least 16 characters' }),
}).strict();

export type ApiConfig = z.output<typeof apiConfigSchema>;

/** Splits `listen` into host and port ([::1]:8080 → ::1, 8080). */
export function apiListenAddress(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}
