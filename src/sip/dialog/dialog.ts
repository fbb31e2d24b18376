/**
 * Dialog state (RFC 3261 §12): id, route set, CSeq counters, remote target, and construction of
 * in-dialog requests (§12.2.1.1, loose and strict routing).
 */
import type { SipRequest, SipResponse } from '../message/index.js';
import { SipRequest as SipRequestClass, parseNameAddr, parseUri, formatUri } from '../message/index.js';
import type { HeaderField } from '../message/types.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';
export type DialogRole = 'uac' | 'uas';
/**
 * The request that created the dialog: an INVITE (invite usage) or a SUBSCRIBE or REFER (a
 * subscription usage, RFC 6665 §4.1.2.4 / §4.2.1, RFC 3515: REFER's implicit subscription).
 */
export type DialogUsage = 'INVITE' | 'SUBSCRIBE' | 'REFER';

/** Methods whose 2xx (out of any dialog) creates a dialog. */
export function createsDialog(method: string): method is DialogUsage {
  return method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER';
}

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}

/** The URI inside a name-addr (`<sip:x;lr>` → `sip:x;lr`), or the addr-spec itself. */
function uriOf(value: string): string {
  return formatUri(parseNameAddr(value).uri);
}

function isLooseRoute(route: string): boolean {
  const uri = parseNameAddr(route).uri;
  return Object.prototype.hasOwnProperty.call(uri.params, 'lr');
}

function usageOf(method: string): DialogUsage {
  return createsDialog(method) ? method : 'INVITE';
}

export interface InDialogRequestOptions {
  headers?: HeaderField[];
  body?: Buffer | string;
  /** CSeq number to use instead of the next local one (ACK for 2xx, §13.2.2.4). */
  cseq?: number;
}

export class Dialog {
  readonly role: DialogRole;
  readonly usage: DialogUsage;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** From (UAC) / To (UAS) header value of the local side, with our tag. */
  readonly localHeader: string;
  /** The other side's header value, with its tag. */
  readonly remoteHeader: string;
  /** Route set in the order requests carry it (§12.1.1: UAS as in Record-Route; §12.1.2: UAC reversed). */
  routeSet: string[];
  /** Remote target URI (from Contact; refreshed by target refresh requests, §12.2). */
  remoteTarget: string;
  /** Our Contact value (name-addr). */
  localContact: string;
  /** Last CSeq number we sent. */
  localSeq: number;
  /** Highest CSeq number received from the peer, or undefined before the first request (UAC side). */
  remoteSeq: number | undefined;
  /** CSeq number of the INVITE that created the dialog (the ACK for 2xx reuses it). */
  inviteSeq: number;
  secure: boolean;
  /**
   * UAC: the host name the dialog's first request was sent to (its next hop, when a name). A
   * later request whose next hop is an IP address (the remote target from the peer's Contact,
   * a Record-Route with an address) is sent expecting this name in the TLS server's certificate:
   * the peer proved that name when the dialog was set up, and it gave us the address over that
   * connection (docs/security.md).
   */
  readonly peerHost: string | undefined;
  #state: DialogState;
  /** §14.2 glare bookkeeping: an INVITE we sent has no final response yet. */
  localInvitePending = false;
  /** §14.2: an INVITE we received has no final response yet. */
  remoteInvitePending = false;
  /** The ACK for the current 2xx (re-sent on 2xx retransmissions, §13.2.2.4). */
  lastAck: SipRequest | undefined;
  /** UAC: the last in-order reliable provisional received, for the INVITE with this CSeq (RFC 3262 §4). */
  reliableReceived: { cseq: number; rseq: number } | undefined;

  private constructor(init: {
    role: DialogRole; usage: DialogUsage; callId: string; localTag: string; remoteTag: string; localHeader: string; remoteHeader: string;
    routeSet: string[]; remoteTarget: string; localContact: string; localSeq: number; remoteSeq: number | undefined;
    inviteSeq: number; secure: boolean; state: DialogState; peerHost?: string | undefined;
  }) {
    this.role = init.role;
    this.usage = init.usage;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localHeader = init.localHeader;
    this.remoteHeader = init.remoteHeader;
    this.routeSet = init.routeSet;
    this.remoteTarget = init.remoteTarget;
    this.localContact = init.localContact;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.inviteSeq = init.inviteSeq;
    this.secure = init.secure;
    this.peerHost = init.peerHost;
    this.#state = init.state;
  }

  /** §12.1.1: the UAS side, from the request and the (1xx with tag or 2xx) response we send. */
  static fromUas(request: SipRequest, response: SipResponse): Dialog {
    const contact = request.headers.getAll('contact')[0];
    return new Dialog({
      role: 'uas',
      usage: usageOf(request.method),
      callId: request.callId,
      localTag: response.to.params.tag ?? '',
      remoteTag: request.from.params.tag ?? '',
      localHeader: response.headers.get('to')!,
      remoteHeader: request.headers.get('from')!,
      routeSet: request.headers.getAll('record-route'),
      remoteTarget: contact ? uriOf(contact) : request.uri,
      localContact: response.headers.getAll('contact')[0] ?? '',
      localSeq: 0,
      remoteSeq: request.cseq.seq,
      inviteSeq: request.cseq.seq,
      secure: request.uri.startsWith('sips:'),
      state: response.status >= 200 ? 'confirmed' : 'early',
    });
  }

  /** §12.1.2: the UAC side, from our request and the response (1xx with tag or 2xx) that arrived; `peerHost`: the name the request was sent to. */
  static fromUac(request: SipRequest, response: SipResponse, peerHost?: string): Dialog {
    const contact = response.headers.getAll('contact')[0];
    return new Dialog({
      role: 'uac',
      usage: usageOf(request.method),
      callId: request.callId,
      localTag: request.from.params.tag ?? '',
      remoteTag: response.to.params.tag ?? '',
      localHeader: request.headers.get('from')!,
      remoteHeader: response.headers.get('to')!,
      routeSet: response.headers.getAll('record-route').reverse(),
      remoteTarget: contact ? uriOf(contact) : request.uri,
      localContact: request.headers.getAll('contact')[0] ?? '',
      localSeq: request.cseq.seq,
      remoteSeq: undefined,
      inviteSeq: request.cseq.seq,
      secure: request.uri.startsWith('sips:'),
      state: response.status >= 200 ? 'confirmed' : 'early',
      peerHost,
    });
  }

  /**
   * RFC 6665 §4.1.2.4: "Due to the potential for out-of-order messages, packet loss, and forking,
   * the subscriber MUST be prepared to receive NOTIFY requests before the SUBSCRIBE transaction
   * has completed" — such a NOTIFY creates the subscriber's dialog, as a request creates the
   * UAS side's (§12.1.1: route set from its Record-Route, remote target from its Contact).
   */
  static fromNotify(subscribe: SipRequest, notify: SipRequest): Dialog {
    const contact = notify.headers.getAll('contact')[0];
    return new Dialog({
      role: 'uac',
      usage: usageOf(subscribe.method),
      callId: subscribe.callId,
      localTag: subscribe.from.params.tag ?? '',
      remoteTag: notify.from.params.tag ?? '',
      localHeader: subscribe.headers.get('from')!,
      remoteHeader: notify.headers.get('from')!,
      routeSet: notify.headers.getAll('record-route'),
      remoteTarget: contact ? uriOf(contact) : subscribe.uri,
      localContact: subscribe.headers.getAll('contact')[0] ?? '',
      localSeq: subscribe.cseq.seq,
      remoteSeq: notify.cseq.seq,
      inviteSeq: subscribe.cseq.seq,
      secure: subscribe.uri.startsWith('sips:'),
      state: 'confirmed',
    });
  }

  get state(): DialogState {
    return this.#state;
  }

  get id(): DialogId {
    return { callId: this.callId, localTag: this.localTag, remoteTag: this.remoteTag };
  }

  get key(): string {
    return dialogKey(this.callId, this.localTag, this.remoteTag);
  }

  confirm(): void {
    if (this.#state === 'early') this.#state = 'confirmed';
  }

  terminate(): void {
    this.#state = 'terminated';
  }

  /** §12.2.1.2 / §12.2.2: a target refresh (re-INVITE, UPDATE, or their 2xx) replaces the remote target with its Contact. */
  refreshTarget(message: SipRequest | SipResponse): void {
    const contact = message.headers.getAll('contact')[0];
    if (contact) this.remoteTarget = uriOf(contact);
  }

  /**
   * §12.2.1.1: builds a request within the dialog. With an empty route set or a loose-routing
   * first route, the Request-URI is the remote target and the Route set is copied; with a strict
   * router first, the Request-URI is that route and the remote target goes last in Route.
   * The top Via is added when the request is sent.
   */
  createRequest(method: string, options: InDialogRequestOptions = {}): SipRequest {
    let uri = this.remoteTarget;
    let routes = [...this.routeSet];
    if (routes.length > 0 && !isLooseRoute(routes[0]!)) {
      const first = parseUri(uriOf(routes[0]!));
      // "the Request-URI … MUST be the first URI of the route set with any parameters not allowed in a Request-URI stripped"
      delete first.params.method;
      delete first.params.ttl;
      delete first.params.maddr;
      uri = formatUri({ ...first, headers: {} });
      routes = [...routes.slice(1), `<${this.remoteTarget}>`];
    }
    let seq: number;
    if (options.cseq !== undefined) seq = options.cseq;
    else if (method === 'ACK' || method === 'CANCEL') seq = this.localSeq;
    else seq = ++this.localSeq;
    const headers: HeaderField[] = [
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: this.localHeader },
      { name: 'To', value: this.remoteHeader },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${seq} ${method}` },
    ];
    for (const r of routes) headers.push({ name: 'Route', value: r });
    if (this.localContact && method !== 'ACK' && method !== 'BYE' && method !== 'CANCEL') headers.push({ name: 'Contact', value: this.localContact });
    if (options.headers) headers.push(...options.headers);
    return new SipRequestClass({ method, uri, headers, body: options.body ?? Buffer.alloc(0) });
  }
}
