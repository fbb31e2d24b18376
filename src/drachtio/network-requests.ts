import type { Dialog } from '../sip/dialog/dialog.js';
import { createResponse, generateTag, unsupportedRequired } from '../sip/message/index.js';
import type { IncomingAck, IncomingCancel, IncomingRequest } from '../sip/stack.js';
import type { ServerTransaction } from '../sip/transaction/server.js';
import { deliverToApp, newTransactionId, type BridgeContext } from './bridge-context.js';
import { drachtioDialogId, type PendingServerRequest } from './call-state.js';
import type { ProxyCore } from './proxy.js';

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
        this.#ctx.cdr.publish({ type: 'attempt', source: 'network' }, req.raw.toString('utf8'));
        this.#ctx.cdr.publish({ type: 'stop', source: 'application', reason: 'call-rejected' }, res.toString());
      }
      return;
    }
    const pending: PendingServerRequest = {
      id: newTransactionId(), app, incoming: req, transaction: req.transaction, localTag: generateTag(), canceled: false,
    };
    this.#track(pending, true);
    if (msg.method === 'INVITE') this.#ctx.cdr.publish({ type: 'attempt', source: 'network' }, req.raw.toString('utf8'));
    deliverToApp(app, 'network', req.source, req.raw.toString('utf8'), pending.id, '', req.receivedAt);
  }

  #inDialog(req: IncomingRequest, stackDialog: Dialog): void {
    const d = this.#ctx.state.dialogsByStack.get(stackDialog);
    if (!d || d.app.closed) {
      this.#ctx.stack.respond(req.transaction, createResponse(req.message, 481));
      return;
    }
    const pending: PendingServerRequest = {
      id: newTransactionId(), app: d.app, incoming: req, transaction: req.transaction,
      localTag: stackDialog.localTag, dialog: d, canceled: false,
    };
    this.#track(pending, false);
    deliverToApp(d.app, 'network', req.source, req.raw.toString('utf8'), pending.id, d.id, req.receivedAt);
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
    const prev = p.transaction.handlers.onTerminated;
    p.transaction.handlers.onTerminated = (tx) => {
      if (p.appTimer) clearTimeout(p.appTimer);
      if (this.#ctx.state.serverRequests.get(p.id) === p) this.#ctx.state.removeServer(p);
      prev?.(tx);
    };
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
    this.#ctx.cdr.publish({ type: 'stop', source: 'network', reason: 'call-canceled' }, c.raw.toString('utf8'));
    deliverToApp(p.app, 'network', c.source, c.raw.toString('utf8'), p.id, '', c.receivedAt);
  }
}
