/**
 * `cluster:` — running as one of several instances behind a SIP proxy tier (Kamailio's dispatcher,
 * sip-configs/kamailio/). `instance_id` names this process in generated Call-IDs, logs and
 * call_end; `trusted_proxies` are the proxies whose `source_header` (the carrier's real address,
 * added by the proxy) the gateway believes for trunk matching and its ACLs. From anyone else the
 * header is ignored: the packet's own source address decides, as without a proxy.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseCidr } from '../edge/cidr.js';

/** `CIDR`, `address`, `address:port` or `[v6]:port`: a port pins one proxy socket (several on one host). */
export interface TrustedProxy {
  cidr: string;
  port?: number;
}

/** Parses one `trusted_proxies` entry; undefined when it is not one of the accepted forms. */
export function parseTrustedProxy(entry: string): TrustedProxy | undefined {
  const s = entry.trim();
  const v6Port = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s);
  const v4Port = /^(\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?):(\d{1,5})$/.exec(s);
  const withPort = v6Port ?? v4Port;
  const host = withPort ? withPort[1]! : s;
  const port = withPort ? Number(withPort[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  const cidr = host.includes('/') ? host : `${host}/${isIP(host) === 6 ? 128 : 32}`;
  try { parseCidr(cidr); } catch { return undefined; }
  return port === undefined ? { cidr } : { cidr, port };
}

export const clusterSchema = z.object({
  /** This instance's name: the host part of Call-IDs the gateway generates, `instance` on every log line. */
  instance_id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'instance_id: letters, digits, . _ - (at most 64)' }).optional(),
  /** Proxies whose source header is trusted: CIDR, address, or address:port. */
  trusted_proxies: z.array(z.string().refine((s) => parseTrustedProxy(s) !== undefined, {
    message: 'not a CIDR, address or address:port (e.g. 10.0.0.5, 10.0.0.0/24, 127.0.0.1:5080, [::1]:5080)',
  })).default([]),
  /** The header a trusted proxy puts the carrier's address in (`address` or `address:port`). */
  source_header: z.string().regex(/^[A-Za-z0-9!%*_+`'~.-]+$/, { message: 'not a SIP header name' }).default('X-Carrier-Source'),
}).strict();

export type ClusterConfig = z.output<typeof clusterSchema>;
