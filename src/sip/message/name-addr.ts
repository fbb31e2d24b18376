/**
 * name-addr / addr-spec header values (RFC 3261 §20.10, §25.1): From, To, Contact, Route,
 * Record-Route, Refer-To (RFC 3515), Referred-By (RFC 3892), P-Asserted-Identity …
 */
import { SipParseError } from './errors.js';
import { endOfQuoted, formatParams, isTokenChar, isWs, parseParams, quote, skipWs, splitList, trimLws, unquote } from './scan.js';
import type { NameAddr } from './types.js';
import { formatUri, parseUri } from './uri.js';

/**
 * Parses one name-addr or addr-spec with its header parameters. In the addr-spec form (no `<>`)
 * everything after the first `;` is a header parameter, not a URI parameter (§20.10), and the URI
 * must not contain `,`, `?` or `;`.
 */
export function parseNameAddr(s: string): NameAddr {
  const n = s.length;
  let i = skipWs(s, 0);
  if (i >= n) throw new SipParseError('BAD_NAME_ADDR', 'Empty address');
  let displayName: string | undefined;
  const c0 = s.charCodeAt(i);
  if (c0 === 34 /* " */) {
    const end = endOfQuoted(s, i);
    if (end < 0) throw new SipParseError('BAD_NAME_ADDR', 'Unbalanced quotes');
    displayName = unquote(s.slice(i, end));
    i = skipWs(s, end);
    if (s.charCodeAt(i) !== 60) throw new SipParseError('BAD_NAME_ADDR', 'Expected <');
  } else if (c0 !== 60 /* < */) {
    const lt = s.indexOf('<', i);
    if (lt >= 0) {
      // display-name = *(token LWS): only token characters and whitespace before '<'
      for (let k = i; k < lt; k++) {
        const c = s.charCodeAt(k);
        if (!isTokenChar(c) && !isWs(c) && c < 128) throw new SipParseError('BAD_NAME_ADDR', 'Bad display name');
      }
      const dn = trimLws(s.slice(i, lt));
      if (dn) displayName = dn;
      i = lt;
    }
  }
  if (s.charCodeAt(i) === 60) {
    const gt = s.indexOf('>', i + 1);
    if (gt < 0) throw new SipParseError('BAD_NAME_ADDR', 'Missing >');
    const uri = parseUri(s.slice(i + 1, gt));
    const na: NameAddr = { uri, params: parseParams(s, gt + 1, 'BAD_NAME_ADDR') };
    if (displayName !== undefined) na.displayName = displayName;
    return na;
  }
  // addr-spec
  let end = s.indexOf(';', i);
  if (end < 0) end = n;
  const spec = s.slice(i, end).trimEnd();
  if (spec.indexOf('?') >= 0 || spec.indexOf(',') >= 0) {
    throw new SipParseError('BAD_NAME_ADDR', 'URI with ? or , must be in <>');
  }
  return { uri: parseUri(spec), params: parseParams(s, end, 'BAD_NAME_ADDR') };
}

/** Parses a list header of addresses (Contact, Route, Record-Route …). */
export function parseNameAddrList(value: string): NameAddr[] {
  return splitList(value, 'BAD_NAME_ADDR').map(parseNameAddr);
}

/** Contact values: `*` (RFC 3261 §10.2.2, REGISTER only) or a list of addresses. */
export function parseContact(value: string): NameAddr[] | '*' {
  if (trimLws(value) === '*') return '*';
  return parseNameAddrList(value);
}

/** Always serializes in name-addr form (`"Display" <uri>;params`), which is valid for every header. */
export function formatNameAddr(n: NameAddr): string {
  const dn = n.displayName !== undefined && n.displayName !== '' ? quote(n.displayName) + ' ' : '';
  return `${dn}<${formatUri(n.uri)}>${formatParams(n.params)}`;
}
