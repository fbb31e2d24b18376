import { createResponse, generateTag, unsupportedRequired, type Dialog, type IncomingAck, type IncomingCancel, type IncomingRequest, type ServerTransaction } from '../sip/index.js';
import { deliverToApp, newTransactionId, type BridgeContext } from './bridge-context.js';
import { drachtioDialogId, type DrachtioDialog, type PendingServerRequest } from './call-state.js';
import type { ProxyCore } from './proxy.js';

/** Requests an early INVITE dialog passes to the INVITE's application (drachtio-server: see NetworkRequests.#inEarlyDialog). */
const EARLY_DIALOG_METHODS = new Set(['NOTIFY', 'OPTIONS', 'INFO', 'MESSAGE', 'PUBLISH', 'SUBSCRIBE', 'UPDATE']);

/**
 * Methods whose requests drachtio-server hands to an application as new requests even when they
 * carry a To tag that matches no dialog (controller.cpp processMessageStatelessly: NOTIFY, OPTIONS,
 * INFO, MESSAGE, SUBSCRIBE, PUBLISH and REGISTER go to PendingRequestController::processNewRequest;
 * BYE, UPDATE and a tagged INVITE get 481). A NOTIFY that a BYE overtook reaches the application
 * this way, which alone knows whether a subscription still waits for it (RFC 6665 §4.1.3: 481
 * otherwise).
 */
const PASSED_ON_WITHOUT_DIALOG = new Set(['NOTIFY', 'OPTIONS', 'INFO', 'MESSAGE', 'SUBSCRIBE', 'PUBLISH', 'REGISTER']);

/**
 * Requests from the network, on their way to applications: new requests go to an application
 * that routed their method (round robin), in-dialog requests to the dialog's owner, ACKs and
 * CANCELs to whoever holds the INVITE (drachtio-server controller.cpp / sip-dialog-controller.cpp).
 */
export class NetworkRequests {
  #ctx: BridgeContext;
  #proxy: ProxyCore;

  constructor(ctx: BridgeContext, proxy: ProxyCore) {
    this.#ctx = ctx;
    this.#proxy = proxy;
  }

  onRequest(req: IncomingRequest): void {
    const msg = req.message;
    if (req.prackFor) {
      this.#prack(req, req.prackFor);
      return;
    }
    if (req.dialog) {
      if (this.#rejectsExtensions(req)) return;
      this.#inDialog(req, req.dialog);
      return;
    }
    if (this.#proxy.handlesInDialog(req)) return;
    if (this.#rejectsExtensions(req)) return;
    if (msg.to.params.tag && !PASSED_ON_WITHOUT_DIALOG.has(msg.method)) {
      // §12.2.2: an in-dialog request matching no dialog.
      this.#ctx.stack.respond(req.transaction, createResponse(msg, 481));
      return;
    }
    const app = this.#ctx.registry.select(msg.method);
    if (!app) {
      // drachtio-server PendingRequestController::processNewRequest: no client → 503.
      this.#ctx.logger.info({ callId: msg.callId, method: msg.method }, 'no application routes this method: 503');
      const res = createResponse(msg, 503);
      this.#ctx.stack.respond(req.transaction, res);
      if (msg.method === 'INVITE') {
        this.#ctx.cdr.publish({ type: 'attempt', source: 'network' }, req.raw);
        this.#ctx.cdr.publish({ type: 'stop', source: 'application', reason: 'call-rejected' }, res);
      }
      return;
    }
    const pending: PendingServerRequest = {
      id: newTransactionId(), app, incoming: req, transaction: req.transaction, localTag: generateTag(), canceled: false,
    };
    this.#track(pending, true);
    if (msg.method === 'INVITE') this.#ctx.cdr.publish({ type: 'attempt', source: 'network' }, req.raw);
    deliverToApp(app, 'network', req.source, req.raw.toString('utf8'), pending.id, '', req.receivedAt);
  }

  #inDialog(req: IncomingRequest, stackDialog: Dialog): void {
    const d = this.#ctx.state.dialogsByStack.get(stackDialog) ?? this.#earlySubscriptionDialog(stackDialog);
    if (!d && this.#inEarlyDialog(req, stackDialog)) return;
    if (!d || d.app.closed) {
      this.#ctx.stack.respond(req.transaction, createResponse(req.message, 481));
      return;
    }
    if (d.awaitingAck) {
      (d.held ??= []).push(req);
      return;
    }
    const pending: PendingServerRequest = {
      id: newTransactionId(), app: d.app, incoming: req, transaction: req.transaction,
      localTag: stackDialog.localTag, dialog: d, canceled: false,
    };
    this.#track(pending, false);
    deliverToApp(d.app, 'network', req.source, req.raw.toString('utf8'), pending.id, d.id, req.receivedAt);
    // A NOTIFY that terminated a subscription-only dialog: the stack ended it on receipt, and so
    // does drachtio-server (processRequestInsideDialog: SD_Clear before the app answers).
    if (stackDialog.state === 'terminated' && req.message.method !== 'BYE') this.#ctx.state.removeDialog(d);
  }

  /**
   * The application ACKed the 2xx of its INVITE: the far end's requests that came before that ACK
   * go to it now, in order. drachtio-srf's createB2BUA holds a B leg's requests until the A leg's
   * ACK — but only from the moment its createUAC promise has resolved, a microtask after srf
   * handled the 2xx (and sent its ACK); a re-INVITE that B sent right after its 200 and that reached
   * srf in the same read as the 200 would be answered by srf's Dialog itself and never reach A.
   * Holding the far end's requests until the application's ACK closes that window; the ACK leaves
   * srf synchronously with the 2xx's handling, so nothing waits longer than one round trip to srf.
   */
  releaseHeld(d: DrachtioDialog): void {
    d.awaitingAck = false;
    const held = d.held ?? [];
    d.held = undefined;
    for (const req of held) {
      if (req.transaction.finalSent) continue;
      if (req.dialog) this.#inDialog(req, req.dialog);
    }
  }

  /**
   * A request in the early dialog of an INVITE the application has not answered 2xx yet (no
   * drachtio dialog exists). drachtio-server (sip-dialog-controller.cpp processRequestInsideDialog,
   * "received … during invite-in-progress, routing as out-of-dialog") hands NOTIFY, OPTIONS, INFO,
   * MESSAGE, PUBLISH and SUBSCRIBE to the application as new requests, and an UPDATE to the
   * INVITE's application (drachtio-srf emits `update` on the pending INVITE, matched by Call-ID).
   * The same here, each with its own transaction id; anything else (BYE …) gets 481 as there.
   */
  #inEarlyDialog(req: IncomingRequest, stackDialog: Dialog): boolean {
    if (stackDialog.usage !== 'INVITE' || stackDialog.role !== 'uas' || stackDialog.state !== 'early') return false;
    if (!EARLY_DIALOG_METHODS.has(req.message.method)) return false;
    let invite: PendingServerRequest | undefined;
    for (const p of this.#ctx.state.serverRequests.values()) {
      const m = p.incoming.message;
      if (!p.dialog && m.method === 'INVITE' && m.callId === stackDialog.callId && p.localTag === stackDialog.localTag) invite = p;
    }
    if (!invite || invite.app.closed) return false;
    const pending: PendingServerRequest = {
      id: newTransactionId(), app: invite.app, incoming: req, transaction: req.transaction, localTag: stackDialog.localTag, canceled: false,
    };
    this.#track(pending, false);
    deliverToApp(invite.app, 'network', req.source, req.raw.toString('utf8'), pending.id, '', req.receivedAt);
    return true;
  }

  /**
   * A NOTIFY that came before the final response to an application's SUBSCRIBE or REFER made the
   * stack's dialog (RFC 6665 §4.1.2.4). drachtio-server finds the invite-in-progress's leg and
   * routes the NOTIFY to that application in the dialog's id (findDialogByLeg looks in the IIPs
   * first); the same here: the dialog is the application's from now on, the 2xx confirms it.
   */
  #earlySubscriptionDialog(stackDialog: Dialog): DrachtioDialog | undefined {
    if (stackDialog.usage === 'INVITE' || stackDialog.role !== 'uac') return undefined;
    for (const p of this.#ctx.state.clientRequests.values()) {
      const r = p.request;
      if (!p.dialog && r.method === stackDialog.usage && r.callId === stackDialog.callId && r.from.params.tag === stackDialog.localTag) {
        const d: DrachtioDialog = { id: drachtioDialogId(r.callId, stackDialog.localTag), app: p.app, stack: stackDialog, method: r.method, role: 'uac' };
        this.#ctx.state.addDialog(d);
        return d;
      }
    }
    return undefined;
  }

  /**
   * A PRACK the stack matched to one of our reliable provisionals (RFC 3262 §3). drachtio-server
   * hands it to the application that owns the INVITE, in the INVITE's dialog
   * (sip-dialog-controller.cpp processPrack → route_request_inside_dialog), and the application
   * answers it (drachtio-srf answers 200 when no handler does).
   *
   * Two cases are answered 200 here instead: the application is gone (the PRACK did acknowledge
   * the response), and the application already sent its 2xx (held until this PRACK, §3) — then
   * drachtio-srf has a Dialog for it, whose handler answers PRACK 501; drachtio-server would pass
   * that 501 on, we do not.
   */
  #prack(req: IncomingRequest, invite: ServerTransaction): void {
    const pendingInvite = this.#ctx.state.serverByTransaction.get(invite);
    const app = pendingInvite?.app;
    if (!app || app.closed) {
      this.#ctx.stack.respond(req.transaction, createResponse(req.message, 200));
      return;
    }
    const msg = req.message;
    // The early dialog of an initial INVITE has no drachtio dialog yet: its id is the one the
    // reliable 18x was reported with (AppResponses); a re-INVITE's PRACK is in the dialog's own id.
    const d = req.dialog ? this.#ctx.state.dialogsByStack.get(req.dialog) : undefined;
    const dialogId = d?.id ?? drachtioDialogId(msg.callId, msg.from.params.tag ?? '');
    const pending: PendingServerRequest = {
      id: newTransactionId(), app, incoming: req, transaction: req.transaction,
      localTag: req.dialog?.localTag ?? msg.to.params.tag ?? generateTag(), canceled: false,
    };
    this.#track(pending, false);
    deliverToApp(app, 'network', req.source, req.raw.toString('utf8'), pending.id, dialogId, req.receivedAt);
  }

  /**
   * RFC 3261 §8.2.2.3: "If a UAS does not understand an option-tag listed in a Require header
   * field, it MUST respond by generating a response with status code 420 (Bad Extension). The UAS
   * MUST add an Unsupported header field, and list in it those options it does not understand".
   * drachtio-server leaves this to the application (neither it nor sofia-sip's nta checks
   * Require); trunkgate's applications are UAs, so the server checks against
   * `supportedExtensions` (false: pass everything on, as drachtio-server does).
   */
  #rejectsExtensions(req: IncomingRequest): boolean {
    const supported = this.#ctx.supportedExtensions;
    if (!supported) return false;
    const unknown = unsupportedRequired(req.message.headers, supported);
    if (unknown.length === 0) return false;
    const res = createResponse(req.message, 420, 'Bad Extension');
    res.headers.set('Unsupported', unknown.join(', '));
    this.#ctx.logger.info({ callId: req.message.callId, method: req.message.method, unsupported: unknown }, 'required extension not supported: 420');
    this.#ctx.stack.respond(req.transaction, res);
    return true;
  }

  #track(p: PendingServerRequest, newRequest: boolean): void {
    this.#ctx.state.addServer(p);
    const timer = newRequest ? this.#armAppTimeout(p) : undefined;
    if (timer) p.appTimer = timer;
    p.transaction.onTerminated(() => {
      if (p.appTimer) clearTimeout(p.appTimer);
      if (this.#ctx.state.serverRequests.get(p.id) === p) this.#ctx.state.removeServer(p);
    });
  }

  /**
   * drachtio-server keeps a new request it gave to an application for CLIENT_TIMEOUT = 64 s
   * (pending-request-controller.cpp, PendingRequestController::add arms it,
   * PendingRequestController::timeout fires it) — INVITE or not — until the application's first
   * response (any status: SipDialogController::doRespondToSipRequest → setupLegForIncomingRequest
   * takes the request out of the pending table). When it fires the request is forgotten and
   * nothing is sent; a later response from the application fails with "Response not sent due to
   * unknown transaction". The same here: the server transaction ends silently (a UDP caller's
   * Timer F / B gave up at 64·T1 = 32 s already; a later CANCEL gets 481, as from drachtio-server).
   * No 408 either way: RFC 4320 §4.2 (Action 2), "A transaction-stateful SIP element MUST NOT send a response
   * with Status-Code of 408 to a non-INVITE request" (sofia-sip's nta suppresses such 408s too).
   * In-dialog requests and PRACKs have no such timer in drachtio-server, nor here.
   */
  #armAppTimeout(p: PendingServerRequest): NodeJS.Timeout | undefined {
    const ms = this.#ctx.appResponseTimeout;
    if (ms <= 0) return undefined;
    const timer = setTimeout(() => {
      if (this.#ctx.state.serverRequests.get(p.id) !== p) return;
      this.#ctx.state.removeServer(p);
      if (p.transaction.lastResponse && p.transaction.lastResponse.status > 100) return;
      this.#ctx.logger.info({ callId: p.incoming.message.callId, method: p.incoming.message.method, app: p.app.id },
        'application never answered: request forgotten');
      p.transaction.terminate();
    }, ms);
    timer.unref();
    return timer;
  }


  /** ACK for a 2xx: tell the dialog's owner (srf resolves its pending ACK callback by dialog id). */
  onAck(ack: IncomingAck): void {
    const d = ack.dialog ? this.#ctx.state.dialogsByStack.get(ack.dialog) : undefined;
    if (!d) {
      this.#proxy.forwardAck(ack);
      return;
    }
    deliverToApp(d.app, 'network', ack.source, ack.raw.toString('utf8'), newTransactionId(), d.id, ack.receivedAt);
  }

  /**
   * §9.2: the stack has answered the CANCEL 200; the INVITE is answered 487 here, and the
   * application hears the CANCEL (srf emits 'cancel' on the pending request).
   */
  onCancel(c: IncomingCancel): void {
    const p = this.#ctx.state.serverByTransaction.get(c.invite);
    if (!p) {
      if (this.#proxy.handlesCancel(c)) return;
      if (!c.invite.finalSent) this.#ctx.stack.respond(c.invite, createResponse(c.invite.request, 487));
      return;
    }
    p.canceled = true;
    this.#ctx.state.removeServer(p);
    if (!c.invite.finalSent) this.#ctx.stack.respond(c.invite, createResponse(c.invite.request, 487, undefined, { toTag: p.localTag }));
    this.#ctx.cdr.publish({ type: 'stop', source: 'network', reason: 'call-canceled' }, c.raw);
    deliverToApp(p.app, 'network', c.source, c.raw.toString('utf8'), p.id, '', c.receivedAt);
  }
}
