/**
 * Resolving a SIP URI to the endpoint a request goes to (RFC 3263 reduced to what trunkgate
 * needs: IP literals, `localhost` and A/AAAA via dns.lookup; no NAPTR/SRV). The transport comes
 * from the `transport` parameter, `sips:` means TLS (§26.2), default UDP. When the URI's host is
 * a name the endpoint keeps it (`host`): RFC 5922 §7.3 has a TLS client compare the server's
 * certificate with the domain of the URI it set out to reach, not with the address it resolved to.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SipUri } from '../message/index.js';
import { parseUri } from '../message/index.js';
import type { Endpoint, TransportProtocol } from './types.js';
import { TransportError, stripBrackets } from './types.js';

export function uriProtocol(uri: SipUri): TransportProtocol {
  const t = (uri.params.transport ?? '').toLowerCase();
  if (uri.scheme === 'sips' || t === 'tls') return 'tls';
  if (t === 'tcp') return 'tcp';
  return 'udp';
}

export function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' ? 5061 : 5060;
}

/** Resolves a host name or IP literal (brackets allowed) to an IP address; `localhost` is 127.0.0.1, as in resolveUriSync. */
export async function resolveHost(host: string, preferFamily?: 4 | 6): Promise<string> {
  const h = stripBrackets(host);
  if (isIP(h)) return h;
  // Whatever order the hosts file gives (::1 first on some systems): the same answer as the sync path.
  if (h.toLowerCase() === 'localhost' && preferFamily !== 6) return '127.0.0.1';
  try {
    const r = await lookup(h, preferFamily ? { family: preferFamily } : { family: 0 });
    return r.address;
  } catch {
    throw new TransportError('TRANSPORT_UNRESOLVABLE', `cannot resolve ${h}`);
  }
}

/** The name a URI host stands for, lower case; undefined for an IP literal. */
export function hostName(host: string): string | undefined {
  const h = stripBrackets(host);
  return isIP(h) ? undefined : h.toLowerCase();
}

/** Synchronous variant for IP literals and `localhost` (→ 127.0.0.1); other names throw TRANSPORT_UNRESOLVABLE. */
export function resolveUriSync(uri: SipUri | string): Endpoint {
  const u = typeof uri === 'string' ? parseUri(uri) : uri;
  if (u.scheme !== 'sip' && u.scheme !== 'sips') {
    throw new TransportError('TRANSPORT_UNRESOLVABLE', `cannot route to a ${u.scheme}: URI`);
  }
  const protocol = uriProtocol(u);
  const host = stripBrackets(u.params.maddr ?? u.host);
  const address = isIP(host) ? host : host.toLowerCase() === 'localhost' ? '127.0.0.1' : undefined;
  if (!address) throw new TransportError('TRANSPORT_UNRESOLVABLE', `${host} needs DNS: resolve the destination first`);
  return withHost({ protocol, address, port: u.port ?? defaultPort(protocol) }, u.host);
}

/**
 * The endpoint for a SIP/SIPS URI (`maddr` wins over host for the address, §19.1.1; the URI's
 * host, when a name, stays the identity a TLS server must prove).
 */
export async function resolveUri(uri: SipUri | string): Promise<Endpoint> {
  const u = typeof uri === 'string' ? parseUri(uri) : uri;
  if (u.scheme !== 'sip' && u.scheme !== 'sips') {
    throw new TransportError('TRANSPORT_UNRESOLVABLE', `cannot route to a ${u.scheme}: URI`);
  }
  const protocol = uriProtocol(u);
  const host = u.params.maddr ?? u.host;
  return withHost({ protocol, address: await resolveHost(host), port: u.port ?? defaultPort(protocol) }, u.host);
}

function withHost(endpoint: Endpoint, uriHost: string): Endpoint {
  const name = hostName(uriHost);
  return name ? { ...endpoint, host: name } : endpoint;
}
