/**
 * HTTP Digest computation for SIP (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 7616 §3.4.1): MD5 and
 * SHA-256, their `-sess` variants, qop=auth and the RFC 2069 no-qop form.
 */
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export const SUPPORTED_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'];

/** Parses an `algorithm` parameter (case-insensitive; absent means MD5, RFC 7616 §3.3). */
export function parseAlgorithm(value: string | undefined): DigestAlgorithm | undefined {
  if (value === undefined) return 'MD5';
  return SUPPORTED_ALGORITHMS.find((a) => a.toLowerCase() === value.toLowerCase());
}

function hash(algorithm: DigestAlgorithm, data: string): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5').update(data, 'utf8').digest('hex');
}

export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  /** The digest-uri (the Request-URI as sent). */
  uri: string;
  nonce: string;
  /** 'auth' or undefined (RFC 2069 compatibility: no cnonce / nc). */
  qop?: 'auth' | undefined;
  /** 8 hex digits, e.g. 00000001. Required with qop. */
  nc?: string | undefined;
  cnonce?: string | undefined;
}

/** H(A1) per RFC 7616 §3.4.2 (the `-sess` form folds in nonce and cnonce). */
export function ha1(i: Pick<DigestInput, 'algorithm' | 'username' | 'realm' | 'password' | 'nonce' | 'cnonce'>): string {
  const base = hash(i.algorithm, `${i.username}:${i.realm}:${i.password}`);
  return i.algorithm.endsWith('-sess') ? hash(i.algorithm, `${base}:${i.nonce}:${i.cnonce ?? ''}`) : base;
}

/** The request-digest (`response` parameter) from an already computed H(A1). */
export function digestResponseFromHa1(algorithm: DigestAlgorithm, ha1Hex: string, i: Pick<DigestInput, 'method' | 'uri' | 'nonce' | 'qop' | 'nc' | 'cnonce'>): string {
  // RFC 7616 §3.4.3: A2 = Method ":" request-uri for qop=auth (and for no qop).
  const ha2 = hash(algorithm, `${i.method}:${i.uri}`);
  if (i.qop) return hash(algorithm, `${ha1Hex}:${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${i.qop}:${ha2}`);
  return hash(algorithm, `${ha1Hex}:${i.nonce}:${ha2}`);
}

export function digestResponse(i: DigestInput): string {
  return digestResponseFromHa1(i.algorithm, ha1(i), i);
}
