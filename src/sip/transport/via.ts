/**
 * Top-Via handling of the transport layer: `received` / `rport` on incoming requests
 * (RFC 3261 §18.2.1, RFC 3581 §4) and where a response goes (RFC 3261 §18.2.2, RFC 3581 §4).
 */
import type { SipMessage, Via } from '../message/index.js';
import { formatVia } from '../message/index.js';
import type { Endpoint, TransportProtocol } from './types.js';
import { stripBrackets } from './types.js';

/** Replaces the top Via value of a message (keeps the other Via values and their order). */
export function setTopVia(message: SipMessage, via: Via): void {
  const all = message.headers.getAll('via');
  if (all.length === 0) return;
  all[0] = formatVia(via);
  message.headers.remove('via');
  for (let i = all.length - 1; i >= 0; i--) message.headers.prepend('Via', all[i]!);
}

export function topVia(message: SipMessage): Via | undefined {
  try {
    const v = message.vias[0];
    // A copy: callers modify params.
    return v ? { ...v, params: { ...v.params } } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * §18.2.1: "the server transport MUST add a received parameter" when sent-by's host differs from
 * the packet source; RFC 3581 §4: an empty `rport` is filled with the source port, and then
 * `received` MUST be added even if the host matches. Returns true if the Via was changed.
 */
export function stampReceived(message: SipMessage, source: Endpoint): boolean {
  const via = topVia(message);
  if (!via) return false;
  let changed = false;
  const hasRport = Object.prototype.hasOwnProperty.call(via.params, 'rport');
  if (hasRport && (via.params.rport === null || via.params.rport === '')) {
    via.params.rport = String(source.port);
    changed = true;
  }
  if (stripBrackets(via.host) !== source.address || hasRport) {
    if (via.params.received !== source.address) {
      via.params.received = source.address;
      changed = true;
    }
  }
  if (changed) setTopVia(message, via);
  return changed;
}

/** Where a response is sent, absent a usable connection (§18.2.2). `host` may be a name to resolve. */
export interface ResponseTarget {
  protocol: TransportProtocol;
  host: string;
  port: number;
}

export function viaProtocol(via: Via): TransportProtocol {
  const t = via.transport.toUpperCase();
  return t === 'TCP' ? 'tcp' : t === 'TLS' ? 'tls' : 'udp';
}

/**
 * §18.2.2: reliable → the connection (handled by the caller), else received + sent-by port;
 * maddr → maddr; unreliable with received → received + (rport | sent-by port); else sent-by.
 */
export function responseTarget(via: Via): ResponseTarget {
  const protocol = viaProtocol(via);
  const defaultPort = protocol === 'tls' ? 5061 : 5060;
  const sentByPort = via.port ?? defaultPort;
  const received = via.params.received ?? undefined;
  const rport = via.params.rport ? Number(via.params.rport) : undefined;
  if (protocol !== 'udp') {
    return { protocol, host: received ?? stripBrackets(via.host), port: sentByPort };
  }
  if (via.params.maddr) return { protocol, host: stripBrackets(via.params.maddr), port: sentByPort };
  if (received) return { protocol, host: stripBrackets(received), port: rport && rport > 0 ? rport : sentByPort };
  return { protocol, host: stripBrackets(via.host), port: rport && rport > 0 ? rport : sentByPort };
}
