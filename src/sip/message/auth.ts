/**
 * WWW-Authenticate / Proxy-Authenticate challenges and Authorization / Proxy-Authorization
 * credentials (RFC 3261 §20.27, §20.44, §20.7, §20.28; digest parameters RFC 7616 §3.3, §3.4).
 */
import { SipParseError } from './errors.js';
import { endOfQuoted, isTokenChar, quote, skipWs, unquote } from './scan.js';

export interface AuthChallenge {
  /** e.g. `Digest` (as written). */
  scheme: string;
  /** Parameter names lower-cased, quoted values unquoted. */
  params: Record<string, string>;
}

export type AuthCredentials = AuthChallenge;

function parseAuth(value: string): AuthChallenge {
  const s = value;
  let i = skipWs(s, 0);
  const ss = i;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  if (i === ss) throw new SipParseError('BAD_AUTH', 'Missing auth scheme');
  const scheme = s.slice(ss, i);
  const params: Record<string, string> = {};
  for (;;) {
    i = skipWs(s, i);
    if (i >= s.length) break;
    const ns = i;
    while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
    if (i === ns) throw new SipParseError('BAD_AUTH', 'Bad auth parameter');
    const name = s.slice(ns, i).toLowerCase();
    i = skipWs(s, i);
    if (s.charCodeAt(i) !== 61) throw new SipParseError('BAD_AUTH', 'Bad auth parameter');
    i = skipWs(s, i + 1);
    if (s.charCodeAt(i) === 34) {
      const end = endOfQuoted(s, i);
      if (end < 0) throw new SipParseError('BAD_AUTH', 'Unbalanced quotes');
      params[name] = unquote(s.slice(i, end));
      i = end;
    } else {
      const vs = i;
      while (i < s.length && s.charCodeAt(i) !== 44 && s.charCodeAt(i) !== 32 && s.charCodeAt(i) !== 9) i++;
      if (i === vs) throw new SipParseError('BAD_AUTH', 'Empty auth parameter');
      params[name] = s.slice(vs, i);
    }
    i = skipWs(s, i);
    if (i >= s.length) break;
    if (s.charCodeAt(i) !== 44) throw new SipParseError('BAD_AUTH', 'Expected comma');
    i++;
  }
  return { scheme, params };
}

export function parseAuthChallenge(value: string): AuthChallenge {
  return parseAuth(value);
}

export function parseAuthCredentials(value: string): AuthCredentials {
  return parseAuth(value);
}

// RFC 7616: these are tokens, never quoted; in credentials `qop` is a token too (§3.4), while in a
// challenge it is a quoted list (§3.3).
const UNQUOTED = new Set(['algorithm', 'stale', 'nc']);

function format(a: AuthChallenge, credentials: boolean): string {
  const parts: string[] = [];
  for (const k in a.params) {
    const v = a.params[k]!;
    const bare = UNQUOTED.has(k) || (credentials && k === 'qop');
    parts.push(`${k}=${bare ? v : quote(v)}`);
  }
  return parts.length ? `${a.scheme} ${parts.join(', ')}` : a.scheme;
}

export function formatAuthChallenge(a: AuthChallenge): string {
  return format(a, false);
}

export function formatAuthCredentials(a: AuthCredentials): string {
  return format(a, true);
}
