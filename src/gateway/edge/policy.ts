/**
 * The edge policy: decides, before the SIP stack parses anything, whether a packet from a source
 * is worth handling. Order: responses pass (they answer our own requests); known scanners are
 * dropped; sources outside every trunk's CIDRs and every transfer target are dropped (or passed
 * on to the application, which answers 403, when a trunk says `on_reject: 403`); sources of trunks
 * with `tls.verify_peer` only over TLS with a verified client certificate of an allowed name; then a
 * per-source token bucket. A trusted proxy (`cluster.trusted_proxies`) passes without the bucket:
 * it carries every carrier's traffic, and limits floods itself (Kamailio's pike). Pure: no sockets, no SIP stack import. Counters go to prom-client.
 */
import { Counter, Registry } from 'prom-client';
import type { GatewayConfig } from '../config/schema.js';
import { CidrSet, parseAddress } from './cidr.js';
import { TokenBucketLimiter } from './rate-limit.js';
import { TrustedProxies } from './trusted-source.js';
import { ScannerDetector } from './scanner.js';

export interface PacketSource {
  address: string;
  port: number;
  protocol: string;
}

/** The client certificate verdict of a TLS connection (src/sip/transport TlsPeer). */
export interface PacketPeer {
  authorized: boolean;
  authorizationError?: string;
  names: string[];
}

export type EdgeVerdict = 'accept' | 'drop';
export type EdgeDropReason = 'scanner' | 'unknown_source' | 'rate_limited' | 'tls_peer_unverified';

export interface EdgePolicy {
  (source: PacketSource, raw: Buffer, peer?: PacketPeer): EdgeVerdict;
  /** Why the last decision for this call of `check` was made (for tests and logs). */
  check(source: PacketSource, raw: Buffer, peer?: PacketPeer): { verdict: EdgeVerdict; reason: EdgeDropReason | 'accepted' | 'response' | 'reject_403' };
  readonly registry: Registry;
  /** Drops so far by reason, and accepted packets. */
  counts(): Record<EdgeDropReason | 'accepted', number>;
}

export interface EdgePolicyOptions {
  /** Registry for the counters (default: a new one; the process can merge it into its own). */
  registry?: Registry;
  now?: () => number;
  /** Told once per dropped packet of a trunk that requires a verified TLS peer (a log line). */
  onTlsPeerRefused?: (info: { trunk: string; source: string; protocol: string; authorized: boolean; reason: string; names: string[] }) => void;
}

/** Trunks whose sources need a verified TLS client certificate. */
function tlsTrunks(config: GatewayConfig): { name: string; sources: CidrSet; allowedNames: string[] }[] {
  return config.trunks.filter((t) => t.tls.verify_peer).map((t) => ({ name: t.name, sources: new CidrSet(t.sources), allowedNames: t.tls.allowed_names }));
}

/** Allowed sources: every trunk's CIDRs plus transfer targets whose host is an IP literal. */
function allowedSources(config: GatewayConfig): { allowed: CidrSet; rejectWith403: boolean } {
  const ranges = config.trunks.flatMap((t) => t.sources);
  for (const target of Object.values(config.transfer_targets)) {
    const host = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;>]+)/i.exec(target.uri)?.[1];
    if (host && parseAddress(host)) ranges.push(host.replace(/^\[|\]$/g, ''));
  }
  return { allowed: new CidrSet(ranges), rejectWith403: config.trunks.some((t) => t.on_reject === '403') };
}

/** `SIP/2.0 ` at the start: a response, not a request (RFC 3261 §7.2). */
function isResponse(raw: Buffer): boolean {
  return raw.length >= 8 && raw.toString('latin1', 0, 8) === 'SIP/2.0 ';
}

export function createEdgePolicy(config: GatewayConfig, options: EdgePolicyOptions = {}): EdgePolicy {
  const { allowed, rejectWith403 } = allowedSources(config);
  const scanners = new ScannerDetector(config.edge.scanner_user_agents);
  const limiter = new TokenBucketLimiter({ ratePerSecond: config.edge.rate_per_second, burst: config.edge.burst, ...(options.now ? { now: options.now } : {}) });
  const registry = options.registry ?? new Registry();
  const dropped = new Counter({ name: 'trunkgate_edge_dropped_total', help: 'SIP packets dropped at the edge, by reason', labelNames: ['reason'], registers: [registry] });
  const accepted = new Counter({ name: 'trunkgate_edge_accepted_total', help: 'SIP packets passed to the SIP stack', registers: [registry] });
  const counts: Record<EdgeDropReason | 'accepted', number> = { scanner: 0, unknown_source: 0, rate_limited: 0, tls_peer_unverified: 0, accepted: 0 };
  const verified = tlsTrunks(config);
  const plainTrunks = new CidrSet(config.trunks.filter((t) => !t.tls.verify_peer).flatMap((t) => t.sources));
  /** A source of a verify_peer trunk (and of no other trunk) passes only with a verified, allowed certificate. */
  const tlsRefusal = (source: PacketSource, peer: PacketPeer | undefined): string | undefined => {
    if (verified.length === 0 || plainTrunks.contains(source.address)) return undefined;
    const trunk = verified.find((t) => t.sources.contains(source.address));
    if (!trunk) return undefined;
    let reason: string | undefined;
    if (source.protocol.toLowerCase() !== 'tls' || !peer) reason = 'not over TLS';
    else if (!peer.authorized) reason = peer.authorizationError ?? 'no client certificate';
    else if (trunk.allowedNames.length > 0 && !peer.names.some((n) => trunk.allowedNames.includes(n))) reason = 'certificate name not in allowed_names';
    if (reason) options.onTlsPeerRefused?.({ trunk: trunk.name, source: `${source.address}:${source.port}`, protocol: source.protocol, authorized: peer?.authorized ?? false, reason, names: peer?.names ?? [] });
    return reason;
  };

  const drop = (reason: EdgeDropReason) => {
    counts[reason]++;
    dropped.inc({ reason });
    return { verdict: 'drop' as const, reason };
  };
  const accept = <R extends 'accepted' | 'response' | 'reject_403'>(reason: R) => {
    counts.accepted++;
    accepted.inc();
    return { verdict: 'accept' as const, reason };
  };

  const proxies = new TrustedProxies(config.cluster);
  const check: EdgePolicy['check'] = (source, raw, peer) => {
    if (isResponse(raw)) return accept('response');
    if (scanners.isScanner(raw)) return drop('scanner');
    if (proxies.trusts(source.address, source.port)) return accept('accepted');
    const known = allowed.contains(source.address);
    if (!known && !rejectWith403) return drop('unknown_source');
    if (known && tlsRefusal(source, peer)) return drop('tls_peer_unverified');
    if (!limiter.take(source.address)) return drop('rate_limited');
    return accept(known ? 'accepted' : 'reject_403');
  };

  const policy = ((source: PacketSource, raw: Buffer, peer?: PacketPeer) => check(source, raw, peer).verdict) as EdgePolicy;
  Object.defineProperties(policy, {
    check: { value: check },
    registry: { value: registry },
    counts: { value: () => ({ ...counts }) },
  });
  return policy;
}
