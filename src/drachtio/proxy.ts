import { SipRequest, SipResponse, createResponse, generateBranch, parseNameAddr, parseUri, resolveUri, type IncomingAck, type IncomingCancel, type IncomingRequest, type ServerTransaction, type Endpoint } from '../sip/index.js';
import { buildCancel } from './app-requests.js';
import type { BridgeContext } from './bridge-context.js';
import type { AppConnection } from './control/app-connection.js';
import type { SipVerbMessage } from './control/control-server.js';
import { metaFor } from './sip-meta.js';
import { formatProxyDone, formatProxyProgress, formatSipFailure } from './wire/messages.js';

type ProxyMsg = Extract<SipVerbMessage, { verb: 'proxy' }>;

interface ProxyOperation {
  app: AppConnection;
  msgId: string;
  server: ServerTransaction;
  request: SipRequest;
  destinations: string[];
  next: number;
  recordRoute: boolean;
  fullResponse: boolean;
  /** The request as forwarded to the current target. */
  forwarded?: SipRequest;
  target?: Endpoint;
  provisional: boolean;
  cancelWanted: boolean;
  canceled: boolean;
  done: boolean;
}

/**
 * A transaction-stateful proxy (RFC 3261 §16) for drachtio's `proxy` verb: serial forking over the
 * destinations srf gives, optional Record-Route, every final response reported to the
 * application (`fullResponse`), then `done`. Later in-dialog requests of a proxied call that reach
 * us (ACK, BYE, re-INVITE) are forwarded by their Request-URI.
 */
export class ProxyCore {
  #ctx: BridgeContext;
  #byServer = new Map<ServerTransaction, ProxyOperation>();
  /** Call-IDs of proxied calls that established a dialog. */
  #calls = new Set<string>();

  /** Responses we made ourselves (483, 502 …): relayed without removing a Via of ours. */
  #local = new WeakSet<SipResponse>();
  /** Responses the stack made up for a timeout or a transport failure (no network response). */
  #synthetic = new WeakSet<SipResponse>();

  constructor(ctx: BridgeContext) {
    this.#ctx = ctx;
  }

  /**
   * The stack's 408 / 503 for a target that timed out or could not be reached. The application is
   * told it as it is (its Warning says why: drachtio-srf reports it as the final response); the
   * caller gets it without that Warning, which names an address of ours (#relay).
   */
  #madeUp(res: SipResponse): SipResponse {
    this.#synthetic.add(res);
    return res;
  }

  #localResponse(req: SipRequest, status: number): SipResponse {
    const res = createResponse(req, status);
    this.#local.add(res);
    return res;
  }

  start(app: AppConnection, msg: ProxyMsg): void {
    const p = this.#ctx.state.serverRequests.get(msg.transactionId);
    if (!p || p.transaction.finalSent) {
      app.send(formatSipFailure(msg.msgId, 'transaction not found'));
      return;
    }
    if (!msg.destinations.length) {
      app.send(formatSipFailure(msg.msgId, 'no destination'));
      return;
    }
    this.#ctx.state.removeServer(p);
    const op: ProxyOperation = {
      app, msgId: msg.msgId, server: p.transaction, request: p.incoming.message, destinations: msg.destinations,
      next: 0, recordRoute: msg.recordRoute, fullResponse: msg.fullResponse, provisional: false,
      cancelWanted: false, canceled: false, done: false,
    };
    // §16.6 step 3: Max-Forwards; a request that would be forwarded with 0 is answered 483 (§16.3).
    if ((op.request.maxForwards ?? 70) <= 0) {
      this.#finish(op, this.#localResponse(op.request, 483));
      return;
    }
    this.#byServer.set(op.server, op);
    void this.#tryNext(op);
  }

  async #tryNext(op: ProxyOperation): Promise<void> {
    const dest = op.destinations[op.next++]!;
    const fwd = this.#copyForForward(op.request, dest);
    if (op.recordRoute) {
      const proto = op.server.inbound.local.protocol;
      const t = proto === 'udp' ? '' : `;transport=${proto}`;
      // §16.6 step 4: our Record-Route, with lr (loose routing, RFC 3261 §19.1.1).
      fwd.headers.prepend('Record-Route', `<sip:${this.#ctx.stack.viaSentBy(proto)}${t};lr>`);
    }
    let target: Endpoint;
    try {
      target = await resolveUri(parseUri(dest));
    } catch {
      this.#onFinal(op, this.#localResponse(op.request, 502));
      return;
    }
    this.#pushVia(fwd, target);
    op.forwarded = fwd;
    op.target = target;
    op.provisional = false;
    try {
      this.#ctx.stack.sendRequest(fwd, {
        destination: target,
        onProvisional: (res) => {
          op.provisional = true;
          if (op.cancelWanted) this.#cancelDownstream(op);
          if (res.status > 100) this.#relay(op.server, res);
        },
        onFinal: (res) => this.#onFinal(op, res),
        onRetransmitted2xx: (res) => this.#relay(op.server, res),
        onTimeout: (tx) => { void tx.response.then((res) => this.#onFinal(op, this.#madeUp(res))); },
        onTransportError: (_e, tx) => { void tx.response.then((res) => this.#onFinal(op, this.#madeUp(res))); },
      });
    } catch (err) {
      this.#ctx.logger.warn({ err }, 'proxy: could not forward');
      this.#onFinal(op, this.#localResponse(op.request, 503));
    }
  }

  #onFinal(op: ProxyOperation, res: SipResponse): void {
    if (op.done) return;
    if (op.fullResponse && op.target && !this.#local.has(res)) {
      const raw = res.toString();
      op.app.send(formatProxyProgress(op.msgId, metaFor('network', op.target, Buffer.byteLength(raw)), raw));
    }
    const ok = res.status >= 200 && res.status < 300;
    // §16.7 step 5/6: on failure try the next target (serial forking) unless cancelled or a 6xx.
    if (!ok && !op.canceled && res.status < 600 && op.next < op.destinations.length) {
      void this.#tryNext(op);
      return;
    }
    if (ok && op.request.method === 'INVITE') this.#calls.add(op.request.callId);
    this.#finish(op, res);
  }

  #finish(op: ProxyOperation, res: SipResponse): void {
    op.done = true;
    this.#byServer.delete(op.server);
    this.#relay(op.server, res);
    op.app.send(formatProxyDone(op.msgId));
  }

  /** §16.7 step 9: remove our Via and send the response upstream on the server transaction. */
  #relay(server: ServerTransaction, res: SipResponse): void {
    if (this.#local.has(res)) {
      server.respond(res);
      return;
    }
    const out = new SipResponse({ status: res.status, reason: res.reason, headers: res.headers.clone(), body: res.body });
    out.headers.removeFirst('via');
    if (this.#synthetic.has(res)) out.headers.remove('warning');
    server.respond(out);
  }

  /** §16.6 step 8: our own Via on top, with a fresh branch (the stack keeps an existing top Via). */
  #pushVia(req: SipRequest, dest: Endpoint): void {
    req.headers.prepend('Via', `SIP/2.0/${dest.protocol.toUpperCase()} ${this.#ctx.stack.viaSentBy(dest.protocol, dest.address)};branch=${generateBranch()};rport`);
  }

  /** §16.6: copy, new Request-URI, our own Route removed (§16.4), Max-Forwards decremented. */
  #copyForForward(req: SipRequest, uri: string): SipRequest {
    const fwd = new SipRequest({ method: req.method, uri, headers: req.headers.clone(), body: req.body });
    fwd.headers.set('Max-Forwards', String(Math.max(0, (req.maxForwards ?? 70) - 1)));
    const first = fwd.headers.getAll('route')[0];
    if (first && this.#isOurs(first)) this.#removeFirstRoute(fwd);
    return fwd;
  }

  #isOurs(route: string): boolean {
    try {
      const u = parseNameAddr(route).uri;
      const local = this.#ctx.stack.localEndpoint('udp') ?? this.#ctx.stack.localEndpoint('tcp');
      return !!local && (u.port ?? 5060) === local.port && (u.host === local.address || u.host === 'localhost');
    } catch {
      return false;
    }
  }

  #removeFirstRoute(req: SipRequest): void {
    const routes = req.headers.getAll('route');
    req.headers.remove('route');
    for (const r of routes.slice(1)) req.headers.append('Route', r);
  }

  /** §16.10: CANCEL from upstream for a proxied INVITE. The stack already answered it 200. */
  handlesCancel(c: IncomingCancel): boolean {
    const op = this.#byServer.get(c.invite);
    if (!op) return false;
    op.canceled = true;
    if (op.provisional) this.#cancelDownstream(op);
    else op.cancelWanted = true;
    return true;
  }

  #cancelDownstream(op: ProxyOperation): void {
    if (!op.forwarded || !op.target) return;
    op.cancelWanted = false;
    try {
      this.#ctx.stack.sendRequest(buildCancel(op.forwarded), { destination: op.target });
    } catch (err) {
      this.#ctx.logger.warn({ err }, 'proxy: CANCEL not sent');
    }
  }

  /** In-dialog requests of proxied calls that reach us are forwarded statefully by Request-URI. */
  handlesInDialog(req: IncomingRequest): boolean {
    const msg = req.message;
    if (!msg.to.params.tag || !this.#calls.has(msg.callId)) return false;
    const fwd = this.#copyForForward(msg, msg.uri);
    void this.#ctx.stack.resolveDestination(fwd).then((dest) => {
      this.#pushVia(fwd, dest);
      this.#ctx.stack.sendRequest(fwd, {
        destination: dest,
        onProvisional: (res) => { if (res.status > 100) this.#relay(req.transaction, res); },
        onFinal: (res) => {
          if (msg.method === 'BYE') this.#calls.delete(msg.callId);
          this.#relay(req.transaction, res);
        },
        onTimeout: (tx) => { void tx.response.then((res) => this.#relay(req.transaction, res)); },
        onTransportError: (_e, tx) => { void tx.response.then((res) => this.#relay(req.transaction, res)); },
      });
    }).catch(() => req.transaction.respond(createResponse(msg, 502)));
    return true;
  }

  /** §16.11-style stateless forwarding of the end-to-end ACK for a proxied 2xx. */
  forwardAck(ack: IncomingAck): void {
    const msg = ack.message;
    if (!this.#calls.has(msg.callId)) return;
    const fwd = this.#copyForForward(msg, msg.uri);
    void this.#ctx.stack.resolveDestination(fwd).then((dest) => {
      this.#pushVia(fwd, dest);
      return this.#ctx.stack.sendStateless(fwd, dest);
    }).catch((err: unknown) => this.#ctx.logger.debug({ err }, 'proxy: ACK not forwarded'));
  }

  /** An application went away: its proxy operations continue (the stack owns them); nothing to do. */
  get size(): number {
    return this.#byServer.size + this.#calls.size;
  }
}
