/**
 * The carrier's address of a request: the packet's own source, or — when the packet comes from a
 * configured trusted proxy (`cluster.trusted_proxies`) — the address that proxy wrote in
 * `cluster.source_header`. A header from any other source is ignored (anyone can write one).
 * Trunk matching, the trunk ACL and OPTIONS answers all read the address from here.
 */
import { isIP } from 'node:net';
import type { ClusterConfig } from '../config/cluster.js';
import { parseTrustedProxy } from '../config/cluster.js';
import { CidrSet } from './cidr.js';

export interface CarrierSource {
  /** The address trunks are matched against. */
  address: string;
  /** The trusted proxy the request came through (`address:port`), when the header was used. */
  proxy?: string;
}

/** `203.0.113.7`, `203.0.113.7:5060`, `[2001:db8::1]:5060` or `2001:db8::1` → the address; else undefined. */
export function addressOfHeader(value: string): string | undefined {
  const v = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(v);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? bracketed[1] : undefined;
  if (isIP(v)) return v;
  const v4Port = /^([\d.]+):\d{1,5}$/.exec(v);
  return v4Port && isIP(v4Port[1]!) === 4 ? v4Port[1] : undefined;
}

export class TrustedProxies {
  readonly #anyPort: CidrSet;
  readonly #byPort = new Map<number, CidrSet>();
  readonly header: string;
  readonly size: number;

  constructor(cluster: Pick<ClusterConfig, 'trusted_proxies' | 'source_header'>) {
    const parsed = cluster.trusted_proxies.map((e) => parseTrustedProxy(e)!);
    this.#anyPort = new CidrSet(parsed.filter((p) => p.port === undefined).map((p) => p.cidr));
    const byPort = new Map<number, string[]>();
    for (const p of parsed) if (p.port !== undefined) byPort.set(p.port, [...(byPort.get(p.port) ?? []), p.cidr]);
    for (const [port, cidrs] of byPort) this.#byPort.set(port, new CidrSet(cidrs));
    this.header = cluster.source_header;
    this.size = parsed.length;
  }

  /** Whether a packet from this address and port comes from a trusted proxy. */
  trusts(address: string, port: number): boolean {
    if (this.size === 0) return false;
    return this.#anyPort.contains(address) || (this.#byPort.get(port)?.contains(address) ?? false);
  }

  /**
   * The carrier's address for a request from `address:port` carrying `headerValue` (the source
   * header, if present). Untrusted source, no header, or a value that is not an address: the
   * packet's own source.
   */
  carrierSource(address: string, port: number, headerValue: string | undefined): CarrierSource {
    if (!headerValue || !this.trusts(address, port)) return { address };
    const carrier = addressOfHeader(headerValue);
    return carrier ? { address: carrier, proxy: `${address}:${port}` } : { address };
  }
}
