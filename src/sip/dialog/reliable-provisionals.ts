/**
 * Reliable provisional responses (RFC 3262), both sides.
 *
 * UAS (§3): a 1xx (not 100) to INVITE that carries `Require: 100rel` gets an RSeq and is
 * retransmitted from T1, doubling, until a PRACK with a matching RAck arrives; after 64·T1 without
 * one the INVITE is rejected 503 ("Reliable Response Time-Out", as sofia-sip's nta does). Only one
 * reliable provisional is outstanding at a time, later ones wait; a 2xx waits while the
 * outstanding one carried a session description. PRACKs matching nothing get 481.
 *
 * UAC (§4): reliable provisionals are passed up in RSeq order, once; retransmissions and
 * out-of-order ones are dropped. The PRACK itself is sent by the TU (drachtio-srf does).
 */
import type { Logger } from '../../log.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import { formatRSeq, hasOptionTag, parseRSeq, type RAck } from '../message/index.js';
import type { ServerTransaction } from '../transaction/server.js';
import type { Clock, TimerHandle, Timers } from '../transaction/timers.js';
import type { Dialog } from './dialog.js';
import { TrunkgateError } from '../../errors.js';

export type ReliableProvisionalErrorCode = 'PEER_NO_100REL';

/** A reliable provisional response that cannot be sent. */
export class ReliableProvisionalError extends TrunkgateError<ReliableProvisionalErrorCode> {
  constructor(code: ReliableProvisionalErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * A 1xx (101–199) to INVITE to be sent reliably: the TU marked it `Require: 100rel`, or the INVITE
 * required 100rel (§3: "The UAS MUST send any non-100 provisional response reliably if the initial
 * request contained a Require header field with the option tag 100rel").
 */
export function wantsReliable(request: SipRequest, response: SipResponse): boolean {
  return request.method === 'INVITE' && response.status > 100 && response.status < 200
    && (hasOptionTag(response.headers, 'require', '100rel') || hasOptionTag(request.headers, 'require', '100rel'));
}

/** §3: "the UAS MUST NOT attempt to send a 100 (Trying) response reliably" and only to a request with 100rel in Supported or Require. */
export function peerSupports100rel(request: SipRequest): boolean {
  return hasOptionTag(request.headers, 'supported', '100rel') || hasOptionTag(request.headers, 'require', '100rel');
}

interface Outstanding {
  response: SipResponse;
  rseq: number;
  /** §3: a 2xx waits for the PRACK of a provisional that carried a session description. */
  hasBody: boolean;
  interval: number;
  retransmit?: TimerHandle;
  giveUp: TimerHandle;
}

interface UasState {
  tx: ServerTransaction;
  /** Dialog key (Call-ID, our tag, their tag) and the INVITE's CSeq number. */
  key: string;
  nextRSeq: number;
  outstanding?: Outstanding;
  /** Reliable provisionals waiting for the outstanding one's PRACK (§3: one at a time). */
  queue: SipResponse[];
  /** The 2xx the TU sent while an outstanding provisional with a body was unacknowledged. */
  held?: SipResponse;
}

export interface UasReliableOptions {
  timers: Timers;
  clock: Clock;
  logger: Logger;
  /** Sends a response the first time (through the server transaction). */
  send: (tx: ServerTransaction, response: SipResponse) => void;
  /** Retransmits a response outside the transaction (it is in Proceeding, which only resends on request retransmissions). */
  retransmit: (tx: ServerTransaction, response: SipResponse) => void;
  /** The held 2xx may go now. */
  release: (tx: ServerTransaction, response: SipResponse) => void;
  /** 64·T1 passed without PRACK: the TU layer rejects the INVITE (§3). */
  timeout: (tx: ServerTransaction, held: SipResponse | undefined) => void;
}

function stateKey(callId: string, localTag: string, remoteTag: string, cseq: number): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}\u0000${cseq}`;
}

/** §3: "The value of the header field for the first reliable provisional response in a transaction MUST be between 1 and 2**31 - 1." */
function initialRSeq(): number {
  return 1 + Math.floor(Math.random() * (2 ** 31 - 2));
}

/** UAS side of RFC 3262 for every INVITE server transaction of one stack. */
export class UasReliableProvisionals {
  readonly #o: UasReliableOptions;
  readonly #byTx = new Map<ServerTransaction, UasState>();
  readonly #byKey = new Map<string, UasState>();

  constructor(options: UasReliableOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#byTx.size;
  }

  /**
   * Sends `response` reliably (it already has its To tag), or queues it behind the outstanding
   * one. Adds `RSeq` and makes sure `Require` lists 100rel.
   */
  sendProvisional(tx: ServerTransaction, response: SipResponse): void {
    let s = this.#byTx.get(tx);
    if (!s) {
      const req = tx.request;
      s = {
        tx, key: stateKey(req.callId, response.to.params.tag ?? '', req.from.params.tag ?? '', req.cseq.seq),
        nextRSeq: initialRSeq(), queue: [],
      };
      this.#byTx.set(tx, s);
      this.#byKey.set(s.key, s);
      const state = s;
      tx.onTerminated(() => this.#forget(state));
    }
    if (s.outstanding) {
      // §3: "The UAS MUST NOT send a second reliable provisional response until the first is acknowledged."
      s.queue.push(response);
      return;
    }
    this.#transmit(s, response);
  }

  #transmit(s: UasState, response: SipResponse): void {
    const rseq = s.nextRSeq;
    s.nextRSeq = rseq + 1;
    // §3: "The provisional response to be sent reliably is constructed by the UAS core according to
    // the procedures of Section 8.2.6 of RFC 3261. In addition, it MUST contain a Require header
    // field containing the option tag 100rel, and MUST include an RSeq header field."
    if (!hasOptionTag(response.headers, 'require', '100rel')) response.headers.append('Require', '100rel');
    response.headers.set('RSeq', formatRSeq(rseq));
    const t = this.#o.timers;
    const o: Outstanding = {
      response, rseq, hasBody: response.body.length > 0, interval: t.t1,
      giveUp: this.#o.clock.setTimeout(() => this.#giveUp(s), 64 * t.t1),
    };
    // §3: "The reliable provisional response is passed to the transaction layer periodically with
    // an interval that starts at T1 seconds and doubles for each retransmission." A reliable
    // transport already delivers it, so (as for 2xx, §13.3.1.4) only UDP retransmits.
    if (!s.tx.reliable) o.retransmit = this.#o.clock.setTimeout(() => this.#retransmit(s), o.interval);
    s.outstanding = o;
    this.#o.send(s.tx, response);
  }

  #retransmit(s: UasState): void {
    const o = s.outstanding;
    if (!o || this.#byTx.get(s.tx) !== s) return;
    this.#o.retransmit(s.tx, o.response);
    o.interval *= 2;
    o.retransmit = this.#o.clock.setTimeout(() => this.#retransmit(s), o.interval);
  }

  #stopOutstanding(s: UasState): void {
    const o = s.outstanding;
    if (!o) return;
    if (o.retransmit) this.#o.clock.clearTimeout(o.retransmit);
    this.#o.clock.clearTimeout(o.giveUp);
    s.outstanding = undefined;
  }

  /**
   * §3: "If a reliable provisional response is retransmitted for 64*T1 seconds without reception
   * of a corresponding PRACK, the UAS SHOULD reject the original request with a 5xx response."
   */
  #giveUp(s: UasState): void {
    if (this.#byTx.get(s.tx) !== s) return;
    const held = s.held;
    this.#o.logger.info({ callId: s.tx.request.callId, rseq: s.outstanding?.rseq }, 'no PRACK for reliable provisional response within 64*T1');
    this.#forget(s);
    this.#o.timeout(s.tx, held);
  }

  /** True while a 2xx of this transaction waits for a PRACK. */
  holding(tx: ServerTransaction): boolean {
    return this.#byTx.get(tx)?.held !== undefined;
  }

  /**
   * The TU's final response to the INVITE. Returns 'hold' when it is a 2xx that must wait for the
   * PRACK of an outstanding provisional with a session description (§3: "The UAS MAY send a final
   * response to the initial request before having received PRACKs for all unacknowledged reliable
   * provisional responses, unless the final response is 2xx and any of the unacknowledged
   * reliable provisional responses contained a session description. In that case, it MUST NOT
   * send a final response until those provisional responses are acknowledged."). Otherwise the
   * retransmissions stop, queued provisionals are dropped, and the caller sends it ('send').
   */
  final(tx: ServerTransaction, response: SipResponse): 'hold' | 'send' {
    const s = this.#byTx.get(tx);
    if (!s) return 'send';
    const ok = response.status >= 200 && response.status < 300;
    if (ok && s.outstanding?.hasBody) {
      s.queue = [];
      s.held = response;
      return 'hold';
    }
    this.#forget(s);
    return 'send';
  }

  /**
   * An in-dialog PRACK on one of our UAS dialogs. Returns the INVITE transaction whose outstanding
   * provisional it acknowledges (retransmissions stop; the next queued provisional or the held 2xx
   * goes out), or undefined when it matches nothing: §3 "If a PRACK request is received by the UA
   * core that does not match any unacknowledged reliable provisional response, the UAS MUST
   * respond to the PRACK with a 481 response."
   */
  prack(rack: RAck, dialog: Dialog): ServerTransaction | undefined {
    if (rack.method.toUpperCase() !== 'INVITE') return undefined;
    const s = this.#byKey.get(stateKey(dialog.callId, dialog.localTag, dialog.remoteTag, rack.cseq));
    if (!s || !s.outstanding || s.outstanding.rseq !== rack.rseq) return undefined;
    this.#stopOutstanding(s);
    const next = s.queue.shift();
    if (next) this.#transmit(s, next);
    else if (s.held) {
      const held = s.held;
      this.#forget(s);
      this.#o.release(s.tx, held);
    }
    return s.tx;
  }

  #forget(s: UasState): void {
    this.#stopOutstanding(s);
    s.queue = [];
    s.held = undefined;
    if (this.#byTx.get(s.tx) === s) this.#byTx.delete(s.tx);
    if (this.#byKey.get(s.key) === s) this.#byKey.delete(s.key);
  }

  close(): void {
    for (const s of [...this.#byTx.values()]) this.#forget(s);
  }
}

/**
 * UAC side (§4): whether a reliable provisional on `dialog` is new and in order. "If the UAC
 * receives another reliable provisional response to the same request, and its RSeq value is not
 * one higher than the value of the sequence number, that response MUST NOT be acknowledged with a
 * PRACK, and MUST NOT be processed further by the UAC." Records it when accepted.
 */
export function acceptReliableProvisional(dialog: Dialog, response: SipResponse): boolean {
  let rseq: number;
  try {
    rseq = parseRSeq(response.headers.get('rseq') ?? '');
  } catch {
    // An RSeq we cannot read orders nothing: the response goes up as any provisional does
    // (drachtio-server passes every 1xx to the application; the application decides on a PRACK).
    return true;
  }
  const cseq = response.cseq.seq;
  const seen = dialog.reliableReceived;
  if (seen && seen.cseq === cseq && rseq !== seen.rseq + 1) return false;
  dialog.reliableReceived = { cseq, rseq };
  return true;
}

/** A 1xx to INVITE that asks to be PRACKed (§4: RSeq and `Require: 100rel`). */
export function isReliableProvisional(response: SipResponse): boolean {
  return response.cseq.method === 'INVITE' && response.status > 100 && response.status < 200
    && response.headers.has('rseq') && hasOptionTag(response.headers, 'require', '100rel');
}
