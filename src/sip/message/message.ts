/** SipRequest / SipResponse (RFC 3261 §7) with typed views parsed on demand and cached. */
import { SipParseError } from './errors.js';
import { parseContentType, parseCSeq, parseMaxForwards, type ContentType } from './headers.js';
import { parseContact, parseNameAddr } from './name-addr.js';
import { SipHeaders } from './sip-headers.js';
import { trimLws } from './scan.js';
import type { CSeq, HeaderField, NameAddr, SipMethod, SipRequestInit, SipResponseInit, SipUri, Via } from './types.js';
import { parseUri } from './uri.js';
import { parseVia } from './via.js';

export const SIP_VERSION = 'SIP/2.0';

function toBody(body: Buffer | string | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body !== 'string') return body;
  // Not Buffer.from(): a short string lands in Node's shared 8 KiB pool, and a message kept for
  // 32 s by its transaction (RFC 6026 Accepted) would pin the whole slab — ≈ 8 KiB per call.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(body, 'utf8'));
  bytes.write(body, 'utf8');
  return bytes;
}

function toHeaders(h: SipHeaders | HeaderField[] | undefined): SipHeaders {
  if (h instanceof SipHeaders) return h;
  return new SipHeaders(h);
}

function required(headers: SipHeaders, name: string): string {
  const v = headers.get(name);
  if (v === undefined) throw new SipParseError('MISSING_HEADER', `Missing ${name}`);
  return v;
}

interface ViewCache {
  cseq?: CSeq;
  from?: NameAddr;
  to?: NameAddr;
  vias?: Via[];
  maxForwards?: number | undefined;
  contacts?: NameAddr[] | '*';
  requestUri?: SipUri;
  contentType?: ContentType | undefined;
}

/**
 * Fields and cached typed views shared by requests and responses. Views are parsed on first use and
 * dropped when the headers change; treat them as read-only snapshots (change a header with
 * `headers.set(...)`, not by editing a view).
 */
abstract class SipMessageBase {
  version: string = SIP_VERSION;
  headers: SipHeaders;
  body: Buffer;
  #cacheVersion = -1;
  #cacheHeaders: SipHeaders | undefined;
  #cache: ViewCache = {};

  constructor(headers: SipHeaders | HeaderField[] | undefined, body: Buffer | string | undefined) {
    this.headers = toHeaders(headers);
    this.body = toBody(body);
  }

  protected abstract startLine(): string;

  /** @internal */
  protected _viewCache(): ViewCache {
    return this.#views();
  }

  #views(): ViewCache {
    if (this.#cacheVersion !== this.headers.version || this.#cacheHeaders !== this.headers) {
      this.#cache = {};
      this.#cacheVersion = this.headers.version;
      this.#cacheHeaders = this.headers;
    }
    return this.#cache;
  }

  get callId(): string {
    return trimLws(required(this.headers, 'call-id'));
  }

  get cseq(): CSeq {
    const c = this.#views();
    return (c.cseq ??= parseCSeq(required(this.headers, 'cseq')));
  }

  get from(): NameAddr {
    const c = this.#views();
    return (c.from ??= parseNameAddr(required(this.headers, 'from')));
  }

  get to(): NameAddr {
    const c = this.#views();
    return (c.to ??= parseNameAddr(required(this.headers, 'to')));
  }

  /** Every Via value in order, topmost first. */
  get vias(): Via[] {
    const c = this.#views();
    if (c.vias) return c.vias;
    const fields = this.headers.getFields('via');
    if (fields.length === 0) throw new SipParseError('MISSING_HEADER', 'Missing Via');
    const out: Via[] = [];
    for (const f of fields) for (const v of parseVia(f)) out.push(v);
    return (c.vias = out);
  }

  get topVia(): Via {
    return this.vias[0]!;
  }

  /** Every Contact value in order (empty when absent), or `*` (RFC 3261 §10.2.2). */
  get contacts(): NameAddr[] | '*' {
    const c = this.#views();
    if (c.contacts) return c.contacts;
    const fields = this.headers.getFields('contact');
    if (fields.length === 1) return (c.contacts = parseContact(fields[0]!));
    const out: NameAddr[] = [];
    for (const f of fields) {
      const v = parseContact(f);
      if (v === '*') throw new SipParseError('BAD_NAME_ADDR', 'Contact * with other contacts');
      out.push(...v);
    }
    return (c.contacts = out);
  }

  /** Max-Forwards, or undefined when absent. */
  get maxForwards(): number | undefined {
    const c = this.#views();
    if ('maxForwards' in c) return c.maxForwards;
    const v = this.headers.get('max-forwards');
    return (c.maxForwards = v === undefined ? undefined : parseMaxForwards(v));
  }

  /** Content-Type, or undefined when absent. */
  get contentType(): ContentType | undefined {
    const c = this.#views();
    if ('contentType' in c) return c.contentType;
    const v = this.headers.get('content-type');
    return (c.contentType = v === undefined ? undefined : parseContentType(v));
  }

  /** @internal Seeds the typed-view cache (the parser has already parsed these while validating). */
  _seed(views: { cseq?: CSeq; from?: NameAddr; to?: NameAddr; vias?: Via[]; contacts?: NameAddr[] | '*'; requestUri?: SipUri }): void {
    const c = this.#views();
    if (views.contacts) c.contacts = views.contacts;
    if (views.requestUri) c.requestUri = views.requestUri;
    if (views.cseq) c.cseq = views.cseq;
    if (views.from) c.from = views.from;
    if (views.to) c.to = views.to;
    if (views.vias) c.vias = views.vias;
  }

  /** Serializes; Content-Length is always written and counts the body's bytes. */
  toBuffer(): Buffer {
    const head = this.startLine() + '\r\n' + this.headers.serialize(this.body.length) + '\r\n';
    if (this.body.length === 0) return Buffer.from(head, 'utf8');
    const hl = Buffer.byteLength(head, 'utf8');
    const out = Buffer.allocUnsafe(hl + this.body.length);
    out.write(head, 0, 'utf8');
    this.body.copy(out, hl);
    return out;
  }

  /** The same text as `toBuffer()` decoded, built as a string (no buffer in between: the drachtio wire carries text). */
  toString(): string {
    const head = this.startLine() + '\r\n' + this.headers.serialize(this.body.length) + '\r\n';
    return this.body.length === 0 ? head : head + this.body.toString('utf8');
  }
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request' as const;
  method: SipMethod;
  uri: string;

  constructor(init: Omit<SipRequestInit, 'headers'> & { headers?: HeaderField[] | SipHeaders; version?: string }) {
    super(init.headers, init.body);
    this.method = init.method;
    this.uri = init.uri;
    if (init.version) this.version = init.version;
  }

  /** The Request-URI parsed (cached until `uri` changes). */
  get requestUri(): SipUri {
    const c = this._viewCache();
    if (c.requestUri && this.#parsedUri === this.uri) return c.requestUri;
    this.#parsedUri = this.uri;
    return (c.requestUri = parseUri(this.uri));
  }

  #parsedUri?: string;

  /** @internal */
  override _seed(views: Parameters<SipMessageBase['_seed']>[0]): void {
    super._seed(views);
    if (views.requestUri) this.#parsedUri = this.uri;
  }

  protected startLine(): string {
    return `${this.method} ${this.uri} ${this.version}`;
  }
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response' as const;
  status: number;
  reason: string;

  constructor(init: Omit<SipResponseInit, 'headers'> & { headers?: HeaderField[] | SipHeaders; version?: string }) {
    super(init.headers, init.body);
    this.status = init.status;
    this.reason = init.reason ?? '';
    if (init.version) this.version = init.version;
  }

  protected startLine(): string {
    return `${this.version} ${this.status} ${this.reason}`;
  }
}

export type SipMessage = SipRequest | SipResponse;
