/**
 * SDES key exchange (RFC 4568): the a=crypto attribute that carries an SRTP master key and salt
 * in the SDP of the offer and the answer.
 *
 *   a=crypto:<tag> <crypto-suite> inline:<base64(key || salt)>[|<lifetime>][|<MKI>:<length>]
 *
 * The keys travel in clear text inside SIP, so they are only as secret as the signalling: the
 * gateway sends them only over TLS unless a trunk allows otherwise (docs/security.md).
 */
import { randomBytes } from 'node:crypto';
import { SrtpKeyError } from './errors.js';
import { SRTP_SUITES, isSrtpSuiteName, type SrtpSuiteName } from './suites.js';

/** One acceptable a=crypto line. */
export interface CryptoAttribute {
  tag: number;
  suite: SrtpSuiteName;
  /** base64 of the 30-byte master key || master salt. */
  key: string;
}

/**
 * Read an a=crypto line as sdp-transform splits it. Undefined when we cannot use it (RFC 4568
 * §7.1.2: the answerer picks one it supports): an unknown suite, several keys, an MKI, a session
 * parameter (UNENCRYPTED_SRTP, KDR, …), or a key of the wrong length.
 */
export function readCryptoAttribute(a: { id: number | string; suite: string; config: string; sessionConfig?: string }): CryptoAttribute | undefined {
  const tag = Number(a.id);
  if (!Number.isInteger(tag) || tag < 0 || tag > 999999999) return undefined;
  if (!isSrtpSuiteName(a.suite)) return undefined;
  if (a.sessionConfig) return undefined;
  // §9.1: key-params = key-method ":" key-info, several separated by ";" (we take exactly one).
  if (a.config.includes(';') || !a.config.startsWith('inline:')) return undefined;
  const [keySalt, ...rest] = a.config.slice('inline:'.length).split('|');
  // §6.1: the optional lifetime (decimal or 2^n) may come first; an MKI (n:len) we do not support.
  if (rest.some((p) => p.includes(':')) || rest.length > 1) return undefined;
  if (!keySalt || !/^[A-Za-z0-9+/]+={0,2}$/.test(keySalt)) return undefined;
  const bytes = Buffer.from(keySalt, 'base64');
  const suite = SRTP_SUITES[a.suite];
  if (bytes.length !== suite.keyLength + suite.saltLength) return undefined;
  return { tag, suite: a.suite, key: keySalt };
}

/** The a=crypto value as sdp-transform writes it. */
export function cryptoAttribute(c: CryptoAttribute): { id: number; suite: string; config: string } {
  return { id: c.tag, suite: c.suite, config: `inline:${c.key}` };
}

/** A fresh random master key and salt (RFC 3711 §8.2: from a cryptographically strong source). */
export function newMasterKey(suite: SrtpSuiteName): string {
  const s = SRTP_SUITES[suite];
  return randomBytes(s.keyLength + s.saltLength).toString('base64');
}

/** Split base64 key || salt into the master key and the master salt. */
export function splitMasterKey(suite: SrtpSuiteName, key: string): { masterKey: Buffer; masterSalt: Buffer } {
  const s = SRTP_SUITES[suite];
  const bytes = Buffer.from(key, 'base64');
  if (bytes.length !== s.keyLength + s.saltLength) throw new SrtpKeyError('SRTP_BAD_KEY', `${suite} needs ${s.keyLength + s.saltLength} bytes of key and salt, got ${bytes.length}`);
  return { masterKey: bytes.subarray(0, s.keyLength), masterSalt: bytes.subarray(s.keyLength) };
}
