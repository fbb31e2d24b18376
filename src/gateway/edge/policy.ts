/**
 * The edge policy: decides, before the SIP stack parses anything, whether a packet from a source
 * is worth handling. Order: responses pass (they answer our own requests); known scanners are
 * dropped; sources outside every trunk's CIDRs and every transfer target are dropped (or passed
 * on to the application, which answers 403, when a trunk says `on_reject: 403`); then a per-source
 * token bucket. Pure: no sockets, no SIP stack import. Counters go to prom-client.
 */
import { Counter, Registry } from 'prom-client';
import type { GatewayConfig } from '../config/schema.js';
import { CidrSet, parseAddress } from './cidr.js';
import { TokenBucketLimiter } from './rate-limit.js';
import { ScannerDetector } from './scanner.js';

export interface PacketSource {
  address: string;
  port: number;
  protocol: string;
}

export type EdgeVerdict = 'accept' | 'drop';
export type EdgeDropReason = 'scanner' | 'unknown_source' | 'rate_limited';

export interface EdgePolicy {
  (source: PacketSource, raw: Buffer): EdgeVerdict;
  /** Why the last decision for this call of `check` was made (for tests and logs). */
  check(source: PacketSource, raw: Buffer): { verdict: EdgeVerdict; reason: EdgeDropReason | 'accepted' | 'response' | 'reject_403' };
  readonly registry: Registry;
  /** Drops so far by reason, and accepted packets. */
  counts(): Record<EdgeDropReason | 'accepted', number>;
}

export interface EdgePolicyOptions {
  /** Registry for the counters (default: a new one; the process can merge it into its own). */
  registry?: Registry;
  now?: () => number;
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
  const counts: Record<EdgeDropReason | 'accepted', number> = { scanner: 0, unknown_source: 0, rate_limited: 0, accepted: 0 };

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

  const check: EdgePolicy['check'] = (source, raw) => {
    if (isResponse(raw)) return accept('response');
    if (scanners.isScanner(raw)) return drop('scanner');
    const known = allowed.contains(source.address);
    if (!known && !rejectWith403) return drop('unknown_source');
    if (!limiter.take(source.address)) return drop('rate_limited');
    return accept(known ? 'accepted' : 'reject_403');
  };

  const policy = ((source: PacketSource, raw: Buffer) => check(source, raw).verdict) as EdgePolicy;
  Object.defineProperties(policy, {
    check: { value: check },
    registry: { value: registry },
    counts: { value: () => ({ ...counts }) },
  });
  return policy;
}
