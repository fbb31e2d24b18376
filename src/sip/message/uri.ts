/**
 * SIP/SIPS URIs (RFC 3261 §19.1, grammar §25.1) with IPv6 references (RFC 5118); `tel:` and any
 * other scheme are kept opaque (RFC 3261 §19.1.1 allows absoluteURI in the Request-URI).
 */
import { isIPv6 } from 'node:net';
import { SipParseError, type SipParseErrorCode } from './errors.js';
import type { Params, SipUri } from './types.js';

// unreserved / reserved / escaped characters allowed anywhere in a URI (RFC 3261 §25.1, RFC 3986 §2)
const URI_CHAR = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*\'();/?:@&=+$,%[]#') URI_CHAR[c.charCodeAt(0)] = 1;
/** Characters of a hostname or IPv4 address. */
export const HOST_CHAR = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._') HOST_CHAR[c.charCodeAt(0)] = 1;

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** True when `s` contains only URI characters and well-formed %HH escapes. */
function validUriChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || URI_CHAR[c] !== 1) return false;
    if (c === 37 /* % */ && !(isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2)))) return false;
  }
  return true;
}

/** Validates a host (hostname, IPv4address or IPv6reference) and returns it unchanged. */
export function checkHost(host: string, code: SipParseErrorCode = 'BAD_URI'): string {
  if (host.length === 0) throw new SipParseError(code, 'Empty host');
  if (host.charCodeAt(0) === 91 /* [ */) {
    // RFC 5118 §4.1/§4.10: IPv6reference = "[" IPv6address "]" (a third colon in "::" is invalid).
    if (host.charCodeAt(host.length - 1) !== 93 || !isIPv6(host.slice(1, -1))) throw new SipParseError(code, 'Bad IPv6 reference');
    return host;
  }
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c >= 128 || HOST_CHAR[c] !== 1) throw new SipParseError(code, 'Bad host');
  }
  return host;
}

export function parsePort(s: string, code: SipParseErrorCode = 'BAD_URI'): number {
  if (s.length === 0 || s.length > 5) throw new SipParseError(code, 'Bad port');
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) throw new SipParseError(code, 'Bad port');
    n = n * 10 + (c - 48);
  }
  if (n > 65535) throw new SipParseError(code, 'Bad port');
  return n;
}

/** Splits `host[:port]` where host may be an IPv6 reference. */
export function splitHostPort(s: string, code: SipParseErrorCode): { host: string; port?: number } {
  let hostEnd: number;
  if (s.charCodeAt(0) === 91) {
    hostEnd = s.indexOf(']');
    if (hostEnd < 0) throw new SipParseError(code, 'Bad IPv6 reference');
    hostEnd++;
  } else {
    hostEnd = s.indexOf(':');
    if (hostEnd < 0) hostEnd = s.length;
  }
  const host = checkHost(s.slice(0, hostEnd), code);
  if (hostEnd === s.length) return { host };
  if (s.charCodeAt(hostEnd) !== 58) throw new SipParseError(code, 'Bad host');
  return { host, port: parsePort(s.slice(hostEnd + 1), code) };
}

/** Lower-cases only when needed (most parameter names already are). */
function lower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.toLowerCase();
  }
  return s;
}

function parseUriParams(s: string, out: Params): void {
  let i = 0;
  while (i < s.length) {
    let end = s.indexOf(';', i);
    if (end < 0) end = s.length;
    const p = s.slice(i, end);
    if (p.length === 0) throw new SipParseError('BAD_URI', 'Empty URI parameter');
    const eq = p.indexOf('=');
    if (eq === 0) throw new SipParseError('BAD_URI', 'Empty URI parameter name');
    if (eq < 0) out[lower(p)] = null;
    else out[lower(p.slice(0, eq))] = p.slice(eq + 1);
    i = end + 1;
  }
}

/**
 * Parses a URI. For `sip:`/`sips:` the user, password, host, port, `;params` and `?headers` are
 * split out (values stay %-escaped as written); every other scheme keeps its text in `opaque`.
 * Throws SipParseError('BAD_URI').
 */
export function parseUri(s: string): SipUri {
  let colon: number;
  let scheme: string;
  if (s.startsWith('sip:')) { colon = 3; scheme = 'sip'; } else if (s.startsWith('sips:')) { colon = 4; scheme = 'sips'; } else {
    colon = s.indexOf(':');
    if (colon <= 0) throw new SipParseError('BAD_URI', 'Missing URI scheme');
    scheme = s.slice(0, colon).toLowerCase();
    for (let i = 0; i < scheme.length; i++) {
      const c = scheme.charCodeAt(i);
      const alpha = c >= 97 && c <= 122;
      if (!(alpha || (i > 0 && ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)))) {
        throw new SipParseError('BAD_URI', 'Bad URI scheme');
      }
    }
  }
  const rest = s.slice(colon + 1);
  if (!validUriChars(rest) || rest.length === 0) throw new SipParseError('BAD_URI', 'Bad URI characters');
  if (scheme !== 'sip' && scheme !== 'sips') {
    return { scheme, host: '', params: {}, headers: {}, opaque: rest };
  }
  const uri: SipUri = { scheme, host: '', params: {}, headers: {} };
  let hostStart = 0;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const pc = userinfo.indexOf(':');
    uri.user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    if (pc >= 0) uri.password = userinfo.slice(pc + 1);
    if (uri.user.length === 0) throw new SipParseError('BAD_URI', 'Empty user');
    hostStart = at + 1;
  }
  let q = rest.indexOf('?', hostStart);
  if (q < 0) q = rest.length;
  // the host of an IPv6 reference contains ':' but never ';'
  let semi = rest.indexOf(';', hostStart);
  if (semi < 0 || semi > q) semi = q;
  const hp = splitHostPort(rest.slice(hostStart, semi), 'BAD_URI');
  uri.host = hp.host;
  if (hp.port !== undefined) uri.port = hp.port;
  if (semi < q) parseUriParams(rest.slice(semi + 1, q), uri.params);
  if (q < rest.length) {
    for (const h of rest.slice(q + 1).split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw new SipParseError('BAD_URI', 'Bad URI header');
      uri.headers[h.slice(0, eq)] = h.slice(eq + 1);
    }
  }
  return uri;
}

/** Serializes a URI parsed by parseUri (or built by hand). */
export function formatUri(u: SipUri): string {
  if (u.opaque !== undefined) return `${u.scheme}:${u.opaque}`;
  let out = u.scheme + ':';
  if (u.user !== undefined) {
    out += u.user;
    if (u.password !== undefined) out += ':' + u.password;
    out += '@';
  }
  out += u.host;
  if (u.port !== undefined) out += ':' + u.port;
  for (const k in u.params) {
    const v = u.params[k];
    out += v === null || v === undefined ? `;${k}` : `;${k}=${v}`;
  }
  let first = true;
  for (const k in u.headers) {
    out += (first ? '?' : '&') + k + '=' + u.headers[k];
    first = false;
  }
  return out;
}
