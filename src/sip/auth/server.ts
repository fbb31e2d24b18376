/**
 * Digest server (RFC 3261 §22.1, §22.4; RFC 7616 §3.3, §3.5): challenges with a stateless,
 * signed, time-stamped nonce — `<ms timestamp hex>.<random>.<HMAC>` — so no nonce table grows;
 * a nonce older than `nonceTtlMs` is answered with a fresh challenge carrying stale=true.
 * Being stateless, it cannot detect nc replays within a nonce's lifetime (keep the TTL short).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SipRequest } from '../message/index.js';
import { formatAuthChallenge, parseAuthCredentials } from '../message/index.js';
import { digestResponse, parseAlgorithm, type DigestAlgorithm } from './digest.js';

export interface DigestServerOptions {
  realm: string;
  /** HMAC key for nonces (keep it secret, at least 16 bytes). */
  secret: string | Buffer;
  /** Nonce lifetime; older nonces get stale=true (default 5 minutes). */
  nonceTtlMs?: number;
  /** Algorithms offered in challenges, in order (default SHA-256 then MD5, RFC 7616 §3.7). */
  algorithms?: DigestAlgorithm[];
  /** Offer qop=auth (default true); false issues RFC 2069-style challenges. */
  qop?: boolean;
  /** Time source (ms). */
  now?: () => number;
}

export type DigestVerifyResult =
  | { ok: true; username: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'realm' | 'bad-nonce' | 'stale' | 'unknown-user' | 'bad-response' };

/** The password of a user, or undefined if unknown. */
export type PasswordLookup = (username: string) => string | undefined;

export class DigestServer {
  readonly realm: string;
  readonly #secret: Buffer;
  readonly #ttl: number;
  readonly #algorithms: DigestAlgorithm[];
  readonly #qop: boolean;
  readonly #now: () => number;

  constructor(o: DigestServerOptions) {
    this.realm = o.realm;
    this.#secret = Buffer.isBuffer(o.secret) ? o.secret : Buffer.from(o.secret);
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
    const mac = Buffer.from(nonce.slice(last + 1));
    const expected = Buffer.from(this.#sign(payload));
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return 'bad';
    const issued = parseInt(payload.split('.')[0] ?? '', 16);
    if (!Number.isFinite(issued)) return 'bad';
    const age = this.#now() - issued;
    return age < 0 || age > this.#ttl ? 'stale' : 'ok';
  }

  /**
   * WWW-Authenticate (401) or Proxy-Authenticate (407) header values, one per algorithm offered.
   * `stale` is set after an expired nonce (RFC 7616 §3.3: the client retries without asking the user).
   */
  challenge(options: { stale?: boolean; proxy?: boolean } = {}): { name: string; values: string[] } {
    const nonce = this.createNonce();
    const values = this.#algorithms.map((algorithm) => {
      const params: Record<string, string> = { realm: this.realm, nonce, algorithm };
      if (this.#qop) params.qop = 'auth';
      if (options.stale) params.stale = 'true';
      return formatAuthChallenge({ scheme: 'Digest', params });
    });
    return { name: options.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate', values };
  }

  /** Verifies the Authorization (or Proxy-Authorization) header of a request. */
  verify(request: SipRequest, lookup: PasswordLookup, options: { proxy?: boolean } = {}): DigestVerifyResult {
    const values = request.headers.getFields(options.proxy ? 'proxy-authorization' : 'authorization');
    let creds: Record<string, string> | undefined;
    for (const v of values) {
      try {
        const c = parseAuthCredentials(v);
        if (c.scheme.toLowerCase() === 'digest' && c.params.realm === this.realm) {
          creds = c.params;
          break;
        }
      } catch {
        return { ok: false, reason: 'malformed' };
      }
    }
    if (!creds) return { ok: false, reason: values.length ? 'realm' : 'missing' };
    const { username, nonce, uri, response } = creds;
    const algorithm = parseAlgorithm(creds.algorithm);
    if (!username || !nonce || !uri || !response || !algorithm || !this.#algorithms.includes(algorithm)) return { ok: false, reason: 'malformed' };
    const qop = creds.qop?.toLowerCase();
    if (qop !== undefined && qop !== 'auth') return { ok: false, reason: 'malformed' };
    if (qop && (!creds.nc || !creds.cnonce)) return { ok: false, reason: 'malformed' };
    const nonceState = this.checkNonce(nonce);
    if (nonceState === 'bad') return { ok: false, reason: 'bad-nonce' };
    const password = lookup(username);
    if (password === undefined) return { ok: false, reason: 'unknown-user' };
    const expected = digestResponse({ algorithm, username, realm: this.realm, password, method: request.method, uri, nonce,
      qop: qop as 'auth' | undefined, nc: creds.nc, cnonce: creds.cnonce });
    const a = Buffer.from(expected);
    const b = Buffer.from(response.toLowerCase());
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, reason: 'bad-response' };
    // Right credentials on an expired nonce: ask again with stale=true (RFC 7616 §3.3).
    if (nonceState === 'stale') return { ok: false, reason: 'stale' };
    return { ok: true, username };
  }
}

