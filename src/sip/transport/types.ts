import type { SipMessage } from '../message/index.js';
import { TrunkgateError } from '../../errors.js';

/** Transport protocols trunkgate speaks (RFC 3261 §18). */
export type TransportProtocol = 'udp' | 'tcp' | 'tls';

/** One side of a SIP hop: the protocol plus an IP address (v4 or v6, no brackets) and port. */
export interface Endpoint {
  protocol: TransportProtocol;
  address: string;
  port: number;
  /**
   * The host name this endpoint stands for (lower case), when the URI it was resolved from named
   * its host rather than giving an IP address (`sips:pbx.example.com` → `pbx.example.com`); for an
   * in-dialog request to an IP address, the name the dialog was set up with (Dialog.peerHost).
   * Over TLS it is the server identity checked in the certificate and the SNI server_name
   * (RFC 5922 §7.3, §7.8); absent, the certificate must name `address`.
   */
  host?: string;
}

/** A listener to open. `port: 0` binds an ephemeral port (read it back from `SipStack.localEndpoint`). */
export interface ListenOptions {
  protocol: TransportProtocol;
  /** IP literal to bind, e.g. `127.0.0.1` or `::1`. */
  address: string;
  port: number;
  /**
   * PEM certificate and key, required for `tls`. `requestCert`: ask clients for a certificate
   * (checked against `ca`); the handshake still completes without one, and the verdict reaches
   * the SourcePolicy as a TlsPeer, which decides. Connections we open use TlsClientOptions instead.
   */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
  /** Host to put in Via sent-by and Contact instead of the bound address (e.g. a public IP). */
  advertisedAddress?: string;
  advertisedPort?: number;
}

/**
 * How the transport connects out over TLS (RFC 3261 §26.3.1, RFC 5922 §7.3): the client side's
 * trust anchors, its own certificate, and whether the server's certificate is checked.
 */
export interface TlsClientOptions {
  /**
   * Check the server's certificate chain and that it names the host the request is for
   * (Endpoint.host, else its IP address); a server that fails is not sent anything
   * (TRANSPORT_TLS_VERIFY_FAILED). false accepts any certificate.
   */
  verifyServer: boolean;
  /** PEM CA certificates trusted in addition to Node's bundled roots (tls.rootCertificates). */
  ca?: string | Buffer | undefined;
  /** PEM certificate chain and key presented to servers that ask for a client certificate (mutual TLS). */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /**
   * More names a server at `address` may show, when the request names no host (an IP-literal
   * URI): the gateway's per-trunk `tls.server_names` for the trunk's own addresses.
   */
  namesFor?: ((address: string) => readonly string[]) | undefined;
}

/** What the TLS handshake said about the client of an accepted TLS connection. */
export interface TlsPeer {
  /** It presented a certificate that the listener's CA list verifies. */
  authorized: boolean;
  /** Why not (OpenSSL's reason), when not authorized. */
  authorizationError?: string;
  /** Subject CN and subjectAltName DNS / IP entries of its certificate. */
  names: string[];
}

/**
 * Called for every datagram / framed stream message BEFORE parsing: IP ACLs, scanners, rate
 * limits. `peer` is set for messages on a TLS connection we accepted.
 */
export type SourcePolicy = (source: Endpoint, raw: Buffer, peer?: TlsPeer) => 'accept' | 'drop';

/** A message as it came off the wire, with where it came from and where it arrived. */
export interface InboundMessage<M extends SipMessage = SipMessage> {
  message: M;
  raw: Buffer;
  source: Endpoint;
  local: Endpoint;
  /** Clock time (ms) when the bytes were read. */
  receivedAt: number;
  /** Set for TCP/TLS: the connection the message came on (responses go back over it). */
  connectionId?: string;
}

/** Error codes of the transport layer (stable, for callers and tests). */
export type TransportErrorCode =
  | 'TRANSPORT_NO_LISTENER'
  | 'TRANSPORT_CONNECT_FAILED'
  | 'TRANSPORT_TLS_VERIFY_FAILED'
  | 'TRANSPORT_SEND_FAILED'
  | 'TRANSPORT_MESSAGE_TOO_LARGE'
  | 'TRANSPORT_UNRESOLVABLE'
  | 'TRANSPORT_CLOSED';

export class TransportError extends TrunkgateError<TransportErrorCode> {
  constructor(code: TransportErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** `[::1]` → `::1`: addresses in Endpoint never carry brackets. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `::1` → `[::1]` for use in Via / URIs (RFC 5118). */
export function hostForUri(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

export function endpointKey(e: Endpoint): string {
  return `${e.protocol}:${e.address}:${e.port}`;
}
