/**
 * The transaction layer (RFC 3261 §17): owns the client and server transaction tables, matches
 * incoming messages to transactions (§17.1.3, §17.2.3 with the RFC 2543 fallback), matches CANCEL
 * to the INVITE server transaction (§9.2) and hands everything else to the TU by callback.
 */
import type { Logger } from '../../log.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import { createResponse } from '../message/index.js';
import type { Endpoint, InboundMessage } from '../transport/types.js';
import { ClientTransaction, type ClientTransactionHandlers, type ClientTransport } from './client.js';
import { clientKey, clientKeyOfResponse, isRfc3261Branch, serverKey } from './keys.js';
import { ServerTransaction, type ServerTransport } from './server.js';
import type { Clock, Timers } from './timers.js';

export interface TransactionLayerOptions {
  timers: Timers;
  clock: Clock;
  logger: Logger;
  transport: ClientTransport & ServerTransport;
  userAgent?: string | undefined;
}

/** A new request with its server transaction (or, for ACK, without one). */
export interface TransactionRequest extends InboundMessage<SipRequest> {
  transaction: ServerTransaction;
}

export interface TransactionAck extends InboundMessage<SipRequest> {
  /** The INVITE server transaction in Accepted that matched (RFC 2543 peers / same-branch ACKs), if any. */
  invite?: ServerTransaction;
}

export interface TransactionCancel extends InboundMessage<SipRequest> {
  invite: ServerTransaction;
}

export class TransactionLayer {
  readonly #o: TransactionLayerOptions;
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #servers = new Map<string, ServerTransaction>();
  #onRequest: (r: TransactionRequest) => void = (r) => r.transaction.respond(createResponse(r.message, 501));
  #onAck: (a: TransactionAck) => void = () => undefined;
  #onCancel: (c: TransactionCancel) => void = () => undefined;
  #onStray: (r: InboundMessage<SipResponse>) => void = () => undefined;
  #closed = false;

  constructor(options: TransactionLayerOptions) {
    this.#o = options;
  }

  onRequest(h: (r: TransactionRequest) => void): void { this.#onRequest = h; }
  onAck(h: (a: TransactionAck) => void): void { this.#onAck = h; }
  onCancel(h: (c: TransactionCancel) => void): void { this.#onCancel = h; }
  onStrayResponse(h: (r: InboundMessage<SipResponse>) => void): void { this.#onStray = h; }

  get clientCount(): number { return this.#clients.size; }
  get serverCount(): number { return this.#servers.size; }

  /** Entry point from the transport layer. */
  receive(m: InboundMessage): void {
    if (this.#closed) return;
    if (m.message.kind === 'response') this.#receiveResponse(m as InboundMessage<SipResponse>);
    else this.#receiveRequest(m as InboundMessage<SipRequest>);
  }

  #receiveResponse(m: InboundMessage<SipResponse>): void {
    const key = clientKeyOfResponse(m.message);
    const tx = key === undefined ? undefined : this.#clients.get(key);
    if (tx) tx.receiveResponse(m.message);
    else this.#onStray(m);
  }

  #receiveRequest(m: InboundMessage<SipRequest>): void {
    const req = m.message;
    const key = serverKey(req);
    if (key === undefined) return;
    if (req.method === 'ACK') {
      const invite = this.#servers.get(key);
      if (invite && this.#ackMatches(invite, req) && invite.receiveAck()) return; // absorbed (non-2xx ACK)
      const ack: TransactionAck = { ...m };
      if (invite && invite.state === 'accepted') ack.invite = invite;
      this.#onAck(ack);
      return;
    }
    const existing = this.#servers.get(key);
    if (existing && this.#toTagMatches(existing, req)) {
      existing.receiveRetransmission();
      return;
    }
    const tx = this.#createServer(key, m);
    if (req.method === 'CANCEL') {
      // §9.2: the CANCEL matches the INVITE transaction with the same key computed as an INVITE.
      const inviteKey = serverKey(req, 'INVITE');
      const invite = inviteKey === undefined ? undefined : this.#servers.get(inviteKey);
      if (!invite || !invite.isInvite) {
        tx.respond(this.#response(req, 481));
        return;
      }
      tx.respond(this.#response(req, 200));
      if (!invite.finalSent) this.#onCancel({ ...m, invite });
      return;
    }
    tx.startTrying();
    this.#onRequest({ ...m, transaction: tx });
  }

  /** RFC 2543 fallback: the To tag is compared outside the key. */
  #toTagMatches(tx: ServerTransaction, req: SipRequest): boolean {
    if (isRfc3261Branch(req)) return true;
    return (tx.request.to.params.tag ?? '') === (req.to.params.tag ?? '');
  }

  /** RFC 2543 ACK: its To tag equals the tag of the response the transaction sent (§17.2.3). */
  #ackMatches(tx: ServerTransaction, ack: SipRequest): boolean {
    if (isRfc3261Branch(ack)) return true;
    const sentTag = tx.lastResponse?.to.params.tag ?? '';
    return sentTag === (ack.to.params.tag ?? '');
  }

  #response(req: SipRequest, status: number): SipResponse {
    const res = createResponse(req, status);
    if (this.#o.userAgent) res.headers.set('Server', this.#o.userAgent);
    return res;
  }

  #createServer(key: string, m: InboundMessage<SipRequest>): ServerTransaction {
    const tx = new ServerTransaction({ key, inbound: m, timers: this.#o.timers, clock: this.#o.clock, transport: this.#o.transport });
    tx.onTerminated((t) => {
      if (this.#servers.get(t.key) === t) this.#servers.delete(t.key);
    });
    this.#servers.set(key, tx);
    return tx;
  }

  /** Finds the INVITE server transaction a CANCEL (or any request with the same branch) refers to. */
  findServerTransaction(req: SipRequest, asMethod?: string): ServerTransaction | undefined {
    const key = serverKey(req, asMethod);
    return key === undefined ? undefined : this.#servers.get(key);
  }

  /**
   * Starts a client transaction for a request whose top Via already carries its branch.
   * Handlers are called from the transaction; see ClientTransactionHandlers.
   */
  createClientTransaction(request: SipRequest, destination: Endpoint, handlers: ClientTransactionHandlers = {}): ClientTransaction {
    const branch = request.vias[0]?.params.branch;
    if (!branch) throw new Error('request has no Via branch');
    const key = clientKey(branch, request.method);
    const userTerminated = handlers.onTerminated;
    const tx = new ClientTransaction({
      key,
      request,
      destination,
      timers: this.#o.timers,
      clock: this.#o.clock,
      transport: this.#o.transport,
      handlers: {
        ...handlers,
        onTerminated: (t) => {
          if (this.#clients.get(t.key) === t) this.#clients.delete(t.key);
          userTerminated?.(t);
        },
      },
    });
    this.#clients.set(key, tx);
    if (this.#closed) tx.terminate();
    else tx.start();
    return tx;
  }

  /** Terminates every transaction (stack close): all timers stop. */
  close(): void {
    this.#closed = true;
    for (const tx of [...this.#clients.values()]) tx.terminate();
    for (const tx of [...this.#servers.values()]) tx.terminate();
    this.#clients.clear();
    this.#servers.clear();
  }
}
