/** Via header (RFC 3261 §20.42, grammar §25.1; IPv6 sent-by per RFC 5118). */
import { SipParseError } from './errors.js';
import { formatParams, isTokenChar, parseParams, skipWs, splitList } from './scan.js';
import type { Via } from './types.js';
import { checkHost, HOST_CHAR } from './uri.js';

function token(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/** Transports are case-insensitive; most arrive upper-case already, which needs no new string. */
function upperTransport(t: string): string {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 97 && c <= 122) return t.toUpperCase();
  }
  return t;
}

function expectSlash(s: string, i: number): number {
  i = skipWs(s, i);
  if (s.charCodeAt(i) !== 47) throw new SipParseError('BAD_VIA', 'Bad Via protocol');
  return skipWs(s, i + 1);
}

/** Parses a single via-parm: `SIP / 2.0 / UDP host[:port];params` (SLASH and COLON may carry LWS). */
export function parseViaParm(s: string): Via {
  let i = skipWs(s, 0);
  let e: number;
  let protocol: string;
  if (s.startsWith('SIP/2.0/', i)) {
    // the common spelling, without LWS around the slashes
    protocol = 'SIP/2.0';
    i += 8;
  } else {
    e = token(s, i);
    if (e === i) throw new SipParseError('BAD_VIA', 'Bad Via protocol');
    const name = s.slice(i, e);
    i = expectSlash(s, e);
    e = token(s, i);
    if (e === i) throw new SipParseError('BAD_VIA', 'Bad Via protocol');
    const version = s.slice(i, e);
    i = expectSlash(s, e);
    protocol = `${name}/${version}`.toUpperCase();
  }
  e = token(s, i);
  if (e === i) throw new SipParseError('BAD_VIA', 'Bad Via transport');
  const transport = upperTransport(s.slice(i, e));
  i = skipWs(s, e);
  if (i === e) throw new SipParseError('BAD_VIA', 'Missing Via sent-by');
  let host: string;
  let hostEnd: number;
  if (s.charCodeAt(i) === 91) {
    hostEnd = s.indexOf(']', i);
    if (hostEnd < 0) throw new SipParseError('BAD_VIA', 'Bad IPv6 reference');
    hostEnd++;
    host = checkHost(s.slice(i, hostEnd), 'BAD_VIA');
  } else {
    // hostname / IPv4address, validated while scanning for its end
    hostEnd = i;
    for (; hostEnd < s.length; hostEnd++) {
      const c = s.charCodeAt(hostEnd);
      if (c < 128 && HOST_CHAR[c] === 1) continue;
      if (c === 58 || c === 59 || c === 32 || c === 9 || c === 13 || c === 10) break;
      throw new SipParseError('BAD_VIA', 'Bad host');
    }
    if (hostEnd === i) throw new SipParseError('BAD_VIA', 'Empty host');
    host = s.slice(i, hostEnd);
  }
  const via: Via = { protocol, transport, host, params: {} };
  i = skipWs(s, hostEnd);
  if (s.charCodeAt(i) === 58) {
    i = skipWs(s, i + 1);
    const ps = i;
    let port = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      port = port * 10 + (c - 48);
    }
    if (i === ps || i - ps > 5 || port > 65535) throw new SipParseError('BAD_VIA', 'Bad port');
    via.port = port;
  }
  via.params = parseParams(s, i, 'BAD_VIA');
  return via;
}

/** Parses a Via header value, which may hold several comma-separated via-parms. */
export function parseVia(value: string): Via[] {
  const parts = splitList(value, 'BAD_VIA');
  if (parts.length === 0) throw new SipParseError('BAD_VIA', 'Empty Via');
  return parts.map(parseViaParm);
}

export function formatVia(v: Via): string {
  return `${v.protocol}/${v.transport} ${v.host}${v.port !== undefined ? ':' + v.port : ''}${formatParams(v.params)}`;
}
