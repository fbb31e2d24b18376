/**
 * Server transactions (RFC 3261 §17.2): the INVITE state machine of §17.2.1 with the RFC 6026
 * Accepted state, and the non-INVITE state machine of §17.2.2.
 */
import type { SipRequest, SipResponse } from '../message/index.js';
import { createResponse } from '../message/index.js';
import type { InboundMessage } from '../transport/types.js';
import { TransactionError } from './client.js';
import { NamedTimers, type Clock, type Timers } from './timers.js';

export type ServerTransactionState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export interface ServerTransport {
  sendResponse(response: SipResponse, connectionId?: string): Promise<void>;
}

type Listener<A extends unknown[]> = (...args: A) => void;

/** Listeners of one event; `add` returns the function that removes the listener again. */
class Listeners<A extends unknown[]> {
  readonly #set = new Set<Listener<A>>();
  add(fn: Listener<A>): () => void {
    this.#set.add(fn);
    return () => { this.#set.delete(fn); };
  }
  emit(...args: A): void {
    for (const fn of [...this.#set]) fn(...args);
  }
}

export class ServerTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly inbound: InboundMessage<SipRequest>;
  readonly isInvite: boolean;
  readonly reliable: boolean;
  #state: ServerTransactionState;
  #last: SipResponse | undefined;
  #finalSent = false;
  readonly #timers: Timers;
  readonly #transport: ServerTransport;
  readonly #running: NamedTimers;
  #gInterval: number;
  readonly #ackTimeout = new Listeners<[tx: ServerTransaction]>();
  readonly #transportError = new Listeners<[err: TransactionError, tx: ServerTransaction]>();
  readonly #terminated = new Listeners<[tx: ServerTransaction]>();

  constructor(args: { key: string; inbound: InboundMessage<SipRequest>; timers: Timers; clock: Clock; transport: ServerTransport }) {
    this.key = args.key;
    this.inbound = args.inbound;
    this.request = args.inbound.message;
    this.isInvite = this.request.method === 'INVITE';
    this.reliable = args.inbound.source.protocol !== 'udp';
    this.#timers = args.timers;
    this.#running = new NamedTimers(args.clock);
    this.#transport = args.transport;
    this.#state = this.isInvite ? 'proceeding' : 'trying';
    this.#gInterval = args.timers.G;
  }

  /**
   * Layers above add what they must do when the transaction ends (as sipgo's OnTerminate); each
   * call returns the function that removes its listener. Listeners run in the order added.
   */
  onTerminated(fn: (tx: ServerTransaction) => void): () => void {
    return this.#terminated.add(fn);
  }

  /** Timer H fired: no ACK for a non-2xx final response (§17.2.1). */
  onAckTimeout(fn: (tx: ServerTransaction) => void): () => void {
    return this.#ackTimeout.add(fn);
  }

  /** A response could not be sent (§17.2.4); the transaction terminates after the listeners ran. */
  onTransportError(fn: (err: TransactionError, tx: ServerTransaction) => void): () => void {
    return this.#transportError.add(fn);
  }

  get state(): ServerTransactionState {
    return this.#state;
  }

  /** True once a final response has been sent. */
  get finalSent(): boolean {
    return this.#finalSent;
  }

  /** The most recent response sent. */
  get lastResponse(): SipResponse | undefined {
    return this.#last;
  }

  /**
   * §17.2.1: "the server transaction MUST generate a 100 (Trying) response unless it knows that the
   * TU will generate a provisional or final response within 200 ms". trunkgate sends it after
   * `timers.config.trying100` ms (default 0 = immediately) unless the TU responded first.
   */
  startTrying(): void {
    if (!this.isInvite) return;
    const delay = this.#timers.config.trying100;
    if (delay <= 0) this.respond(createResponse(this.request, 100, 'Trying'));
    else this.#arm('100', delay);
  }

  /** The TU's response (§17.2.1 / §17.2.2). Responses after the final one are ignored, except 2xx retransmissions in Accepted. */
  respond(res: SipResponse): void {
    const status = res.status;
    if (this.#state === 'terminated' || this.#state === 'completed' || this.#state === 'confirmed') return;
    if (this.#state === 'accepted') {
      // RFC 6026 §8.5: the TU's 2xx retransmissions go through the transaction in Accepted.
      if (status >= 200 && status < 300) this.#send(res);
      return;
    }
    this.#running.cancel('100');
    this.#last = res;
    if (status < 200) {
      if (!this.isInvite) this.#state = 'proceeding';
      this.#send(res);
      return;
    }
    this.#finalSent = true;
    if (this.isInvite && status < 300) {
      // RFC 6026 §8.5: 2xx → Accepted, Timer L.
      this.#state = 'accepted';
      this.#send(res);
      this.#arm('L', this.#timers.L);
      return;
    }
    this.#state = 'completed';
    this.#send(res);
    if (this.isInvite) {
      // §17.2.1: Timer G (unreliable only) and Timer H.
      if (!this.reliable) this.#arm('G', this.#gInterval);
      this.#arm('H', this.#timers.H);
    } else {
      this.#arm('J', this.#timers.J(this.reliable));
    }
  }

  /** A retransmission of the request (same key) arrived. */
  receiveRetransmission(): void {
    switch (this.#state) {
      case 'proceeding':
      case 'completed':
        // §17.2.1 / §17.2.2: resend the most recent response.
        if (this.#last) this.#send(this.#last);
        return;
      default:
        // trying (non-INVITE, nothing sent yet), accepted (RFC 6026: absorb), confirmed: discard.
        return;
    }
  }

  /**
   * An ACK matched this INVITE transaction. Returns true if the transaction absorbed it (ACK for a
   * non-2xx, §17.2.1), false if the TU must see it (Accepted state, RFC 6026 §8.7).
   */
  receiveAck(): boolean {
    if (this.#state === 'completed') {
      this.#state = 'confirmed';
      this.#running.cancel('G');
      this.#running.cancel('H');
      this.#arm('I', this.#timers.I(this.reliable));
      return true;
    }
    if (this.#state === 'confirmed') return true;
    return this.#state !== 'accepted';
  }

  #onTimer(name: string): void {
    switch (name) {
      case '100':
        if (this.#state === 'proceeding' && !this.#last) this.respond(createResponse(this.request, 100, 'Trying'));
        return;
      case 'G':
        // §17.2.1: retransmit, G = min(2G, T2).
        if (this.#state !== 'completed' || !this.#last) return;
        this.#send(this.#last);
        this.#gInterval = Math.min(2 * this.#gInterval, this.#timers.t2);
        this.#arm('G', this.#gInterval);
        return;
      case 'H':
        if (this.#state !== 'completed') return;
        this.#ackTimeout.emit(this);
        this.terminate();
        return;
      case 'I':
      case 'J':
      case 'L':
        this.terminate();
        return;
      default:
        return;
    }
  }

  #send(res: SipResponse): void {
    this.#transport.sendResponse(res, this.inbound.connectionId).catch((err: Error) => {
      // §17.2.4: on a transport failure the transaction informs the TU and terminates.
      if (this.#state === 'terminated') return;
      this.#transportError.emit(new TransactionError('TRANSACTION_TRANSPORT_ERROR', err.message, err), this);
      this.terminate();
    });
  }

  #arm(name: string, ms: number): void {
    this.#running.cancel(name);
    if (ms <= 0 && (name === 'I' || name === 'J')) {
      // Zero waits on reliable transports (§17.2.1, §17.2.2): terminate right away.
      this.terminate();
      return;
    }
    this.#running.arm(name, ms, () => this.#onTimer(name));
  }

  terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.#running.cancelAll();
    this.#terminated.emit(this);
  }

  get runningTimers(): string[] {
    return this.#running.names;
  }
}
