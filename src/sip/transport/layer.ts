/**
 * The transport layer (RFC 3261 §18): UDP, TCP and TLS listeners on IPv4/IPv6, connection reuse,
 * received/rport stamping, §18.2.2 response routing, CRLF keep-alive, size limits, idle
 * connection cleanup, the source policy hook that runs before any parsing, and the client side
 * of TLS: the server's certificate checked against the host a request is for (RFC 5922 §7.3).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer, connect as tcpConnect, isIP, isIPv6, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, connect as tlsConnect, rootCertificates, type SecureContext, type TLSSocket } from 'node:tls';
import type { Logger } from '../../log.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.js';
import { parseMessage, parseUri, StreamFramer, type SipParseError } from '../message/index.js';
import type { Clock, TimerHandle } from '../transaction/timers.js';
import { buildBadRequestResponse } from './bad-request.js';
import { hostName, resolveHost, resolveUri, resolveUriSync } from './resolve.js';
import { serverIdentityError } from './tls-identity.js';
import type { Endpoint, InboundMessage, ListenOptions, SourcePolicy, TlsClientOptions, TlsPeer, TransportProtocol } from './types.js';
import { TransportError, endpointKey, hostForUri, stripBrackets } from './types.js';
import { responseTarget, stampReceived, topVia } from './via.js';

export interface TransportLayerOptions {
  listen: ListenOptions[];
  clock: Clock;
  logger: Logger;
  sourcePolicy?: SourcePolicy | undefined;
  maxMessageSize: number;
  idleConnectionTimeout: number;
  udpBufferSize: number;
  userAgent?: string | undefined;
  /** Outbound TLS: trust anchors, client certificate, server verification. Default: verify against Node's roots. */
  tlsClient?: TlsClientOptions | undefined;
}

interface Listener {
  options: ListenOptions;
  local: Endpoint;
  udp?: UdpSocket;
  server?: Server;
}

interface Connection {
  id: string;
  /** Its key in #byRemote (#sendKey / #acceptedKey). */
  key: string;
  protocol: 'tcp' | 'tls';
  socket: Socket | TLSSocket;
  remote: Endpoint;
  local: Endpoint;
  framer: StreamFramer;
  /** Resolves when the socket is connected (outbound) — immediately for accepted ones. */
  ready: Promise<void>;
  lastActivity: number;
  idleTimer?: TimerHandle;
  /** Accepted TLS connections: the client's certificate verdict. */
  peer?: TlsPeer;
  /** False while an outbound TLS connection's server is not verified: nothing it sends is read. */
  trusted: boolean;
}

/** The client certificate of an accepted TLS socket, as the SourcePolicy sees it. */
function tlsPeerOf(socket: TLSSocket): TlsPeer {
  const cert = socket.getPeerCertificate();
  const names: string[] = [];
  if (cert && typeof cert.subject?.CN === 'string') names.push(cert.subject.CN);
  for (const entry of (cert?.subjectaltname ?? '').split(',')) {
    const m = /^\s*(DNS|IP Address):(.+)$/.exec(entry);
    if (m) names.push(m[2]!.trim());
  }
  const err = socket.authorizationError;
  return { authorized: socket.authorized, ...(err ? { authorizationError: String(err) } : {}), names };
}

let connectionSeq = 0;

/** §8.1.2: the first Route if it is a loose router (`;lr`), else the Request-URI. */
function nextHopUri(request: SipRequest): string {
  const route = request.headers.getAll('route')[0];
  if (route) {
    const m = /<([^>]+)>/.exec(route);
    const uri = m ? m[1]! : route.trim();
    if (Object.prototype.hasOwnProperty.call(parseUri(uri).params, 'lr')) return uri;
  }
  return request.uri;
}

export class TransportLayer {
  readonly #o: TransportLayerOptions;
  readonly #listeners: Listener[] = [];
  readonly #connections = new Map<string, Connection>();
  /** Open connections by remote endpoint key, for reuse (§18.1.1 / §18.2.2). */
  readonly #byRemote = new Map<string, Connection>();
  /** The client side's TLS context (trust anchors, client certificate), built on the first TLS connect. */
  #clientContext: SecureContext | undefined;
  #onMessage: (m: InboundMessage) => void = () => undefined;
  #traffic: ((direction: 'in' | 'out', message: SipMessage) => void) | undefined;
  #closed = false;
  /** Packets dropped by the source policy, parse errors, oversize (for metrics and tests). */
  readonly stats = { dropped: 0, parseErrors: 0, badRequestsSent: 0, oversize: 0, keepalives: 0 };

  constructor(options: TransportLayerOptions) {
    this.#o = options;
  }

  onMessage(handler: (m: InboundMessage) => void): void {
    this.#onMessage = handler;
  }

  /**
   * Sees every message parsed in and every message handed to a socket (retransmissions
   * included): a tap for metrics, never for protocol decisions. One listener; it must not throw.
   */
  onTraffic(listener: (direction: 'in' | 'out', message: SipMessage) => void): void {
    this.#traffic = listener;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  get socketCount(): number {
    return this.#listeners.length + this.#connections.size;
  }

  async listen(): Promise<void> {
    for (const l of this.#o.listen) await this.#open(l);
  }

  async #open(options: ListenOptions): Promise<void> {
    const family = isIPv6(options.address) ? 6 : 4;
    if (options.protocol === 'udp') {
      const udp = createSocket({
        type: family === 6 ? 'udp6' : 'udp4',
        recvBufferSize: this.#o.udpBufferSize,
        sendBufferSize: this.#o.udpBufferSize,
        ipv6Only: family === 6,
      });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(options.port, options.address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      // Buffer sizes can only be set after bind on some kernels; set again, ignore failures (limits).
      try {
        udp.setRecvBufferSize(this.#o.udpBufferSize);
        udp.setSendBufferSize(this.#o.udpBufferSize);
      } catch { /* capped by net.core.rmem_max */ }
      const local: Endpoint = { protocol: 'udp', address: options.address, port: udp.address().port };
      udp.on('message', (raw, rinfo) => {
        this.#receive(raw, { protocol: 'udp', address: rinfo.address, port: rinfo.port }, local, undefined);
      });
      udp.on('error', (err) => this.#o.logger.warn({ err }, 'udp socket error'));
      this.#listeners.push({ options, local, udp });
      return;
    }
    const onConnection = (socket: Socket | TLSSocket): void => {
      const remote: Endpoint = { protocol: options.protocol, address: stripBrackets(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
      const conn = this.#adopt(socket, options.protocol as 'tcp' | 'tls', remote, local, Promise.resolve(), 'server', this.#acceptedKey(remote));
      if (options.protocol === 'tls') conn.peer = tlsPeerOf(socket as TLSSocket);
    };
    const requestCert = options.tls?.requestCert ?? false;
    const server: Server = options.protocol === 'tls'
      ? createTlsServer({ cert: options.tls?.cert, key: options.tls?.key, ca: options.tls?.ca, requestCert, rejectUnauthorized: false }, onConnection)
      : createTcpServer(onConnection);
    let local: Endpoint = { protocol: options.protocol, address: options.address, port: options.port };
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: options.port, host: options.address, ipv6Only: family === 6 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    local = { ...local, port: typeof addr === 'object' && addr ? addr.port : options.port };
    server.on('error', (err) => this.#o.logger.warn({ err }, 'stream listener error'));
    // A failed handshake (bad or untrusted certificate, wrong protocol) never reaches #adopt: say why.
    server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      this.#o.logger.warn({ event: 'tls_handshake_failed', code: err.code, reason: err.message, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, listener: `${local.address}:${local.port}` }, 'TLS handshake failed');
    });
    this.#listeners.push({ options, local, server });
  }

  /** `role`: RFC 5626 §4.4.1 — the side that accepted the connection receives pings, the side that opened it pongs. */
  #adopt(socket: Socket | TLSSocket, protocol: 'tcp' | 'tls', remote: Endpoint, local: Endpoint, ready: Promise<void>, role: 'server' | 'client', key: string): Connection {
    const conn: Connection = {
      id: `${protocol}-${++connectionSeq}`,
      key,
      protocol,
      socket,
      remote,
      local,
      framer: new StreamFramer({
        maxMessageSize: this.#o.maxMessageSize,
        role,
        onMessage: (raw) => this.#receive(raw, conn.remote, conn.local, conn),
        onPing: () => {
          // RFC 5626 §4.4.1: answer a double-CRLF ping with a single CRLF pong.
          this.stats.keepalives++;
          if (!conn.socket.destroyed) conn.socket.write('\r\n');
        },
        onError: (err) => this.#unframeable(conn, err),
      }),
      ready,
      lastActivity: this.#o.clock.now(),
      trusted: true,
    };
    socket.setNoDelay(true);
    this.#connections.set(conn.id, conn);
    this.#byRemote.set(key, conn);
    this.#armIdle(conn);
    socket.on('data', (chunk: Buffer) => this.#onData(conn, chunk));
    socket.on('error', (err) => this.#o.logger.debug({ err, connection: conn.id }, 'connection error'));
    socket.on('close', () => this.#forget(conn));
    return conn;
  }

  #forget(conn: Connection): void {
    if (conn.idleTimer) this.#o.clock.clearTimeout(conn.idleTimer);
    conn.idleTimer = undefined;
    this.#connections.delete(conn.id);
    if (this.#byRemote.get(conn.key) === conn) this.#byRemote.delete(conn.key);
  }

  #armIdle(conn: Connection): void {
    const limit = this.#o.idleConnectionTimeout;
    if (limit <= 0) return;
    if (conn.idleTimer) this.#o.clock.clearTimeout(conn.idleTimer);
    conn.idleTimer = this.#o.clock.setTimeout(() => {
      conn.idleTimer = undefined;
      const idle = this.#o.clock.now() - conn.lastActivity;
      if (idle >= limit) {
        this.#o.logger.debug({ connection: conn.id }, 'closing idle connection');
        conn.socket.destroy();
        this.#forget(conn);
      } else {
        this.#armIdle(conn);
      }
    }, Math.max(1, limit - (this.#o.clock.now() - conn.lastActivity)));
  }

  #onData(conn: Connection, chunk: Buffer): void {
    if (!conn.trusted) return;
    conn.lastActivity = this.#o.clock.now();
    conn.framer.push(chunk);
  }

  /** A stream that cannot be framed (no or bad Content-Length, too large) cannot be resynchronised: close it (§18.3). */
  #unframeable(conn: Connection, err: SipParseError): void {
    if (err.code === 'MESSAGE_TOO_LARGE') this.stats.oversize++;
    this.stats.parseErrors++;
    this.#o.logger.debug({ err, connection: conn.id }, 'closing unframeable stream');
    conn.socket.destroy();
    this.#forget(conn);
  }

  #receive(raw: Buffer, source: Endpoint, local: Endpoint, conn: Connection | undefined): void {
    const receivedAt = this.#o.clock.now();
    if (this.#o.sourcePolicy && this.#o.sourcePolicy(source, raw, conn?.peer) === 'drop') {
      this.stats.dropped++;
      return;
    }
    // UDP keep-alives (a bare CRLF or CRLFCRLF) are ignored.
    if (!conn && raw.length <= 4 && raw.toString('latin1').trim() === '') {
      this.stats.keepalives++;
      return;
    }
    if (raw.length > this.#o.maxMessageSize) {
      this.stats.oversize++;
      this.#rejectMalformed(raw, 'Message Too Large', source, conn, 513);
      return;
    }
    let message: SipMessage;
    try {
      message = parseMessage(raw);
    } catch (err) {
      this.stats.parseErrors++;
      const reason = (err as { reason?: string }).reason ?? 'Malformed Message';
      this.#rejectMalformed(raw, reason, source, conn, 400);
      return;
    }
    if (message.kind === 'request') {
      if (!topVia(message)) {
        this.stats.parseErrors++;
        return;
      }
      stampReceived(message, source);
    }
    const inbound: InboundMessage = { message, raw, source, local, receivedAt };
    if (conn) inbound.connectionId = conn.id;
    this.#traffic?.('in', message);
    try {
      this.#onMessage(inbound);
    } catch (err) {
      this.#o.logger.error({ err }, 'message handler threw');
    }
  }

  /** A malformed request gets a 400 (or 513) back to where it came from; a malformed response is dropped. */
  #rejectMalformed(raw: Buffer, reason: string, source: Endpoint, conn: Connection | undefined, status: 400 | 513): void {
    let res = buildBadRequestResponse(raw, reason);
    if (!res) return;
    if (status === 513) res = Buffer.from(res.toString('latin1').replace(/^SIP\/2\.0 400 [^\r]*/, 'SIP/2.0 513 Message Too Large'), 'latin1');
    this.stats.badRequestsSent++;
    if (conn) {
      if (!conn.socket.destroyed) conn.socket.write(res);
      return;
    }
    this.#sendBuffer(res, source).catch((err) => this.#o.logger.debug({ err }, 'could not send 400'));
  }

  // ---- local addresses -------------------------------------------------------------------

  #listenerFor(protocol: TransportProtocol, toward?: string): Listener | undefined {
    const family = toward ? (isIPv6(stripBrackets(toward)) ? 6 : 4) : undefined;
    const same = this.#listeners.filter((l) => l.local.protocol === protocol);
    if (family !== undefined) {
      const f = same.find((l) => (isIPv6(l.local.address) ? 6 : 4) === family);
      if (f) return f;
    }
    return same[0];
  }

  localEndpoint(protocol: TransportProtocol, toward?: string): Endpoint | undefined {
    const l = this.#listenerFor(protocol, toward);
    return l ? { ...l.local } : undefined;
  }

  sentBy(protocol: TransportProtocol, toward?: string): string {
    const l = this.#listenerFor(protocol, toward);
    if (!l) throw new TransportError('TRANSPORT_NO_LISTENER', `no ${protocol} listener`);
    const host = l.options.advertisedAddress ?? l.local.address;
    return `${hostForUri(host)}:${l.options.advertisedPort ?? l.local.port}`;
  }

  /**
   * Our Contact for `protocol`. Over TLS the scheme follows the request (RFC 3261 §12.1.1: a SIPS
   * Request-URI asks for a SIPS Contact; a sip: one over TLS gets `sip:…;transport=tls`, which
   * clients such as baresip need to reach us again over TLS). Without `scheme`, TLS gives sips:.
   */
  contact(protocol: TransportProtocol, user: string, toward?: string, scheme?: 'sip' | 'sips'): string {
    const s = protocol === 'tls' ? (scheme ?? 'sips') : 'sip';
    const param = protocol === 'udp' ? '' : `;transport=${protocol}`;
    return `<${s}:${user ? user + '@' : ''}${this.sentBy(protocol, toward)}${param}>`;
  }

  // ---- sending ---------------------------------------------------------------------------

  /** The destination of a request: first Route if loose-routing (`;lr`), else the Request-URI (§8.1.2). */
  async resolveRequestDestination(request: SipRequest): Promise<Endpoint> {
    return resolveUri(nextHopUri(request));
  }

  /** Same, for IP literals and `localhost` only (no DNS). */
  resolveRequestDestinationSync(request: SipRequest): Endpoint {
    return resolveUriSync(nextHopUri(request));
  }

  /** Sends a request to an endpoint, reusing an open TCP/TLS connection to it. */
  async sendRequest(request: SipRequest, destination: Endpoint): Promise<void> {
    this.#traffic?.('out', request);
    await this.#sendBuffer(request.toBuffer(), destination);
  }

  /**
   * Sends a response per §18.2.2: over the connection the request came on when still open,
   * else to the address derived from the top Via (received / rport / maddr / sent-by).
   */
  async sendResponse(response: SipResponse, connectionId?: string): Promise<void> {
    this.#traffic?.('out', response);
    const buf = response.toBuffer();
    if (connectionId) {
      const conn = this.#connections.get(connectionId);
      if (conn && !conn.socket.destroyed) {
        await this.#writeStream(conn, buf);
        return;
      }
    }
    const via = topVia(response);
    if (!via) throw new TransportError('TRANSPORT_SEND_FAILED', 'response has no Via');
    const target = responseTarget(via);
    const address = await resolveHost(target.host);
    const name = hostName(target.host);
    await this.#sendBuffer(buf, { protocol: target.protocol, address, port: target.port, ...(name ? { host: name } : {}) });
  }

  async sendStateless(message: SipMessage, destination?: Endpoint): Promise<void> {
    if (message.kind === 'response') {
      if (destination) {
        this.#traffic?.('out', message);
        await this.#sendBuffer(message.toBuffer(), destination);
      } else await this.sendResponse(message);
      return;
    }
    await this.sendRequest(message, destination ?? (await this.resolveRequestDestination(message)));
  }

  /** Raw bytes to an endpoint (UDP datagram or a reused / new TCP/TLS connection). */
  async #sendBuffer(buf: Buffer, dest: Endpoint): Promise<void> {
    if (this.#closed) throw new TransportError('TRANSPORT_CLOSED', 'transport layer is closed');
    if (buf.length > this.#o.maxMessageSize) throw new TransportError('TRANSPORT_MESSAGE_TOO_LARGE', `message of ${buf.length} bytes`);
    if (dest.protocol === 'udp') {
      const l = this.#listenerFor('udp', dest.address);
      if (!l?.udp) throw new TransportError('TRANSPORT_NO_LISTENER', 'no udp listener');
      const sock = l.udp;
      await new Promise<void>((resolve, reject) => {
        sock.send(buf, dest.port, dest.address, (err) => (err ? reject(new TransportError('TRANSPORT_SEND_FAILED', err.message)) : resolve()));
      });
      return;
    }
    const conn = this.#byRemote.get(this.#sendKey(dest)) ?? this.#connect(dest);
    await this.#writeStream(conn, buf);
  }

  get #verifyServer(): boolean {
    return this.#o.tlsClient?.verifyServer ?? true;
  }

  /**
   * The key a destination finds an open connection by (§18.1.1 reuse): the remote address, and for
   * TLS with verification the name the connection's server proved. A connection verified for one
   * name never carries requests meant for another name (or for an IP-literal URI) at the same
   * address: each identity gets its own connection and its own check.
   */
  #sendKey(dest: Endpoint): string {
    if (dest.protocol === 'tls' && this.#verifyServer) return `${endpointKey(dest)} name=${dest.host ?? ''}`;
    return endpointKey(dest);
  }

  /**
   * An accepted connection's key. With server verification on, TLS connections that peers opened
   * to us carry our responses (by connection id) but not our requests: we never checked that
   * peer as a server (RFC 5923 §5 would reuse one only once the peer's certificate proved the
   * identity asked for, and trunkgate does not implement its alias).
   */
  #acceptedKey(remote: Endpoint): string {
    if (remote.protocol === 'tls' && this.#verifyServer) return `${endpointKey(remote)} accepted`;
    return endpointKey(remote);
  }

  async #writeStream(conn: Connection, buf: Buffer): Promise<void> {
    await conn.ready;
    if (conn.socket.destroyed) throw new TransportError('TRANSPORT_SEND_FAILED', 'connection closed');
    conn.lastActivity = this.#o.clock.now();
    await new Promise<void>((resolve, reject) => {
      conn.socket.write(buf, (err) => (err ? reject(new TransportError('TRANSPORT_SEND_FAILED', err.message)) : resolve()));
    });
  }

  #connect(dest: Endpoint): Connection {
    const l = this.#listenerFor(dest.protocol, dest.address);
    if (!l) throw new TransportError('TRANSPORT_NO_LISTENER', `no ${dest.protocol} listener`);
    const remote: Endpoint = { protocol: dest.protocol, address: dest.address, port: dest.port };
    if (dest.protocol === 'tls') return this.#connectTls(dest, remote, l.local);
    const socket = tcpConnect({ host: dest.address, port: dest.port });
    const ready = new Promise<void>((resolve, reject) => {
      const onErr = (err: Error): void => reject(new TransportError('TRANSPORT_CONNECT_FAILED', err.message, { cause: err }));
      socket.once('error', onErr);
      socket.once('connect', () => {
        socket.off('error', onErr);
        resolve();
      });
    });
    ready.catch(() => undefined);
    return this.#adopt(socket, 'tcp', remote, l.local, ready, 'client', this.#sendKey(dest));
  }

  /**
   * RFC 3261 §26.3.1 and RFC 5922 §7.3: the client checks the server's certificate chain and
   * compares the domain of the URI it set out to reach (`dest.host`; else the IP address, plus
   * `namesFor`) with the identities in the certificate, and MUST close the connection at once
   * when the server is not authenticated. §7.8: the client SHOULD send that domain as the TLS
   * server_name (SNI; never an IP address, RFC 6066 §3). Nothing is written, and nothing the
   * server sends is read, before the verdict; a refusal fails every send waiting on the
   * connection with TRANSPORT_TLS_VERIFY_FAILED and logs `tls_server_refused` once.
   */
  #connectTls(dest: Endpoint, remote: Endpoint, local: Endpoint): Connection {
    const verify = this.#verifyServer;
    const identity = dest.host ?? dest.address;
    const names = dest.host ? [dest.host] : [dest.address, ...(this.#o.tlsClient?.namesFor?.(dest.address) ?? [])];
    const at = `${hostForUri(dest.address)}:${dest.port}`;
    let identityError: Error | undefined;
    const socket = tlsConnect({
      host: dest.address,
      port: dest.port,
      secureContext: this.#tlsClientContext(),
      ...(dest.host && !isIP(dest.host) ? { servername: dest.host } : {}),
      // The verdict is taken below, so that a certificate refused is told apart from a failed connect.
      rejectUnauthorized: false,
      checkServerIdentity: (_servername, cert) => (identityError = serverIdentityError(names, cert)),
    });
    const ready = new Promise<void>((resolve, reject) => {
      const onErr = (err: Error): void => reject(new TransportError('TRANSPORT_CONNECT_FAILED', `TLS connection to ${identity} (${at}): ${err.message}`, { cause: err }));
      socket.once('error', onErr);
      socket.once('secureConnect', () => {
        socket.off('error', onErr);
        if (verify && !socket.authorized) {
          // Node gives OpenSSL's verify code (UNABLE_TO_VERIFY_LEAF_SIGNATURE …) or the identity check's ERR_TLS_CERT_ALTNAME_INVALID.
          const code = String(socket.authorizationError ?? 'UNKNOWN');
          const reason = identityError && (identityError as NodeJS.ErrnoException).code === code ? identityError.message : code;
          socket.destroy();
          this.#forget(conn);
          this.#o.logger.warn({ event: 'tls_server_refused', host: identity, remote: at, code, reason },
            `TLS server ${identity} (${at}) refused: its certificate is not verified (${code})`);
          reject(new TransportError('TRANSPORT_TLS_VERIFY_FAILED', `TLS certificate of ${identity} (${at}) not verified: ${code}${reason !== code ? `: ${reason}` : ''}`));
          return;
        }
        conn.trusted = true;
        resolve();
      });
    });
    ready.catch(() => undefined);
    const conn = this.#adopt(socket, 'tls', remote, local, ready, 'client', this.#sendKey(dest));
    conn.trusted = false;
    return conn;
  }

  /** Built once: loading Node's ~140 roots into a context costs tens of ms. */
  #tlsClientContext(): SecureContext {
    if (!this.#clientContext) {
      const o = this.#o.tlsClient;
      this.#clientContext = createSecureContext({
        // `ca` replaces Node's roots in a context: give both, so the configured CAs add to them.
        ...(o?.ca ? { ca: [...rootCertificates, o.ca] } : {}),
        ...(o?.cert ? { cert: o.cert } : {}),
        ...(o?.key ? { key: o.key } : {}),
      });
    }
    return this.#clientContext;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const conn of [...this.#connections.values()]) {
      conn.socket.destroy();
      this.#forget(conn);
    }
    await Promise.all(this.#listeners.map((l) => new Promise<void>((resolve) => {
      if (l.udp) l.udp.close(() => resolve());
      else if (l.server) l.server.close(() => resolve());
      else resolve();
    })));
    this.#listeners.length = 0;
  }
}
