/**
 * The dialog layer (the "UA core" part of RFC 3261 §12–§15 the stack owns): dialog table, 481 for
 * unknown dialogs, CSeq checks, glare (§14.2), target refresh, 2xx retransmission until ACK by
 * the UAS (§13.3.1.4), ACK for 2xx by the UAC (§13.2.2.4), and reliable provisional responses
 * (RFC 3262, ./reliable-provisionals.ts).
 */
import type { Logger } from '../../log.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import { createResponse, endsSubscription, generateBranch, generateTag, parseRAck, type RAck } from '../message/index.js';
import type { TransportLayer } from '../transport/layer.js';
import type { Endpoint, InboundMessage } from '../transport/types.js';
import type { ClientTransaction, ClientTransactionHandlers } from '../transaction/client.js';
import type { TransactionAck, TransactionLayer, TransactionRequest } from '../transaction/layer.js';
import type { ServerTransaction } from '../transaction/server.js';
import type { Clock, TimerHandle, Timers } from '../transaction/timers.js';
import { Dialog, createsDialog, dialogKey } from './dialog.js';
import {
  ReliableProvisionalError, UasReliableProvisionals, acceptReliableProvisional, isReliableProvisional, peerSupports100rel,
  wantsReliable,
} from './reliable-provisionals.js';

export interface DialogLayerOptions {
  timers: Timers;
  clock: Clock;
  logger: Logger;
  transactions: TransactionLayer;
  transport: TransportLayer;
  rejectUnknownDialogs: boolean;
}

export interface DialogRequest extends TransactionRequest {
  dialog?: Dialog;
  /** For a PRACK (RFC 3262): the INVITE server transaction whose reliable provisional it acknowledged. */
  prackFor?: ServerTransaction;
}

export interface DialogAck extends TransactionAck {
  dialog?: Dialog;
}

export interface DialogSendOptions extends ClientTransactionHandlers {
  destination?: Endpoint;
  dialog?: Dialog;
}

/** A 2xx to INVITE being retransmitted until its ACK (§13.3.1.4). */
interface Pending2xx {
  dialog: Dialog;
  response: SipResponse;
  tx: ServerTransaction;
  interval: number;
  retransmit?: TimerHandle;
  giveUp: TimerHandle;
}

/** Methods that refresh the remote target (§12.2, RFC 3311). */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

export class DialogLayer {
  readonly #o: DialogLayerOptions;
  readonly #dialogs = new Map<string, Dialog>();
  readonly #pending2xx = new Map<string, Pending2xx>();
  /** Out-of-dialog SUBSCRIBE / REFER we sent, awaiting a final response, by Call-ID and From tag (for an early NOTIFY). */
  readonly #pendingSubscriptions = new Map<string, SipRequest>();
  #onRequest: (r: DialogRequest) => void = () => undefined;
  #onAck: (a: DialogAck) => void = () => undefined;
  readonly #ackTimeoutListeners = new Set<(d: Dialog) => void>();
  readonly #reliableTimeoutListeners = new Set<(tx: ServerTransaction, dialog: Dialog | undefined) => void>();
  readonly #reliable: UasReliableProvisionals;

  constructor(options: DialogLayerOptions) {
    this.#o = options;
    this.#reliable = new UasReliableProvisionals({
      timers: options.timers,
      clock: options.clock,
      logger: options.logger,
      send: (tx, res) => tx.respond(res),
      retransmit: (tx, res) => { this.#o.transport.sendResponse(res, tx.inbound.connectionId).catch(() => undefined); },
      release: (tx, res) => this.#sendFinal(tx, res),
      timeout: (tx, held) => this.#reliableTimeout(tx, held),
    });
  }

  /**
   * RFC 3262 §3: no PRACK came for a reliable provisional within 64·T1 and the stack rejected the
   * INVITE 503. `dialog` is the dialog a held 2xx had set up (now removed), if any. Returns a
   * function that removes the listener.
   */
  onReliableTimeout(h: (tx: ServerTransaction, dialog: Dialog | undefined) => void): () => void {
    this.#reliableTimeoutListeners.add(h);
    return () => { this.#reliableTimeoutListeners.delete(h); };
  }

  /** INVITE server transactions with reliable provisional state (for leak checks). */
  get reliableCount(): number {
    return this.#reliable.size;
  }

  onRequest(h: (r: DialogRequest) => void): void { this.#onRequest = h; }
  onAck(h: (a: DialogAck) => void): void { this.#onAck = h; }
  /**
   * No ACK came for a 2xx within 64·T1: the stack sent BYE (§13.3.1.4). Adds a listener (the
   * stack keeps its own for SipStack.onAckTimeout, so another one never replaces it); returns a
   * function that removes it.
   */
  onAckTimeout(h: (d: Dialog) => void): () => void {
    this.#ackTimeoutListeners.add(h);
    return () => { this.#ackTimeoutListeners.delete(h); };
  }

  get size(): number {
    return this.#dialogs.size;
  }

  find(callId: string, localTag: string, remoteTag: string): Dialog | undefined {
    return this.#dialogs.get(dialogKey(callId, localTag, remoteTag));
  }

  #add(d: Dialog): Dialog {
    const existing = this.#dialogs.get(d.key);
    if (existing) return existing;
    this.#dialogs.set(d.key, d);
    return d;
  }

  /** Ends a dialog without a message (its owner is gone and a subscription has no BYE). */
  end(d: Dialog): void {
    this.#remove(d);
  }

  #remove(d: Dialog): void {
    d.terminate();
    if (this.#dialogs.get(d.key) === d) this.#dialogs.delete(d.key);
    const p = this.#pending2xx.get(d.key);
    if (p) this.#stop2xx(d.key, p);
  }

  // ---- incoming ------------------------------------------------------------------------

  receiveRequest(r: TransactionRequest): void {
    const req = r.message;
    const toTag = req.to.params.tag;
    if (!toTag) {
      this.#onRequest(r);
      return;
    }
    const dialog = this.find(req.callId, toTag, req.from.params.tag ?? '') ?? this.#dialogFromEarlyNotify(req);
    if (!dialog) {
      if (this.#o.rejectUnknownDialogs) {
        // §12.2.2: "If the UAS … has no matching dialog … it SHOULD respond 481".
        r.transaction.respond(createResponse(req, 481));
        return;
      }
      this.#onRequest(r);
      return;
    }
    // §12.2.2: lower CSeq than the remote sequence number → 500.
    if (dialog.remoteSeq !== undefined && req.cseq.seq < dialog.remoteSeq) {
      r.transaction.respond(createResponse(req, 500, 'Server Internal Error'));
      return;
    }
    if (req.method === 'INVITE') {
      // §14.2: "A UAS that receives a second INVITE before it sends the final response to a first
      // INVITE with a lower CSeq sequence number on the same dialog MUST return a 500 … with a
      // Retry-After header field with a randomly chosen value of between 0 and 10 seconds."
      if (dialog.remoteInvitePending) {
        const res = createResponse(req, 500, 'Server Internal Error');
        res.headers.set('Retry-After', String(Math.floor(Math.random() * 11)));
        r.transaction.respond(res);
        return;
      }
      // "A UAS that receives an INVITE on a dialog while an INVITE it had sent on that dialog is
      // in progress MUST return a 491 (Request Pending)".
      if (dialog.localInvitePending) {
        r.transaction.respond(createResponse(req, 491, 'Request Pending'));
        return;
      }
      dialog.remoteInvitePending = true;
    }
    dialog.remoteSeq = req.cseq.seq;
    if (TARGET_REFRESH.has(req.method)) dialog.refreshTarget(req);
    if (req.method === 'PRACK') {
      // RFC 3262 §7.2: a PRACK without a readable RAck cannot be matched to anything — 400 naming it.
      let rack: RAck;
      try {
        rack = parseRAck(req.headers.get('rack') ?? '');
      } catch {
        r.transaction.respond(createResponse(req, 400, req.headers.has('rack') ? 'Bad RAck' : 'Missing RAck'));
        return;
      }
      const invite = this.#reliable.prack(rack, dialog);
      if (!invite) {
        // RFC 3262 §3: a PRACK matching no unacknowledged reliable provisional response → 481.
        r.transaction.respond(createResponse(req, 481));
        return;
      }
      this.#onRequest({ ...r, dialog, prackFor: invite });
      return;
    }
    // RFC 6665 §4.1.3: a NOTIFY with "Subscription-State: terminated" ends the subscription, and
    // with it a dialog no INVITE shares (§4.5.2) — on receipt, as drachtio-server does
    // (sip-dialog-controller.cpp processRequestInsideDialog clears it before the app answers).
    if (dialog.usage !== 'INVITE' && endsSubscription(req)) this.#remove(dialog);
    this.#onRequest({ ...r, dialog });
  }

  /**
   * RFC 6665 §4.1.2.4: "the subscriber MUST be prepared to receive NOTIFY requests before the
   * SUBSCRIBE transaction has completed": a NOTIFY in answer to a SUBSCRIBE (or REFER, RFC 3515)
   * of ours that has no final response yet creates the dialog.
   */
  #dialogFromEarlyNotify(req: SipRequest): Dialog | undefined {
    if (req.method !== 'NOTIFY') return undefined;
    const sub = this.#pendingSubscriptions.get(subscriptionKey(req.callId, req.to.params.tag ?? ''));
    return sub ? this.#add(Dialog.fromNotify(sub, req)) : undefined;
  }

  receiveAck(a: TransactionAck): void {
    const req = a.message;
    const dialog = this.find(req.callId, req.to.params.tag ?? '', req.from.params.tag ?? '');
    if (dialog) {
      const p = this.#pending2xx.get(dialog.key);
      // §13.3.1.4: the ACK with the INVITE's CSeq number stops the 2xx retransmissions.
      if (p && p.response.cseq.seq === req.cseq.seq) this.#stop2xx(dialog.key, p);
      dialog.confirm();
    }
    const out: DialogAck = { ...a };
    if (dialog) out.dialog = dialog;
    this.#onAck(out);
  }

  /** A response without a client transaction: a 2xx retransmission re-triggers our ACK (§13.2.2.4). */
  receiveStrayResponse(m: InboundMessage<SipResponse>, next: (m: InboundMessage<SipResponse>) => void): void {
    const res = m.message;
    if (res.status >= 200 && res.status < 300 && res.cseq.method === 'INVITE') {
      const dialog = this.find(res.callId, res.from.params.tag ?? '', res.to.params.tag ?? '');
      if (dialog?.lastAck && dialog.lastAck.cseq.seq === res.cseq.seq) {
        this.#sendAckRequest(dialog.lastAck, dialog).catch(() => undefined);
        return;
      }
    }
    next(m);
  }

  // ---- outgoing ------------------------------------------------------------------------

  /** Adds the top Via (fresh branch, rport) if missing, resolves the destination, starts the client transaction. */
  sendRequest(request: SipRequest, options: DialogSendOptions): ClientTransaction {
    const destination = options.destination;
    const dialog = options.dialog;
    const handlers = this.#wrapHandlers(request, dialog, options);
    if (!dialog && (request.method === 'SUBSCRIBE' || request.method === 'REFER')) {
      this.#pendingSubscriptions.set(subscriptionKey(request.callId, request.from.params.tag ?? ''), request);
    }
    if (destination) {
      const dest = withPeerHost(destination, dialog);
      this.#addVia(request, dest);
      return this.#o.transactions.createClientTransaction(request, dest, handlers);
    }
    // Without an explicit destination the Route / Request-URI host must be an IP literal or
    // `localhost`; for other names call SipStack.resolveDestination() first (dns.lookup).
    const dest = withPeerHost(this.#o.transport.resolveRequestDestinationSync(request), dialog);
    this.#addVia(request, dest);
    return this.#o.transactions.createClientTransaction(request, dest, handlers);
  }

  #addVia(request: SipRequest, dest: Endpoint): void {
    const top = request.headers.getAll('via')[0];
    if (top && /;\s*branch=/i.test(top)) return;
    const transport = dest.protocol.toUpperCase();
    request.headers.prepend('Via', `SIP/2.0/${transport} ${this.#o.transport.sentBy(dest.protocol, dest.address)};branch=${generateBranch()};rport`);
    if (!request.headers.has('max-forwards')) request.headers.set('Max-Forwards', '70');
  }

  #wrapHandlers(request: SipRequest, dialog: Dialog | undefined, h: ClientTransactionHandlers): ClientTransactionHandlers {
    const isInvite = request.method === 'INVITE';
    if (isInvite && dialog) {
      dialog.localInvitePending = true;
      dialog.inviteSeq = request.cseq.seq;
    }
    return {
      ...h,
      onProvisional: (res, tx) => {
        if (isInvite && !dialog && res.to.params.tag && res.status > 100) this.#add(Dialog.fromUac(request, res, tx.destination.host));
        if (isInvite && res.to.params.tag && isReliableProvisional(res)) {
          // RFC 3262 §4: retransmitted or out-of-order reliable provisionals go no further.
          const d = dialog ?? this.find(request.callId, request.from.params.tag ?? '', res.to.params.tag);
          if (d && !acceptReliableProvisional(d, res)) return;
        }
        h.onProvisional?.(res, tx);
      },
      onFinal: (res, tx) => {
        this.#uacFinal(request, dialog, res, tx.destination);
        h.onFinal?.(res, tx);
      },
      onRetransmitted2xx: (res, tx) => {
        // §13.2.2.4: "The UAC core MUST generate an ACK request for each 2xx received from the
        // transaction layer": a retransmitted 2xx gets the ACK we already sent for it again.
        const d = dialog ?? this.find(request.callId, request.from.params.tag ?? '', res.to.params.tag ?? '');
        if (d?.lastAck && d.lastAck.cseq.seq === res.cseq.seq) this.#sendAckRequest(d.lastAck, d).catch(() => undefined);
        h.onRetransmitted2xx?.(res, tx);
      },
      onTimeout: (tx) => {
        if (isInvite && dialog) dialog.localInvitePending = false;
        else if (isInvite) this.#dropEarly(request);
        this.#forgetSubscription(request);
        h.onTimeout?.(tx);
      },
      onTransportError: (err, tx) => {
        if (isInvite && dialog) dialog.localInvitePending = false;
        else if (isInvite) this.#dropEarly(request);
        this.#forgetSubscription(request);
        h.onTransportError?.(err, tx);
      },
    };
  }

  #uacFinal(request: SipRequest, dialog: Dialog | undefined, res: SipResponse, destination: Endpoint): void {
    const ok = res.status >= 200 && res.status < 300;
    if (request.method === 'INVITE') {
      if (dialog) {
        dialog.localInvitePending = false;
        if (ok) dialog.refreshTarget(res);
        return;
      }
      const early = this.find(request.callId, request.from.params.tag ?? '', res.to.params.tag ?? '');
      if (ok) {
        if (early) {
          early.confirm();
          early.refreshTarget(res);
          // §12.1.2: the route set is recomputed from the 2xx.
          early.routeSet = res.headers.getAll('record-route').reverse();
        } else if (res.to.params.tag) {
          this.#add(Dialog.fromUac(request, res, destination.host));
        }
      } else {
        this.#dropEarly(request);
      }
      return;
    }
    if (!dialog && createsDialog(request.method)) {
      // SUBSCRIBE / REFER out of any dialog: a 2xx creates the subscriber's dialog (RFC 6665
      // §4.1.2.1, REFER's implicit subscription of RFC 3515) unless an early NOTIFY already did; a
      // failure ends what an early NOTIFY created.
      this.#forgetSubscription(request);
      const existing = this.find(request.callId, request.from.params.tag ?? '', res.to.params.tag ?? '');
      if (ok && res.to.params.tag && !existing) this.#add(Dialog.fromUac(request, res, destination.host));
      else if (!ok) this.#dropSubscriptionDialogs(request);
      return;
    }
    if (dialog && ok && TARGET_REFRESH.has(request.method)) dialog.refreshTarget(res);
    // §15: BYE ends the dialog; so do 481 and 408 to in-dialog requests (§12.2.1.2); and a NOTIFY
    // we sent with "Subscription-State: terminated" ends a subscription-only dialog once answered
    // (RFC 6665 §4.2.2; drachtio-server: RIP clearDialogOnResponse).
    if (dialog && (request.method === 'BYE' || res.status === 481 || res.status === 408
      || (dialog.usage !== 'INVITE' && endsSubscription(request)))) this.#remove(dialog);
  }

  #forgetSubscription(request: SipRequest): void {
    if (request.method !== 'SUBSCRIBE' && request.method !== 'REFER') return;
    const key = subscriptionKey(request.callId, request.from.params.tag ?? '');
    if (this.#pendingSubscriptions.get(key) === request) this.#pendingSubscriptions.delete(key);
  }

  /** A SUBSCRIBE / REFER failed: dialogs its early NOTIFYs created end (RFC 6665 §4.1.2.4). */
  #dropSubscriptionDialogs(request: SipRequest): void {
    const fromTag = request.from.params.tag ?? '';
    for (const d of [...this.#dialogs.values()]) {
      if (d.usage !== 'INVITE' && d.role === 'uac' && d.callId === request.callId && d.localTag === fromTag) this.#remove(d);
    }
  }

  /** A non-2xx final (or a timeout / transport error) ends every early dialog of an INVITE (§12.3). */
  #dropEarly(request: SipRequest): void {
    const fromTag = request.from.params.tag ?? '';
    for (const d of [...this.#dialogs.values()]) {
      if (d.state === 'early' && d.callId === request.callId && d.localTag === fromTag) this.#remove(d);
    }
  }

  /**
   * Sends a response on a server transaction, keeping dialog state in step. A 1xx to INVITE with
   * `Require: 100rel` goes reliably (RFC 3262 §3; throws ReliableProvisionalError PEER_NO_100REL
   * when the INVITE offered no 100rel); a 2xx may be held until the PRACK (see
   * UasReliableProvisionals.final).
   */
  respond(tx: ServerTransaction, res: SipResponse): void {
    const req = tx.request;
    const ok = res.status >= 200 && res.status < 300;
    const reliable = wantsReliable(req, res);
    if (reliable && !peerSupports100rel(req)) {
      throw new ReliableProvisionalError('PEER_NO_100REL', 'the INVITE has no 100rel in Supported or Require');
    }
    // A 2xx already decided (held for a PRACK) wins over a later final, as after a sent 2xx (§9.2).
    if (req.method === 'INVITE' && res.status >= 200 && this.#reliable.holding(tx)) return;
    if (req.method === 'INVITE') {
      const toTag = req.to.params.tag;
      if (toTag) {
        // re-INVITE in a dialog
        const dialog = this.find(req.callId, toTag, req.from.params.tag ?? '');
        if (dialog && res.status >= 200) dialog.remoteInvitePending = false;
      } else if (res.status > 100) {
        // §8.2.6.2: every response to the request carries the same To tag (except 100).
        const prev = tx.lastResponse && tx.lastResponse.status > 100 ? tx.lastResponse.to.params.tag : undefined;
        const tag = prev ?? res.to.params.tag ?? generateTag();
        if (res.to.params.tag !== tag) res.headers.set('To', `${req.headers.get('to')!};tag=${tag}`);
        if (res.status < 300) {
          const d = this.#add(Dialog.fromUas(req, res));
          if (ok) {
            d.confirm();
            d.localContact = res.headers.getAll('contact')[0] ?? d.localContact;
          }
        } else {
          const d = this.find(req.callId, res.to.params.tag ?? '', req.from.params.tag ?? '');
          if (d) this.#remove(d);
        }
      }
    } else if (createsDialog(req.method) && !req.to.params.tag && ok) {
      // SUBSCRIBE / REFER: the 2xx creates the notifier's dialog (RFC 6665 §4.2.1, REFER's
      // implicit subscription of RFC 3515; §12.1.1: the To tag is ours to add).
      if (!res.to.params.tag) res.headers.set('To', `${req.headers.get('to')!};tag=${generateTag()}`);
      this.#add(Dialog.fromUas(req, res));
    } else if (req.method === 'BYE' && res.status >= 200) {
      const d = this.find(req.callId, req.to.params.tag ?? '', req.from.params.tag ?? '');
      if (d) this.#remove(d);
    }
    if (reliable) {
      this.#reliable.sendProvisional(tx, res);
      return;
    }
    if (req.method === 'INVITE' && res.status >= 200 && this.#reliable.final(tx, res) === 'hold') return;
    this.#sendFinal(tx, res);
  }

  /** Puts a response on the wire through its transaction; a 2xx to INVITE then retransmits until ACK. */
  #sendFinal(tx: ServerTransaction, res: SipResponse): void {
    tx.respond(res);
    const req = tx.request;
    if (req.method !== 'INVITE' || res.status < 200 || res.status >= 300) return;
    const d = this.find(req.callId, res.to.params.tag ?? '', req.from.params.tag ?? '');
    if (d) this.#start2xx(d, res, tx);
  }

  /** RFC 3262 §3: 64·T1 without PRACK — reject the INVITE 5xx (sofia-sip's nta: 503 "Reliable Response Time-Out"). */
  #reliableTimeout(tx: ServerTransaction, held: SipResponse | undefined): void {
    const req = tx.request;
    const toTag = held?.to.params.tag ?? tx.lastResponse?.to.params.tag;
    const res = createResponse(req, 503, 'Reliable Response Time-Out', toTag ? { toTag } : {});
    let dialog: Dialog | undefined;
    if (toTag && !req.to.params.tag) {
      dialog = this.find(req.callId, toTag, req.from.params.tag ?? '');
      if (dialog) this.#remove(dialog);
    }
    tx.respond(res);
    for (const listener of [...this.#reliableTimeoutListeners]) {
      try {
        listener(tx, held ? dialog : undefined);
      } catch (err) {
        this.#o.logger.error({ err }, 'reliable-timeout listener threw');
      }
    }
  }

  /** §13.3.1.4: retransmit the 2xx from T1 doubling to T2 until the ACK; after 64·T1 give up and BYE. */
  #start2xx(dialog: Dialog, response: SipResponse, tx: ServerTransaction): void {
    const old = this.#pending2xx.get(dialog.key);
    if (old) this.#stop2xx(dialog.key, old);
    const t = this.#o.timers;
    const p: Pending2xx = {
      dialog,
      response,
      tx,
      interval: t.t1,
      giveUp: this.#o.clock.setTimeout(() => this.#ackTimeout(dialog.key), 64 * t.t1),
    };
    if (!tx.reliable) p.retransmit = this.#o.clock.setTimeout(() => this.#retransmit2xx(dialog.key), p.interval);
    this.#pending2xx.set(dialog.key, p);
  }

  #retransmit2xx(key: string): void {
    const p = this.#pending2xx.get(key);
    if (!p) return;
    this.#o.transport.sendResponse(p.response, p.tx.inbound.connectionId).catch(() => undefined);
    p.interval = Math.min(2 * p.interval, this.#o.timers.t2);
    p.retransmit = this.#o.clock.setTimeout(() => this.#retransmit2xx(key), p.interval);
  }

  #stop2xx(key: string, p: Pending2xx): void {
    if (p.retransmit) this.#o.clock.clearTimeout(p.retransmit);
    this.#o.clock.clearTimeout(p.giveUp);
    this.#pending2xx.delete(key);
  }

  #ackTimeout(key: string): void {
    const p = this.#pending2xx.get(key);
    if (!p) return;
    this.#stop2xx(key, p);
    // §13.3.1.4: "If the server retransmits the 2xx response for 64*T1 seconds without receiving
    // an ACK, the dialog is confirmed, but the session SHOULD be terminated … with a BYE".
    const dialog = p.dialog;
    dialog.confirm();
    try {
      const bye = dialog.createRequest('BYE');
      this.sendRequest(bye, { dialog });
    } catch (err) {
      this.#o.logger.warn({ err }, 'could not send BYE after ACK timeout');
      this.#remove(dialog);
    }
    for (const listener of [...this.#ackTimeoutListeners]) {
      try {
        listener(dialog);
      } catch (err) {
        this.#o.logger.error({ err }, 'ack-timeout listener threw');
      }
    }
  }

  /** §13.2.2.4: the ACK for a 2xx — a new request (new branch) with the INVITE's CSeq number, sent without a transaction. */
  async sendAck(dialog: Dialog, options: { body?: Buffer | string; headers?: { name: string; value: string }[] } = {}): Promise<SipRequest> {
    const ack = dialog.createRequest('ACK', { cseq: dialog.inviteSeq, ...options });
    dialog.confirm();
    dialog.lastAck = ack;
    await this.#sendAckRequest(ack, dialog);
    return ack;
  }

  async #sendAckRequest(ack: SipRequest, dialog: Dialog): Promise<void> {
    const dest = withPeerHost(await this.#o.transport.resolveRequestDestination(ack), dialog);
    this.#addVia(ack, dest);
    await this.#o.transport.sendRequest(ack, dest);
  }

  close(): void {
    this.#reliable.close();
    this.#pendingSubscriptions.clear();
    for (const [key, p] of [...this.#pending2xx]) this.#stop2xx(key, p);
    for (const d of this.#dialogs.values()) d.terminate();
    this.#dialogs.clear();
  }
}

function subscriptionKey(callId: string, localTag: string): string {
  return `${callId}\u0000${localTag}`;
}

/**
 * An in-dialog request whose next hop is an IP address goes there expecting the name the dialog
 * was set up with (Dialog.peerHost) in a TLS server's certificate; a next hop that names a host
 * keeps its own name (RFC 5922 §7.3 compares with the URI being reached).
 */
function withPeerHost(dest: Endpoint, dialog: Dialog | undefined): Endpoint {
  return dialog?.peerHost && !dest.host ? { ...dest, host: dialog.peerHost } : dest;
}
