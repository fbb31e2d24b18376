/**
 * Digest authentication, server side (RFC 7616 / RFC 2617 as used by SIP, RFC 3261 §22.4).
 * Nonces are stateless: `<expiry ms base36>.<HMAC(secret, expiry)>`, so no table grows with
 * traffic. An expired but otherwise genuine nonce with correct credentials earns a fresh
 * challenge with stale=true (RFC 7616 §3.3), telling the client to retry without asking the user.
 * MD5 with qop=auth, as carriers use it.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface DigestCredentials {
  username: string;
  password: string;
  realm: string;
}

export interface DigestServerOptions extends DigestCredentials {
  /** Nonce lifetime (default 5 minutes). */
  nonceTtlMs?: number;
  now?: () => number;
  /** HMAC key for nonces (default random per instance). */
  secret?: Buffer;
}

export type DigestVerdict =
  | { ok: true; username: string }
  | { ok: false; code: 'AUTH_MISSING' | 'AUTH_MALFORMED' | 'AUTH_WRONG_USER' | 'AUTH_BAD_NONCE' | 'AUTH_STALE' | 'AUTH_WRONG_RESPONSE' };

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Parses `Digest k=v, k="v"` (RFC 7616 §3.4 auth-param list). */
export function parseDigestParams(header: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/g;
  let hit: RegExpExecArray | null;
  while ((hit = re.exec(m[1]!)) !== null) out[hit[1]!.toLowerCase()] = hit[2] !== undefined ? hit[2].replace(/\\(.)/g, '$1') : hit[3]!;
  return out;
}

export class DigestServer {
  readonly realm: string;
  readonly #username: string;
  readonly #ha1: string;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #secret: Buffer;

  constructor(options: DigestServerOptions) {
    this.realm = options.realm;
    this.#username = options.username;
    this.#ha1 = md5(`${options.username}:${options.realm}:${options.password}`);
    this.#ttl = options.nonceTtlMs ?? 300_000;
    this.#now = options.now ?? Date.now;
    this.#secret = options.secret ?? randomBytes(32);
  }

  /** WWW-Authenticate value for a 401 (RFC 3261 §22.4; stale=true after an expired nonce). */
  challenge(stale = false): string {
    const expiry = (this.#now() + this.#ttl).toString(36);
    const nonce = `${expiry}.${this.#mac(expiry)}`;
    return `Digest realm="${this.realm}", nonce="${nonce}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
  }

  /** Checks an Authorization header of a request with this method. */
  verify(method: string, authorization: string | undefined): DigestVerdict {
    if (!authorization) return { ok: false, code: 'AUTH_MISSING' };
    const p = parseDigestParams(authorization);
    if (!p || !p.username || !p.nonce || !p.uri || !p.response) return { ok: false, code: 'AUTH_MALFORMED' };
    if (p.username !== this.#username || (p.realm !== undefined && p.realm !== this.realm)) return { ok: false, code: 'AUTH_WRONG_USER' };
    const [expiry, mac] = p.nonce.split('.');
    if (!expiry || !mac || !this.#equal(mac, this.#mac(expiry))) return { ok: false, code: 'AUTH_BAD_NONCE' };
    const ha2 = md5(`${method}:${p.uri}`);
    const expected = p.qop
      ? md5(`${this.#ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop}:${ha2}`)
      : md5(`${this.#ha1}:${p.nonce}:${ha2}`);
    if (!this.#equal(p.response.toLowerCase(), expected)) return { ok: false, code: 'AUTH_WRONG_RESPONSE' };
    if (parseInt(expiry, 36) < this.#now()) return { ok: false, code: 'AUTH_STALE' };
    return { ok: true, username: p.username };
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#secret).update(text).digest('base64url').slice(0, 22);
  }

  #equal(a: string, b: string): boolean {
    const ba = Buffer.from(a);
    const bb = Buffer.from(b);
    return ba.length === bb.length && timingSafeEqual(ba, bb);
  }
}
