/**
 * Digest client (RFC 3261 §22.2–22.3): given a 401/407 and credentials, build the
 * Authorization / Proxy-Authorization header, counting nonce uses (nc) per nonce.
 */
import { randomBytes } from 'node:crypto';
import type { HeaderField, SipRequest, SipResponse } from '../message/index.js';
import { formatAuthCredentials, parseAuthChallenge } from '../message/index.js';
import { digestResponse, parseAlgorithm, type DigestAlgorithm } from '../../digest/index.js';
import { TrunkgateError } from '../../errors.js';

export interface DigestCredentials {
  username: string;
  password: string;
  /** Only answer challenges of this realm (default: any). */
  realm?: string;
}

export type AuthErrorCode = 'AUTH_NO_CHALLENGE' | 'AUTH_UNSUPPORTED' | 'AUTH_REALM_MISMATCH';

export class AuthError extends TrunkgateError<AuthErrorCode> {
  constructor(code: AuthErrorCode, message: string) {
    super(code, message);
  }
}

export interface ChallengeParams {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  qop?: 'auth';
  opaque?: string;
  stale: boolean;
}

/** Reads the first usable Digest challenge of a header value (prefers SHA-256 when several are offered by the caller). */
export function readChallenge(value: string): ChallengeParams {
  const c = parseAuthChallenge(value);
  if (c.scheme.toLowerCase() !== 'digest') throw new AuthError('AUTH_UNSUPPORTED', `scheme ${c.scheme}`);
  const algorithm = parseAlgorithm(c.params.algorithm);
  if (!algorithm) throw new AuthError('AUTH_UNSUPPORTED', `algorithm ${c.params.algorithm}`);
  const qops = (c.params.qop ?? '').split(',').map((q) => q.trim().toLowerCase()).filter(Boolean);
  if (qops.length > 0 && !qops.includes('auth')) throw new AuthError('AUTH_UNSUPPORTED', `qop ${c.params.qop}`);
  const out: ChallengeParams = { realm: c.params.realm ?? '', nonce: c.params.nonce ?? '', algorithm, stale: (c.params.stale ?? '').toLowerCase() === 'true' };
  if (qops.includes('auth')) out.qop = 'auth';
  if (c.params.opaque !== undefined) out.opaque = c.params.opaque;
  return out;
}

/** Builds credentials for one challenge (pure: pass cnonce and nc to reproduce published vectors). */
export function buildCredentials(args: {
  challenge: ChallengeParams; username: string; password: string; method: string; uri: string; cnonce?: string; nc?: number;
}): string {
  const { challenge: ch } = args;
  const nc = ch.qop ? (args.nc ?? 1).toString(16).padStart(8, '0') : undefined;
  const cnonce = ch.qop || ch.algorithm.endsWith('-sess') ? args.cnonce ?? randomBytes(12).toString('hex') : undefined;
  const response = digestResponse({ algorithm: ch.algorithm, username: args.username, realm: ch.realm, password: args.password,
    method: args.method, uri: args.uri, nonce: ch.nonce, qop: ch.qop, nc, cnonce });
  const params: Record<string, string> = { username: args.username, realm: ch.realm, nonce: ch.nonce, uri: args.uri, response, algorithm: ch.algorithm };
  if (cnonce !== undefined) params.cnonce = cnonce;
  if (ch.opaque !== undefined) params.opaque = ch.opaque;
  if (ch.qop) {
    params.qop = ch.qop;
    params.nc = nc!;
  }
  return formatAuthCredentials({ scheme: 'Digest', params });
}

/** Answers challenges for one set of credentials, remembering nonce counts (RFC 7616 §3.4: nc increments per use of a nonce). */
export class DigestClient {
  readonly #creds: DigestCredentials;
  readonly #nc = new Map<string, number>();

  constructor(credentials: DigestCredentials) {
    this.#creds = credentials;
  }

  /**
   * The header to add to the retried request (with a new CSeq, §22.2) for a 401 or 407.
   * Among several challenges, SHA-256 is preferred over MD5 (RFC 7616 §3.7).
   */
  authorize(challengeResponse: SipResponse, request: SipRequest): HeaderField {
    const proxy = challengeResponse.status === 407;
    const values = challengeResponse.headers.getFields(proxy ? 'proxy-authenticate' : 'www-authenticate');
    const usable: ChallengeParams[] = [];
    for (const v of values) {
      try {
        const ch = readChallenge(v);
        if (!this.#creds.realm || this.#creds.realm === ch.realm) usable.push(ch);
      } catch { /* skip challenges we cannot answer */ }
    }
    if (values.length === 0) throw new AuthError('AUTH_NO_CHALLENGE', `no challenge in ${challengeResponse.status}`);
    if (usable.length === 0) throw new AuthError(this.#creds.realm ? 'AUTH_REALM_MISMATCH' : 'AUTH_UNSUPPORTED', 'no usable challenge');
    const challenge = usable.find((c) => c.algorithm.startsWith('SHA-256')) ?? usable[0]!;
    const nc = (this.#nc.get(challenge.nonce) ?? 0) + 1;
    this.#nc.set(challenge.nonce, nc);
    const value = buildCredentials({ challenge, username: this.#creds.username, password: this.#creds.password, method: request.method, uri: request.uri, nc });
    return { name: proxy ? 'Proxy-Authorization' : 'Authorization', value };
  }
}
