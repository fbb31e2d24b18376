import type { Dialog } from '../sip/dialog/dialog.js';
import { createResponse, generateTag } from '../sip/message/index.js';
import type { IncomingAck, IncomingCancel, IncomingRequest } from '../sip/stack.js';
import { deliverToApp, newTransactionId, type BridgeContext } from './bridge-context.js';
import type { PendingServerRequest } from './call-state.js';
import type { ProxyCore } from './proxy.js';

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
    if (req.dialog) {
      this.#inDialog(req, req.dialog);
      return;
    }
    if (this.#proxy.handlesInDialog(req)) return;
    if (msg.to.params.tag) {
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
    this.#track(pending);
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
    this.#track(pending);
    deliverToApp(d.app, 'network', req.source, req.raw.toString('utf8'), pending.id, d.id, req.receivedAt);
  }

  #track(p: PendingServerRequest): void {
    this.#ctx.state.addServer(p);
    const timer = this.#armAppTimeout(p);
    const prev = p.transaction.handlers.onTerminated;
    p.transaction.handlers.onTerminated = (tx) => {
      if (timer) clearTimeout(timer);
      if (this.#ctx.state.serverRequests.get(p.id) === p) this.#ctx.state.removeServer(p);
      prev?.(tx);
    };
  }

  /**
   * §17.2.2 gives the non-INVITE server transaction no timer in Trying, and the client gives up
   * after 64·T1 (Timer F): a request its application never answers is answered 408 here and
   * forgotten, instead of staying pending for ever.
   */
  #armAppTimeout(p: PendingServerRequest): NodeJS.Timeout | undefined {
    const ms = this.#ctx.nonInviteAppTimeout;
    if (p.incoming.message.method === 'INVITE' || ms <= 0) return undefined;
    const timer = setTimeout(() => {
      if (this.#ctx.state.serverRequests.get(p.id) !== p) return;
      this.#ctx.state.removeServer(p);
      if (p.transaction.finalSent) return;
      this.#ctx.logger.info({ callId: p.incoming.message.callId, method: p.incoming.message.method, app: p.app.id }, 'application never answered: 408');
      this.#ctx.stack.respond(p.transaction, createResponse(p.incoming.message, 408, undefined, { toTag: p.localTag }));
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
