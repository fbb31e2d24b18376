/**
 * Digest server (RFC 3261 §22.1, §22.4; RFC 7616 §3.3, §3.5), MD5 and SHA-256 (and their -sess
 * forms): challenges with a stateless, signed, time-stamped nonce — `<ms timestamp hex>.<random>.<HMAC>`
 * — so no nonce table grows with traffic. A genuine nonce older than `nonceTtlMs` with correct
 * credentials is answered AUTH_STALE, and the next challenge carries stale=true (RFC 7616 §3.3: the
 * client retries without asking the user). Being stateless, it cannot detect nc replays within a
 * nonce's lifetime (keep the TTL short).
 *
 * Both the SIP stack (src/sip/auth re-exports it) and the gateway (which sees requests only through
 * drachtio-srf) use this class; it works on header values, so it needs neither layer's message types.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { digestResponse, parseAlgorithm, type DigestAlgorithm } from './hash.js';
import { formatDigestChallenge, parseDigestParams } from './params.js';

/** The password of a user, or undefined if unknown. */
export type PasswordLookup = (username: string) => string | undefined;

export interface DigestServerOptions {
  realm: string;
  /** Whose password is what. */
  lookup: PasswordLookup;
  /** HMAC key for nonces (at least 16 bytes; default random per instance). */
  secret?: string | Buffer;
  /** Nonce lifetime; older nonces are stale (default 5 minutes). */
  nonceTtlMs?: number;
  /** Algorithms offered in challenges, in order (default SHA-256 then MD5, RFC 7616 §3.7). */
  algorithms?: DigestAlgorithm[];
  /** Offer qop=auth (default true); false issues RFC 2069-style challenges. */
  qop?: boolean;
  /** Time source (ms). */
  now?: () => number;
}

/** Why credentials were refused; stable codes that logs and callers switch on. */
export type DigestFailure =
  | 'AUTH_MISSING' | 'AUTH_MALFORMED' | 'AUTH_WRONG_REALM' | 'AUTH_BAD_NONCE' | 'AUTH_STALE' | 'AUTH_WRONG_USER' | 'AUTH_WRONG_RESPONSE';

export type DigestVerdict = { ok: true; username: string } | { ok: false; code: DigestFailure };

export interface DigestChallenge {
  /** WWW-Authenticate (401) or Proxy-Authenticate (407). */
  name: 'WWW-Authenticate' | 'Proxy-Authenticate';
  /** One header value per algorithm offered. */
  values: string[];
}

export class DigestServer {
  readonly realm: string;
  readonly #lookup: PasswordLookup;
  readonly #secret: Buffer;
  readonly #ttl: number;
  readonly #algorithms: DigestAlgorithm[];
  readonly #qop: boolean;
  readonly #now: () => number;

  constructor(o: DigestServerOptions) {
    this.realm = o.realm;
    this.#lookup = o.lookup;
    this.#secret = o.secret === undefined ? randomBytes(32) : Buffer.isBuffer(o.secret) ? o.secret : Buffer.from(o.secret);
    this.#ttl = o.nonceTtlMs ?? 300_000;
    this.#algorithms = o.algorithms ?? ['SHA-256', 'MD5'];
    this.#qop = o.qop ?? true;
    this.#now = o.now ?? Date.now;
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#secret).update(`${payload}:${this.realm}`).digest('base64url').slice(0, 22);
  }

  /** A fresh nonce: timestamp, randomness and an HMAC over both. */
  createNonce(): string {
    const payload = `${this.#now().toString(16)}.${randomBytes(9).toString('base64url')}`;
    return `${payload}.${this.#sign(payload)}`;
  }

  /** 'ok', 'stale' (signed by us but expired) or 'bad' (not ours). */
  checkNonce(nonce: string): 'ok' | 'stale' | 'bad' {
    const last = nonce.lastIndexOf('.');
    if (last < 0) return 'bad';
    const payload = nonce.slice(0, last);
    if (!equal(nonce.slice(last + 1), this.#sign(payload))) return 'bad';
    const issued = parseInt(payload.split('.')[0] ?? '', 16);
    if (!Number.isFinite(issued)) return 'bad';
    const age = this.#now() - issued;
    return age < 0 || age > this.#ttl ? 'stale' : 'ok';
  }

  /** The challenge header, one value per algorithm offered; `stale` after an AUTH_STALE verdict. */
  challenge(options: { stale?: boolean; proxy?: boolean } = {}): DigestChallenge {
    const nonce = this.createNonce();
    const values = this.#algorithms.map((algorithm) => {
      const params: Record<string, string> = { realm: this.realm, nonce, algorithm };
      if (this.#qop) params.qop = 'auth';
      if (options.stale) params.stale = 'true';
      return formatDigestChallenge(params);
    });
    return { name: options.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate', values };
  }

  /**
   * Checks the Authorization (or Proxy-Authorization) header values of a request with this method.
   * Credentials for another realm are passed over (RFC 3261 §22.4: a request may carry several).
   */
  verify(method: string, authorization: string | readonly string[] | undefined): DigestVerdict {
    const values = authorization === undefined ? [] : typeof authorization === 'string' ? [authorization] : authorization;
    let creds: Record<string, string> | undefined;
    for (const v of values) {
      const c = parseDigestParams(v);
      if (!c) return { ok: false, code: 'AUTH_MALFORMED' };
      if (c.realm === undefined || c.realm === this.realm) {
        creds = c;
        break;
      }
    }
    if (!creds) return { ok: false, code: values.length ? 'AUTH_WRONG_REALM' : 'AUTH_MISSING' };
    const { username, nonce, uri, response } = creds;
    const algorithm = parseAlgorithm(creds.algorithm);
    if (!username || !nonce || !uri || !response || !algorithm || !this.#algorithms.includes(algorithm)) return { ok: false, code: 'AUTH_MALFORMED' };
    const qop = creds.qop?.toLowerCase();
    if (qop !== undefined && qop !== 'auth') return { ok: false, code: 'AUTH_MALFORMED' };
    if (qop && (!creds.nc || !creds.cnonce)) return { ok: false, code: 'AUTH_MALFORMED' };
    const nonceState = this.checkNonce(nonce);
    if (nonceState === 'bad') return { ok: false, code: 'AUTH_BAD_NONCE' };
    const password = this.#lookup(username);
    if (password === undefined) return { ok: false, code: 'AUTH_WRONG_USER' };
    const expected = digestResponse({ algorithm, username, realm: this.realm, password, method, uri, nonce,
      qop: qop as 'auth' | undefined, nc: creds.nc, cnonce: creds.cnonce });
    if (!equal(response.toLowerCase(), expected)) return { ok: false, code: 'AUTH_WRONG_RESPONSE' };
    // Right credentials on an expired nonce: ask again with stale=true (RFC 7616 §3.3).
    if (nonceState === 'stale') return { ok: false, code: 'AUTH_STALE' };
    return { ok: true, username };
  }
}

function equal(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
