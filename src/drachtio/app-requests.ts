import { SipRequest, canonicalHeaderName, formatNameAddr, generateCallId, generateTag, parseNameAddr, parseUri, createsDialog, isReliableProvisional, resolveUri, uriProtocol, type SipResponse, type HeaderField, type ClientTransaction, type Endpoint, type TransportProtocol } from '../sip/index.js';
import type { AppSipText } from './app-sip-text.js';
import { isServerOwnedHeader } from './app-sip-text.js';
import { deliverToApp, localFor, newTransactionId, type BridgeContext } from './bridge-context.js';
import { drachtioDialogId, type DrachtioDialog, type PendingClientRequest } from './call-state.js';
import type { AppConnection } from './control/app-connection.js';
import type { SipVerbMessage } from './control/control-server.js';
import { metaFor } from './sip-meta.js';
import { formatSipFailure, formatSipSent } from './wire/messages.js';

type SipMsg = Extract<SipVerbMessage, { verb: 'sip' }>;
type AppRequest = Extract<AppSipText, { kind: 'request' }>;

/** Headers a dialog's requests take from the dialog, not from the application (§12.2.1.1). */
const DIALOG_OWNED = new Set(['from', 'f', 'to', 't', 'route', 'contact', 'm']);

/**
 * Requests an application sends: new ones (drachtio fills in Via, From tag, To, Call-ID, CSeq,
 * Contact, Max-Forwards, Content-Type as sip-dialog-controller.cpp doSendRequestOutsideDialog
 * does), in-dialog ones addressed by dialog id, the ACK for a 2xx, and CANCEL of an INVITE.
 */
export class AppRequests {
  #ctx: BridgeContext;
  #onAckSent: (d: DrachtioDialog) => void;

  /** `onAckSent`: the application ACKed a 2xx in dialog `d` (requests held for it may go on). */
  constructor(ctx: BridgeContext, hooks: { onAckSent?: (d: DrachtioDialog) => void } = {}) {
    this.#ctx = ctx;
    this.#onAckSent = hooks.onAckSent ?? (() => undefined);
  }

  async send(app: AppConnection, msg: SipMsg, text: AppRequest): Promise<void> {
    if (msg.dialogId) {
      if (text.method === 'ACK') return this.#ack(app, msg, text);
      return this.#inDialog(app, msg, text, msg.dialogId);
    }
    if (msg.transactionId && text.method === 'CANCEL') return this.#cancel(app, msg);
    // client.cpp: a request whose Call-ID names an existing dialog is sent inside it.
    const callId = header(text.headers, 'call-id', 'i');
    if (callId && text.method !== 'ACK') {
      for (const d of this.#ctx.state.dialogs.values()) {
        if (d.stack.callId === callId && d.app === app) return this.#inDialog(app, msg, text, d.id);
      }
    }
    return this.#outOfDialog(app, msg, text);
  }

  async #outOfDialog(app: AppConnection, msg: SipMsg, text: AppRequest): Promise<void> {
    let target: Endpoint;
    let protocol: TransportProtocol;
    try {
      const targetUri = parseUri(msg.routeUri || text.uri);
      protocol = uriProtocol(targetUri);
      target = await resolveUri(targetUri);
    } catch {
      app.send(formatSipFailure(msg.msgId, `invalid request-uri: ${text.uri}`));
      return;
    }
    if (this.#isSelf(target)) {
      app.send(formatSipFailure(msg.msgId, 'can not send request to myself'));
      return;
    }
    const sentBy = this.#ctx.stack.viaSentBy(protocol, target.address);
    const contact = this.#ctx.stack.contact(protocol, '', target.address, String(msg.routeUri || text.uri).toLowerCase().startsWith('sips:') ? 'sips' : 'sip');
    const headers: HeaderField[] = [];
    let from: string | undefined;
    let to: string | undefined;
    let callId: string | undefined;
    let cseq: string | undefined;
    let hasContact = false;
    let contentType: string | undefined;
    for (const h of text.headers) {
      const n = h.name.toLowerCase();
      const value = replaceLocalhost(h.value, sentBy);
      if (n === 'from' || n === 'f') from = value;
      else if (n === 'to' || n === 't') to = value;
      else if (n === 'call-id' || n === 'i') callId = value;
      else if (n === 'cseq') cseq = value;
      else if (n === 'via' || n === 'v' || n === 'content-length' || n === 'l') continue;
      else {
        if (n === 'contact' || n === 'm') hasContact = true;
        if (n === 'content-type' || n === 'c') contentType = value;
        headers.push({ name: canonicalHeaderName(h.name), value });
      }
    }
    let fromAddr;
    try {
      fromAddr = parseNameAddr(from ?? contact);
    } catch {
      app.send(formatSipFailure(msg.msgId, `invalid from value provided by client: ${from}`));
      return;
    }
    if (!fromAddr.params.tag) fromAddr.params.tag = generateTag();
    const method = text.method;
    const core: HeaderField[] = [
      { name: 'From', value: formatNameAddr(fromAddr) },
      { name: 'To', value: to ?? `<${text.uri}>` },
      { name: 'Call-ID', value: callId ?? generateCallId(this.#ctx.callIdHost) },
      { name: 'CSeq', value: cseq ?? `${1 + Math.floor(Math.random() * 10_000)} ${method}` },
      { name: 'Max-Forwards', value: '70' },
    ];
    // drachtio-server adds Contact to INVITE and SUBSCRIBE (doSendRequestOutsideDialog); a REFER
    // creates a dialog as well (RFC 3515, implicit subscription), so it needs one too (RFC 3261 §8.1.1.8).
    if (!hasContact && createsDialog(method)) core.push({ name: 'Contact', value: contact });
    if (text.body && !contentType) {
      if (!text.body.startsWith('v=0')) {
        app.send(formatSipFailure(msg.msgId, 'missing content-type'));
        return;
      }
      core.push({ name: 'Content-Type', value: 'application/sdp' });
    }
    if (this.#ctx.userAgent && !headers.some((h) => h.name.toLowerCase() === 'user-agent')) {
      core.push({ name: 'User-Agent', value: this.#ctx.userAgent });
    }
    const request = new SipRequest({ method, uri: text.uri, headers: [...core, ...headers], body: text.body });
    this.#start(app, msg, request, target, undefined);
  }

  async #inDialog(app: AppConnection, msg: SipMsg, text: AppRequest, dialogId: string): Promise<void> {
    const d = this.#ctx.state.dialogs.get(dialogId);
    if (!d) {
      app.send(formatSipFailure(msg.msgId, `unable to find dialog for dialog id ${dialogId}`));
      return;
    }
    const { headers, contentType } = extraHeaders(text.headers, DIALOG_OWNED);
    if (text.body && !contentType && text.body.startsWith('v=0')) headers.push({ name: 'Content-Type', value: 'application/sdp' });
    const request = d.stack.createRequest(text.method, { headers, body: text.body });
    let target: Endpoint;
    try {
      target = await this.#ctx.stack.resolveDestination(request);
    } catch {
      app.send(formatSipFailure(msg.msgId, `unable to resolve ${request.uri}`));
      return;
    }
    if (text.method === 'BYE') {
      this.#ctx.cdr.publish({ type: 'stop', source: 'application', reason: 'normal-release' }, request);
    }
    this.#start(app, msg, request, target, d);
  }

  #start(app: AppConnection, msg: SipMsg, request: SipRequest, target: Endpoint, d: DrachtioDialog | undefined): void {
    const id = newTransactionId();
    let tx: ClientTransaction;
    const pending: PendingClientRequest = {
      id, app, request, transaction: undefined as unknown as ClientTransaction, provisional: false,
      cancelWanted: false, canceled: false,
    };
    if (d) pending.dialog = d;
    try {
      tx = this.#ctx.stack.sendRequest(request, {
        destination: target,
        ...(d ? { dialog: d.stack } : {}),
        onProvisional: (res) => this.#provisional(pending, res),
        onFinal: (res) => this.#final(pending, res),
        onRetransmitted2xx: (res) => this.#reAck(res),
        onTimeout: (t) => { void t.response.then((res) => this.#final(pending, res)); },
        onTransportError: (_e, t) => { void t.response.then((res) => this.#final(pending, res)); },
      });
    } catch (err) {
      this.#ctx.logger.warn({ err }, 'could not send request for application');
      app.send(formatSipFailure(msg.msgId, 'Error creating sip transaction for request'));
      return;
    }
    pending.transaction = tx;
    this.#ctx.state.clientRequests.set(id, pending);
    if (request.method === 'INVITE' && !d) this.#ctx.cdr.publish({ type: 'attempt', source: 'application' }, request);
    const raw = request.toString();
    const local = localFor(this.#ctx, target.protocol, target.address);
    app.send(formatSipSent(msg.msgId, metaFor('application', local, Buffer.byteLength(raw)), id, '', raw));
  }

  #dialogIdFor(p: PendingClientRequest, res: SipResponse): string {
    if (p.dialog) return p.dialog.id;
    const m = p.request.method;
    if (createsDialog(m) && res.to.params.tag) return drachtioDialogId(p.request.callId, p.request.from.params.tag ?? '');
    return '';
  }

  #provisional(p: PendingClientRequest, res: SipResponse): void {
    p.provisional = true;
    if (p.cancelWanted && !p.canceled) this.#sendCancel(p);
    if (!p.dialog && !p.earlyDialog && isReliableProvisional(res)) this.#addEarlyDialog(p, res);
    deliverToApp(p.app, 'network', p.transaction.destination, res, p.id, this.#dialogIdFor(p, res));
  }

  /**
   * drachtio-server adds the UAC dialog on a reliable provisional as on a 2xx
   * (sip-dialog-controller.cpp processResponseOutsideDialog), so the application's PRACK — which
   * drachtio-srf sends by dialog id (Response#sendPrack) — goes out inside the early dialog.
   */
  #addEarlyDialog(p: PendingClientRequest, res: SipResponse): void {
    const req = p.request;
    const sd = this.#ctx.stack.findDialog(req.callId, req.from.params.tag ?? '', res.to.params.tag ?? '');
    if (!sd) return;
    const d: DrachtioDialog = { id: drachtioDialogId(req.callId, req.from.params.tag ?? ''), app: p.app, stack: sd, method: 'INVITE', role: 'uac' };
    p.earlyDialog = d;
    this.#ctx.state.addDialog(d);
  }

  #final(p: PendingClientRequest, res: SipResponse): void {
    if (this.#ctx.state.clientRequests.get(p.id) !== p) return;
    this.#ctx.state.clientRequests.delete(p.id);
    const req = p.request;
    const ok = res.status >= 200 && res.status < 300;
    let dialogId = this.#dialogIdFor(p, res);
    // The early dialog of a reliable provisional ends here; a 2xx (re)adds the confirmed one.
    if (p.earlyDialog) this.#ctx.state.removeDialog(p.earlyDialog);
    if (!p.dialog && createsDialog(req.method)) {
      if (ok) {
        const sd = this.#ctx.stack.findDialog(req.callId, req.from.params.tag ?? '', res.to.params.tag ?? '');
        if (sd && sd.state !== 'terminated') {
          this.#ctx.state.addDialog({ id: dialogId, app: p.app, stack: sd, method: req.method, role: 'uac', awaitingAck: req.method === 'INVITE' });
          if (p.app.closed && req.method === 'INVITE') this.#byeOrphan(dialogId);
        } else dialogId = '';
        if (req.method === 'INVITE') this.#ctx.cdr.publish({ type: 'start', source: 'network', role: 'uac' }, res);
      } else if (req.method === 'INVITE') {
        this.#ctx.cdr.publish({ type: 'stop', source: 'network', reason: p.canceled ? 'call-canceled' : 'call-rejected' }, res);
      }
    }
    // The stack ended the dialog (BYE, 481/408, a NOTIFY that terminated the subscription: RFC 6665 §4.2.2).
    if (p.dialog && (req.method === 'BYE' || res.status === 481 || res.status === 408 || p.dialog.stack.state === 'terminated')) {
      this.#ctx.state.removeDialog(p.dialog);
    }
    // A failed SUBSCRIBE / REFER ends the dialog an early NOTIFY had made (RFC 6665 §4.1.2.4).
    const early = !ok && !p.dialog ? this.#ctx.state.dialogs.get(drachtioDialogId(req.callId, req.from.params.tag ?? '')) : undefined;
    if (early && early.stack.state === 'terminated') this.#ctx.state.removeDialog(early);
    deliverToApp(p.app, 'network', p.transaction.destination, res, p.id, dialogId);
  }

  /**
   * §13.2.2.4: "The UAC core MUST generate an ACK request for each 2xx received from the
   * transaction layer" — a retransmitted 2xx (our ACK was lost) gets the same ACK again.
   */
  #reAck(res: SipResponse): void {
    const sd = this.#ctx.stack.findDialog(res.callId, res.from.params.tag ?? '', res.to.params.tag ?? '');
    if (sd?.lastAck && sd.lastAck.cseq.seq === res.cseq.seq) {
      this.#ctx.stack.sendStateless(sd.lastAck).catch((err: unknown) => this.#ctx.logger.debug({ err }, 'ACK resend failed'));
    }
  }

  /** A 2xx arrived for an app that is gone: hang the new dialog up at once. */
  #byeOrphan(dialogId: string): void {
    const d = this.#ctx.state.dialogs.get(dialogId);
    if (!d) return;
    this.#ctx.state.removeDialog(d);
    void this.#ctx.stack.sendAck(d.stack).then(() => {
      this.#ctx.stack.sendRequest(d.stack.createRequest('BYE'), { dialog: d.stack });
    }).catch((err: unknown) => this.#ctx.logger.warn({ err }, 'could not hang up orphaned dialog'));
  }

  async #ack(app: AppConnection, msg: SipMsg, text: AppRequest): Promise<void> {
    const d = this.#ctx.state.dialogs.get(msg.dialogId);
    if (!d) {
      app.send(formatSipFailure(msg.msgId, 'ACK for non-success responses is automatically generated by the stack'));
      return;
    }
    const { headers, contentType } = extraHeaders(text.headers, DIALOG_OWNED);
    if (text.body && !contentType && text.body.startsWith('v=0')) headers.push({ name: 'Content-Type', value: 'application/sdp' });
    try {
      const ack = await this.#ctx.stack.sendAck(d.stack, { headers, ...(text.body ? { body: text.body } : {}) });
      this.#onAckSent(d);
      const raw = ack.toString();
      const proto = (ack.topVia?.transport.toLowerCase() ?? 'udp') as TransportProtocol;
      app.send(formatSipSent(msg.msgId, metaFor('application', localFor(this.#ctx, proto), Buffer.byteLength(raw)), newTransactionId(), '', raw));
    } catch (err) {
      this.#ctx.logger.warn({ err }, 'ACK not sent');
      app.send(formatSipFailure(msg.msgId, 'Error sending ACK'));
    }
  }

  /** drachtio-srf's cancelRequest: `sip|<transaction id of the INVITE>|` + CANCEL. */
  #cancel(app: AppConnection, msg: SipMsg): void {
    const p = this.#ctx.state.clientRequests.get(msg.transactionId);
    if (!p || p.request.method !== 'INVITE') {
      app.send(formatSipFailure(msg.msgId, 'unknown transaction'));
      return;
    }
    const cancel = buildCancel(p.request);
    if (p.provisional) this.#sendCancel(p, cancel);
    else p.cancelWanted = true; // §9.1: wait for a provisional response before sending CANCEL
    const raw = cancel.toString();
    const local = localFor(this.#ctx, p.transaction.destination.protocol);
    app.send(formatSipSent(msg.msgId, metaFor('application', local, Buffer.byteLength(raw)), newTransactionId(), '', raw));
  }

  /** Cancels a pending INVITE (application request or teardown of a departed application). */
  cancelPending(p: PendingClientRequest): void {
    if (p.request.method !== 'INVITE' || p.canceled) return;
    if (p.provisional) this.#sendCancel(p);
    else p.cancelWanted = true;
  }

  #sendCancel(p: PendingClientRequest, cancel = buildCancel(p.request)): void {
    if (p.canceled) return;
    p.canceled = true;
    try {
      this.#ctx.stack.sendRequest(cancel, { destination: p.transaction.destination });
    } catch (err) {
      this.#ctx.logger.warn({ err }, 'CANCEL not sent');
    }
  }

  #isSelf(target: Endpoint): boolean {
    const local = this.#ctx.stack.localEndpoint(target.protocol, target.address);
    return !!local && local.port === target.port && (local.address === target.address ||
      (local.address === '0.0.0.0' && target.address.startsWith('127.')));
  }
}

/**
 * §9.1: "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header fields in the
 * CANCEL request MUST be identical to those in the request being cancelled, including tags. A
 * CANCEL constructed by a client MUST have only a single Via header field value matching the top
 * Via value in the request being cancelled." Route headers are copied too.
 */
export function buildCancel(invite: SipRequest): SipRequest {
  const headers: HeaderField[] = [
    { name: 'Via', value: invite.headers.getFields('via')[0] ?? '' },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: invite.headers.get('from')! },
    { name: 'To', value: invite.headers.get('to')! },
    { name: 'Call-ID', value: invite.callId },
    { name: 'CSeq', value: `${invite.cseq.seq} CANCEL` },
  ];
  for (const r of invite.headers.getAll('route')) headers.push({ name: 'Route', value: r });
  return new SipRequest({ method: 'CANCEL', uri: invite.uri, headers });
}

function header(headers: HeaderField[], ...names: string[]): string | undefined {
  return headers.find((h) => names.includes(h.name.toLowerCase()))?.value;
}

function extraHeaders(headers: HeaderField[], skip: Set<string>): { headers: HeaderField[]; contentType?: string } {
  const out: HeaderField[] = [];
  let contentType: string | undefined;
  for (const h of headers) {
    const n = h.name.toLowerCase();
    if (isServerOwnedHeader(n) || skip.has(n)) continue;
    if (n === 'content-type' || n === 'c') contentType = h.value;
    out.push({ name: canonicalHeaderName(h.name), value: h.value });
  }
  return contentType === undefined ? { headers: out } : { headers: out, contentType };
}

/** drachtio-server replaces `localhost` in From / Contact with the transport's own host:port. */
export function replaceLocalhost(value: string, sentBy: string): string {
  return value.replace(/(sips?:(?:[^@<>\s;]*@)?)localhost(?::\d+)?/gi, `$1${sentBy}`);
}

