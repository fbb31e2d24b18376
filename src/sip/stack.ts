/**
 * SipStack: transports + transaction layer + dialog layer behind one object. This is everything
 * src/drachtio needs to behave like drachtio-server: incoming requests with their server
 * transaction and wire metadata, in-dialog ACKs and CANCELs, client transactions with events,
 * responses on server transactions, ACK for 2xx and stateless sends, the local contact / Via
 * sent-by per protocol, and a close() that leaves no timer or socket behind.
 *
 * Layers are wired by callbacks (transport → transaction → dialog → TU), as sipgo and pjsip do.
 * Timer values come from T1/T2/T4 of this instance; the clock is injectable.
 */
import type { Logger } from '../log.js';
import { rootLogger } from '../log.js';
import type { SipMessage, SipRequest, SipResponse } from './message/index.js';
import { createResponse } from './message/index.js';
import { TransportLayer } from './transport/layer.js';
import type { Endpoint, InboundMessage, ListenOptions, SourcePolicy, TlsClientOptions, TransportProtocol } from './transport/types.js';
import { TransactionLayer } from './transaction/layer.js';
import { buildCancel, type ClientTransaction, type ClientTransactionHandlers } from './transaction/client.js';
import type { ServerTransaction } from './transaction/server.js';
import { SystemClock, Timers, defaultTimerConfig } from './transaction/timers.js';
import type { Clock, TimerConfig } from './transaction/timers.js';
import { DialogLayer } from './dialog/layer.js';
import type { Dialog } from './dialog/dialog.js';

export interface SipStackOptions {
  /** Listeners to open on `start()`. At least one. */
  listen: ListenOptions[];
  /** T1/T2/T4 (ms) and the automatic-100 delay; defaults are RFC 3261's 500/4000/5000 and 0. */
  timers?: Partial<TimerConfig>;
  /** Time source; default real time (SystemClock). */
  clock?: Clock;
  logger?: Logger;
  /** Called for every received packet before parsing; 'drop' discards it silently. */
  sourcePolicy?: SourcePolicy;
  /** Largest message accepted or sent, bytes (default 65,535). */
  maxMessageSize?: number;
  /** TCP/TLS connections idle this long are closed (ms, default 120,000; 0 = never). */
  idleConnectionTimeout?: number;
  /** SO_RCVBUF / SO_SNDBUF for UDP sockets (default 8 MiB; see docs/notes: the default drops near 3k calls/s). */
  udpBufferSize?: number;
  /** Reply 481 to in-dialog requests (To tag present) that match no dialog (default true). */
  rejectUnknownDialogs?: boolean;
  /** User-Agent / Server header value for messages the stack builds itself (100, 481 …). */
  userAgent?: string;
  /** TLS connections the stack opens: trust anchors, client certificate, server verification (default: verify against Node's roots). */
  tlsClient?: TlsClientOptions;
}

/** A request that starts a server transaction, delivered to the TU (the drachtio layer). */
export interface IncomingRequest extends InboundMessage<SipRequest> {
  transaction: ServerTransaction;
  /** The dialog the request belongs to, when it is an in-dialog request of a dialog the stack knows. */
  dialog?: Dialog;
  /**
   * A PRACK that acknowledged one of our reliable provisional responses (RFC 3262 §3): the INVITE
   * server transaction it belongs to. PRACKs that match nothing never reach the TU (the stack
   * answers them 481).
   */
  prackFor?: ServerTransaction;
}

/** An ACK that is not absorbed by a transaction: the ACK for a 2xx (§13.3.1.4 / RFC 6026). */
export interface IncomingAck extends InboundMessage<SipRequest> {
  dialog?: Dialog;
}

/** A CANCEL matched to a pending INVITE server transaction (§9.2). The stack already answered it 200. */
export interface IncomingCancel extends InboundMessage<SipRequest> {
  /** The INVITE transaction being cancelled; the TU answers it (normally 487). */
  invite: ServerTransaction;
}

/** Options for sending a request as a client transaction. */
export interface SendRequestOptions extends ClientTransactionHandlers {
  /**
   * Where to send it. Default: from the first Route (loose routing, §16.12) or the Request-URI
   * (host, port, `transport` param), as §8.1.2 says.
   */
  destination?: Endpoint;
  /** Dialog this request belongs to (updates its CSeq / state from responses). */
  dialog?: Dialog;
}

/** What the stack keeps alive right now (for leak tests and metrics). */
export interface StackCounters {
  clientTransactions: number;
  serverTransactions: number;
  dialogs: number;
  connections: number;
  sockets: number;
  /** Live timers, when the clock is a SystemClock (else -1). */
  timers: number;
}

export class SipStack {
  readonly timers: Timers;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly dialogs: DialogLayer;
  #onRequest: (req: IncomingRequest) => void;
  #onAck: (ack: IncomingAck) => void = () => undefined;
  #onCancel: ((cancel: IncomingCancel) => void) | undefined;
  #onStrayResponse: (res: InboundMessage<SipResponse>) => void = () => undefined;
  #onAckTimeout: (dialog: Dialog) => void = () => undefined;
  #closed = false;

  constructor(options: SipStackOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.timers = new Timers({ ...defaultTimerConfig, ...options.timers });
    this.logger = (options.logger ?? rootLogger).child({ module: 'sip' });
    this.#onRequest = (req) => this.#defaultRequest(req);
    this.transport = new TransportLayer({
      listen: options.listen,
      clock: this.clock,
      logger: this.logger,
      sourcePolicy: options.sourcePolicy,
      maxMessageSize: options.maxMessageSize ?? 65_535,
      idleConnectionTimeout: options.idleConnectionTimeout ?? 120_000,
      udpBufferSize: options.udpBufferSize ?? 8 * 1024 * 1024,
      userAgent: options.userAgent,
      tlsClient: options.tlsClient,
    });
    this.transactions = new TransactionLayer({
      timers: this.timers,
      clock: this.clock,
      logger: this.logger,
      transport: this.transport,
      userAgent: options.userAgent,
    });
    this.dialogs = new DialogLayer({
      timers: this.timers,
      clock: this.clock,
      logger: this.logger,
      transactions: this.transactions,
      transport: this.transport,
      rejectUnknownDialogs: options.rejectUnknownDialogs ?? true,
    });
    // transport → transaction layer → dialog layer → TU
    this.transport.onMessage((m) => this.transactions.receive(m));
    this.transactions.onRequest((r) => this.dialogs.receiveRequest(r));
    this.transactions.onAck((a) => this.dialogs.receiveAck(a));
    this.transactions.onCancel((c) => this.#deliverCancel(c));
    this.transactions.onStrayResponse((r) => this.dialogs.receiveStrayResponse(r, (x) => this.#onStrayResponse(x)));
    this.dialogs.onRequest((r) => this.#onRequest(r));
    this.dialogs.onAck((a) => this.#onAck(a));
    this.dialogs.onAckTimeout((d) => this.#onAckTimeout(d));
  }

  /** Opens every listener. Resolves once all are bound. */
  async start(): Promise<void> {
    await this.transport.listen();
  }

  /** Handler for new requests (in or out of dialog), each with its server transaction. Default: 501 (405 for unknown). */
  onRequest(handler: (req: IncomingRequest) => void): this {
    this.#onRequest = handler;
    return this;
  }

  /** Handler for ACKs of 2xx responses (in-dialog ACKs). */
  onAck(handler: (ack: IncomingAck) => void): this {
    this.#onAck = handler;
    return this;
  }

  /** Handler for CANCELs matching a pending INVITE. Without one, the stack answers the INVITE 487 itself. */
  onCancel(handler: (cancel: IncomingCancel) => void): this {
    this.#onCancel = handler;
    return this;
  }

  /** Responses that match no client transaction (e.g. 2xx retransmissions after the tx ended). */
  onStrayResponse(handler: (res: InboundMessage<SipResponse>) => void): this {
    this.#onStrayResponse = handler;
    return this;
  }

  /**
   * No ACK arrived for a 2xx within 64·T1; the stack has sent BYE on the dialog (§13.3.1.4).
   * The application's handler (replaces the previous one); `stack.dialogs.onAckTimeout` adds
   * further listeners without replacing this one.
   */
  onAckTimeout(handler: (dialog: Dialog) => void): this {
    this.#onAckTimeout = handler;
    return this;
  }

  /**
   * RFC 3262 §3: no PRACK came for a reliable provisional within 64·T1 and the stack rejected the
   * INVITE 503; `dialog` is the dialog a held 2xx had set up (now removed), if any. Returns the
   * function that removes the listener.
   */
  onReliableTimeout(handler: (tx: ServerTransaction, dialog: Dialog | undefined) => void): () => void {
    return this.dialogs.onReliableTimeout(handler);
  }

  /**
   * Sends a request as a client transaction (§17.1). A top Via with a fresh branch is added unless
   * the request already has one (CANCEL and the stack's own ACKs reuse the INVITE's Via).
   * Without `destination` the next hop (first loose Route or Request-URI) must be an IP literal or
   * `localhost`; for host names `await resolveDestination(req)` first and pass it.
   * Handlers: onProvisional, onFinal, onRetransmitted2xx, onTimeout (Timer B/F), onTransportError.
   * `tx.response` resolves with the final response (a synthetic 408 on timeout, 503 on transport error).
   */
  sendRequest(request: SipRequest, options: SendRequestOptions = {}): ClientTransaction {
    this.#assertOpen();
    return this.dialogs.sendRequest(request, options);
  }

  /**
   * Cancels a pending INVITE (§9.1): waits for a provisional response first ("a CANCEL request
   * SHOULD NOT be sent … until a provisional response has been received"), then sends the CANCEL
   * as its own client transaction to the INVITE's destination. Resolves with the CANCEL's final
   * response, or undefined when the INVITE completed before a CANCEL could be sent.
   */
  async cancel(invite: ClientTransaction, options: ClientTransactionHandlers = {}): Promise<SipResponse | undefined> {
    this.#assertOpen();
    if (!(await invite.whenProceeding()) || this.#closed) return undefined;
    return this.transactions.createClientTransaction(buildCancel(invite.request), invite.destination, options).response;
  }

  /** Sends a response on a server transaction (the transaction handles retransmissions; a 2xx to INVITE is retransmitted until ACK, §13.3.1.4). */
  respond(transaction: ServerTransaction, response: SipResponse): void {
    this.#assertOpen();
    this.dialogs.respond(transaction, response);
  }

  /** Builds and sends the ACK for a 2xx to INVITE (§13.2.2.4): a new, transaction-less request with the INVITE's CSeq number. */
  async sendAck(dialog: Dialog, options: { body?: Buffer | string; headers?: { name: string; value: string }[] } = {}): Promise<SipRequest> {
    this.#assertOpen();
    return this.dialogs.sendAck(dialog, options);
  }

  /** Sends any message without a transaction (stateless proxying, ACK retransmissions). Requests go to `destination` or their Route/Request-URI; responses follow §18.2.2. */
  async sendStateless(message: SipMessage, destination?: Endpoint): Promise<void> {
    this.#assertOpen();
    await this.transport.sendStateless(message, destination);
  }

  /** Where a request would be sent: first Route or Request-URI, resolved to an Endpoint (IP literals, `localhost`, dns.lookup for names). */
  async resolveDestination(request: SipRequest): Promise<Endpoint> {
    return this.transport.resolveRequestDestination(request);
  }

  /** The bound endpoint for a protocol (first listener of that protocol, or of the address family of `toward`). */
  localEndpoint(protocol: TransportProtocol, toward?: string): Endpoint | undefined {
    return this.transport.localEndpoint(protocol, toward);
  }

  /** Via sent-by (`host:port`, IPv6 in brackets) for a protocol, using the advertised address when configured. */
  viaSentBy(protocol: TransportProtocol, toward?: string): string {
    return this.transport.sentBy(protocol, toward);
  }

  /** A Contact URI for this stack on a protocol, e.g. `<sip:trunkgate@127.0.0.1:5060;transport=tcp>`. */
  contact(protocol: TransportProtocol, user = 'trunkgate', toward?: string, scheme?: 'sip' | 'sips'): string {
    return this.transport.contact(protocol, user, toward, scheme);
  }

  /** Looks up a dialog by id (Call-ID, local tag, remote tag). */
  findDialog(callId: string, localTag: string, remoteTag: string): Dialog | undefined {
    return this.dialogs.find(callId, localTag, remoteTag);
  }

  /** Live transactions, dialogs, connections, sockets and timers. */
  counters(): StackCounters {
    return {
      clientTransactions: this.transactions.clientCount,
      serverTransactions: this.transactions.serverCount,
      dialogs: this.dialogs.size,
      connections: this.transport.connectionCount,
      sockets: this.transport.socketCount,
      timers: this.clock instanceof SystemClock ? this.clock.activeTimers : -1,
    };
  }

  /** Stops every timer, transaction, dialog, connection and socket. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.dialogs.close();
    this.transactions.close();
    await this.transport.close();
    if (this.clock instanceof SystemClock) this.clock.clearAll();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('SipStack is closed');
  }

  #deliverCancel(c: IncomingCancel): void {
    if (this.#onCancel) {
      this.#onCancel(c);
      return;
    }
    // No TU handler: §9.2 "the UAS SHOULD then respond to the INVITE with a 487".
    if (!c.invite.finalSent) this.respond(c.invite, createResponse(c.invite.request, 487));
  }

  #defaultRequest(req: IncomingRequest): void {
    this.respond(req.transaction, createResponse(req.message, 501));
  }
}
