/**
 * Client transactions (RFC 3261 §17.1): the INVITE state machine of §17.1.1 with the RFC 6026
 * Accepted state, and the non-INVITE state machine of §17.1.2.
 */
import type { SipRequest, SipResponse } from '../message/index.js';
import { SipRequest as SipRequestClass, createResponse } from '../message/index.js';
import type { Endpoint } from '../transport/types.js';
import { NamedTimers, type Clock, type Timers } from './timers.js';
import { TrunkgateError } from '../../errors.js';

export type ClientTransactionState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export type TransactionErrorCode = 'TRANSACTION_TIMEOUT' | 'TRANSACTION_TRANSPORT_ERROR';

export class TransactionError extends TrunkgateError<TransactionErrorCode> {
  override readonly cause?: unknown;
  constructor(code: TransactionErrorCode, message: string, cause?: unknown) {
    super(code, message);
    this.cause = cause;
  }
}

export interface ClientTransactionHandlers {
  /** A 1xx response. */
  onProvisional?: (res: SipResponse, tx: ClientTransaction) => void;
  /** The first final response (for a timeout or transport error: not called; see onTimeout / onTransportError). */
  onFinal?: (res: SipResponse, tx: ClientTransaction) => void;
  /** RFC 6026: a 2xx to INVITE after the first one (retransmission or another fork). The TU re-sends its ACK. */
  onRetransmitted2xx?: (res: SipResponse, tx: ClientTransaction) => void;
  /** Timer B or F fired: treat as 408 (§8.1.3.1). */
  onTimeout?: (tx: ClientTransaction) => void;
  /** The transport failed: treat as 503 (§8.1.3.1). */
  onTransportError?: (err: TransactionError, tx: ClientTransaction) => void;
  /** The transaction reached Terminated (for bookkeeping). */
  onTerminated?: (tx: ClientTransaction) => void;
}

/** What a transaction needs from below (the transport layer). */
export interface ClientTransport {
  sendRequest(request: SipRequest, destination: Endpoint): Promise<void>;
}

export class ClientTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly destination: Endpoint;
  readonly isInvite: boolean;
  readonly reliable: boolean;
  /** Resolves with the final response; on timeout a synthetic 408, on transport error a synthetic 503 (both with `synthetic` true in `syntheticResponses`). */
  readonly response: Promise<SipResponse>;
  #state: ClientTransactionState;
  #resolve!: (res: SipResponse) => void;
  readonly #handlers: ClientTransactionHandlers;
  readonly #timers: Timers;
  readonly #clock: Clock;
  readonly #transport: ClientTransport;
  readonly #running: NamedTimers;
  #retransmitInterval: number;
  #ack: SipRequest | undefined;
  #lastResponse: SipResponse | undefined;
  #synthetic = false;
  #proceeding: (() => void)[] = [];

  constructor(args: {
    key: string;
    request: SipRequest;
    destination: Endpoint;
    timers: Timers;
    clock: Clock;
    transport: ClientTransport;
    handlers: ClientTransactionHandlers;
  }) {
    this.key = args.key;
    this.request = args.request;
    this.destination = args.destination;
    this.isInvite = args.request.method === 'INVITE';
    this.reliable = args.destination.protocol !== 'udp';
    this.#timers = args.timers;
    this.#clock = args.clock;
    this.#running = new NamedTimers(args.clock);
    this.#transport = args.transport;
    this.#handlers = args.handlers;
    this.#state = this.isInvite ? 'calling' : 'trying';
    this.#retransmitInterval = this.isInvite ? args.timers.A : args.timers.E;
    this.response = new Promise<SipResponse>((resolve) => {
      this.#resolve = resolve;
    });
  }

  get state(): ClientTransactionState {
    return this.#state;
  }

  /** The last response received (provisional or final). */
  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /** True if `response` was made up by the stack (408 on timeout, 503 on transport error). */
  get syntheticResponse(): boolean {
    return this.#synthetic;
  }

  /** The ACK this transaction sent for a non-2xx final response (§17.1.1.3), if any. */
  get ack(): SipRequest | undefined {
    return this.#ack;
  }

  /** Sends the request and starts Timer A/E (unreliable) and B/F. */
  start(): void {
    this.#send(this.request);
    if (!this.reliable) this.#arm(this.isInvite ? 'A' : 'E', this.#retransmitInterval);
    this.#arm(this.isInvite ? 'B' : 'F', this.isInvite ? this.#timers.B : this.#timers.F);
  }

  /** A response matched to this transaction (§17.1.3). */
  receiveResponse(res: SipResponse): void {
    if (this.#state === 'terminated') return;
    const status = res.status;
    if (this.isInvite) this.#inviteResponse(res, status);
    else this.#nonInviteResponse(res, status);
  }

  #inviteResponse(res: SipResponse, status: number): void {
    switch (this.#state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          this.#state = 'proceeding';
          this.#running.cancel('A');
          this.#lastResponse = res;
          for (const w of this.#proceeding.splice(0)) w();
          this.#handlers.onProvisional?.(res, this);
        } else if (status < 300) {
          // RFC 6026 §8.4: 2xx moves the transaction to Accepted and starts Timer M.
          this.#state = 'accepted';
          this.#running.cancel('A');
          this.#running.cancel('B');
          this.#arm('M', this.#timers.M);
          this.#final(res);
        } else {
          // §17.1.1.2: 300-699 → Completed, send ACK, Timer D.
          this.#state = 'completed';
          this.#running.cancel('A');
          this.#running.cancel('B');
          this.#ack = buildNon2xxAck(this.request, res);
          this.#send(this.#ack);
          this.#final(res);
          this.#arm('D', this.#timers.D(this.reliable));
        }
        return;
      case 'accepted':
        // RFC 6026 §8.4: "passes any 2xx response to the TU".
        if (status >= 200 && status < 300) this.#handlers.onRetransmitted2xx?.(res, this);
        return;
      case 'completed':
        // §17.1.1.2: "Any retransmissions of the final response … MUST cause the ACK to be re-passed
        // to the transport layer", and not passed up.
        if (status >= 300 && this.#ack) this.#send(this.#ack);
        return;
      default:
        return;
    }
  }

  #nonInviteResponse(res: SipResponse, status: number): void {
    if (this.#state !== 'trying' && this.#state !== 'proceeding') return;
    if (status < 200) {
      this.#state = 'proceeding';
      this.#lastResponse = res;
      this.#handlers.onProvisional?.(res, this);
      return;
    }
    // §17.1.2.2: final → Completed, Timer K (T4 unreliable, 0 reliable).
    this.#state = 'completed';
    this.#running.cancel('E');
    this.#running.cancel('F');
    this.#final(res);
    this.#arm('K', this.#timers.K(this.reliable));
  }

  #final(res: SipResponse): void {
    this.#lastResponse = res;
    for (const w of this.#proceeding.splice(0)) w();
    this.#resolve(res);
    this.#handlers.onFinal?.(res, this);
  }

  #onTimer(name: string): void {
    if ((name === 'A' || name === 'E') && this.#clock.defer) {
      // Let responses already received be processed before deciding to retransmit.
      this.#clock.defer(() => this.#onTimerNow(name));
      return;
    }
    this.#onTimerNow(name);
  }

  #onTimerNow(name: string): void {
    switch (name) {
      case 'A':
        // §17.1.1.2: "When timer A fires, the client transaction MUST retransmit the request …
        // and reset the timer with a value of 2*T1" (doubling each time, no cap for INVITE).
        if (this.#state !== 'calling') return;
        this.#send(this.request);
        this.#retransmitInterval *= 2;
        this.#arm('A', this.#retransmitInterval);
        return;
      case 'E':
        // §17.1.2.2: in Trying E doubles up to T2; in Proceeding it retransmits every T2.
        if (this.#state !== 'trying' && this.#state !== 'proceeding') return;
        this.#send(this.request);
        this.#retransmitInterval = this.#state === 'trying' ? Math.min(2 * this.#retransmitInterval, this.#timers.t2) : this.#timers.t2;
        this.#arm('E', this.#retransmitInterval);
        return;
      case 'B':
        // §17.1.1.2: only in Calling (a provisional means the server is alive; the TU decides).
        if (this.#state !== 'calling') return;
        this.#timeout();
        return;
      case 'F':
        // §17.1.2.2: "If Timer F fires while the client transaction is still in the Trying state
        // or the Proceeding state, the client transaction SHOULD inform the TU about the timeout".
        if (this.#state !== 'trying' && this.#state !== 'proceeding') return;
        this.#timeout();
        return;
      case 'D':
      case 'K':
      case 'M':
        this.terminate();
        return;
      default:
        return;
    }
  }

  #timeout(): void {
    this.#synthetic = true;
    this.#resolve(createResponse(this.request, 408, 'Request Timeout'));
    this.#handlers.onTimeout?.(this);
    this.terminate();
  }

  /**
   * §8.1.3.1 / §17.1.4: a transport failure is reported up as if a 503 had arrived. The synthetic
   * 503 names the failure in a Warning (§20.43, code 399 "Miscellaneous warning"), so a TU that
   * only sees the response (a drachtio application) can tell why the request was not sent.
   */
  #transportError(err: Error): void {
    if (this.#state === 'terminated') return;
    const beforeFinal = this.#state === 'calling' || this.#state === 'trying' || this.#state === 'proceeding';
    if (beforeFinal) {
      this.#synthetic = true;
      const warning = `399 trunkgate "${err.message.replace(/[\r\n]+/g, ' ').replace(/["\\]/g, '\\$&')}"`;
      this.#resolve(createResponse(this.request, 503, 'Service Unavailable', { headers: [{ name: 'Warning', value: warning }] }));
      this.#handlers.onTransportError?.(new TransactionError('TRANSACTION_TRANSPORT_ERROR', err.message, err), this);
    }
    this.terminate();
  }

  #send(req: SipRequest): void {
    this.#transport.sendRequest(req, this.destination).catch((err: Error) => this.#transportError(err));
  }

  #arm(name: string, ms: number): void {
    this.#running.cancel(name);
    if (ms <= 0 && (name === 'D' || name === 'K')) {
      // Zero waits on reliable transports (§17.1.1.2, §17.1.2.2): terminate right away.
      this.terminate();
      return;
    }
    this.#running.arm(name, ms, () => this.#onTimer(name));
  }

  /**
   * Resolves true once a provisional response has arrived (§9.1: a CANCEL MUST NOT be sent before),
   * false if the transaction ends without one.
   */
  whenProceeding(): Promise<boolean> {
    if (this.#state === 'proceeding') return Promise.resolve(true);
    if (this.#state !== 'calling' && this.#state !== 'trying') return Promise.resolve(false);
    return new Promise((resolve) => this.#proceeding.push(() => resolve(this.#state === 'proceeding')));
  }

  /** Stops all timers and moves to Terminated (also used by stack close). */
  terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    for (const w of this.#proceeding.splice(0)) w();
    this.#running.cancelAll();
    this.#handlers.onTerminated?.(this);
  }

  /** Names of the timers running now (for tests). */
  get runningTimers(): string[] {
    return this.#running.names;
  }
}

/**
 * §17.1.1.3: the ACK for a non-2xx final response: same Request-URI, Call-ID, From, CSeq number
 * and top Via as the request, To from the response, Route headers of the request.
 */
export function buildNon2xxAck(request: SipRequest, response: SipResponse): SipRequest {
  const headers = [
    { name: 'Via', value: request.headers.getAll('via')[0]! },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: request.headers.get('from')! },
    { name: 'To', value: response.headers.get('to')! },
    { name: 'Call-ID', value: request.callId },
    { name: 'CSeq', value: `${request.cseq.seq} ACK` },
  ];
  for (const r of request.headers.getAll('route')) headers.push({ name: 'Route', value: r });
  return new SipRequestClass({ method: 'ACK', uri: request.uri, headers });
}

/**
 * §9.1: the CANCEL for a request: same Request-URI, Call-ID, From, To, CSeq number and Route
 * headers, and a single Via equal to the request's top Via (so it matches the same server
 * transaction), method CANCEL.
 */
export function buildCancel(request: SipRequest): SipRequest {
  const headers = [
    { name: 'Via', value: request.headers.getAll('via')[0]! },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: request.headers.get('from')! },
    { name: 'To', value: request.headers.get('to')! },
    { name: 'Call-ID', value: request.callId },
    { name: 'CSeq', value: `${request.cseq.seq} CANCEL` },
  ];
  for (const r of request.headers.getAll('route')) headers.push({ name: 'Route', value: r });
  return new SipRequestClass({ method: 'CANCEL', uri: request.uri, headers });
}
