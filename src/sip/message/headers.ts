/** Typed views of single-purpose headers: CSeq, Content-Type, Max-Forwards, Replaces, Session-Expires … */
import { SipParseError, type SipParseErrorCode } from './errors.js';
import { formatParams, isToken, isTokenChar, parseParams, skipWs, splitList, trimLws, unquote } from './scan.js';
import type { CSeq, NameAddr, Params } from './types.js';
import { parseNameAddr } from './name-addr.js';

/** Parses a decimal number of at most `maxDigits` digits that must not exceed `max`. */
export function parseDecimal(s: string, max: number, code: SipParseErrorCode, what: string): number {
  const t = trimLws(s);
  if (t.length === 0 || t.length > 10) throw new SipParseError(code, `Bad ${what}`);
  let n = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) throw new SipParseError(code, `Bad ${what}`);
    n = n * 10 + (c - 48);
  }
  if (n > max) throw new SipParseError(code, `${what} out of range`);
  return n;
}

/** CSeq (RFC 3261 §20.16): the sequence number is a 32-bit unsigned value below 2**31 (§8.1.1.5). */
export function parseCSeq(value: string): CSeq {
  const s = value;
  let i = skipWs(s, 0);
  const ns = i;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  const seq = parseDecimal(s.slice(ns, i), 2 ** 31 - 1, 'BAD_CSEQ', 'CSeq');
  const ms = skipWs(s, i);
  if (ms === i) throw new SipParseError('BAD_CSEQ', 'Bad CSeq');
  const method = s.slice(ms).trimEnd();
  if (!isToken(method)) throw new SipParseError('BAD_CSEQ', 'Bad CSeq method');
  return { seq, method };
}

export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}

/** Max-Forwards (§20.22): 1*DIGIT, 0–255 in practice. */
export function parseMaxForwards(value: string): number {
  return parseDecimal(value, 255, 'BAD_MAX_FORWARDS', 'Max-Forwards');
}

/** Content-Length (§20.14) in bytes of the body. */
export function parseContentLength(value: string): number {
  return parseDecimal(value, 2 ** 31 - 1, 'BAD_CONTENT_LENGTH', 'Content-Length');
}

export interface ContentType {
  /** Lower-case type, e.g. `application`. */
  type: string;
  /** Lower-case subtype, e.g. `sdp`. */
  subtype: string;
  /** `type/subtype`, lower-case. */
  mediaType: string;
  /** Parameters; quoted values are unquoted here (e.g. boundary). */
  params: Record<string, string | null>;
}

/** Content-Type (§20.15, media-type of RFC 2045/2046). */
export function parseContentType(value: string): ContentType {
  const s = value;
  let i = skipWs(s, 0);
  const ts = i;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  const type = s.slice(ts, i).toLowerCase();
  i = skipWs(s, i);
  if (!type || s.charCodeAt(i) !== 47) throw new SipParseError('BAD_CONTENT_TYPE', 'Bad Content-Type');
  i = skipWs(s, i + 1);
  const ss = i;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  const subtype = s.slice(ss, i).toLowerCase();
  if (!subtype) throw new SipParseError('BAD_CONTENT_TYPE', 'Bad Content-Type');
  const raw = parseParams(s, i, 'BAD_CONTENT_TYPE');
  const params: Record<string, string | null> = {};
  for (const k in raw) params[k] = raw[k] === null ? null : unquote(raw[k]!);
  return { type, subtype, mediaType: `${type}/${subtype}`, params };
}

export function formatContentType(ct: { type: string; subtype: string; params?: Record<string, string | null> }): string {
  let out = `${ct.type}/${ct.subtype}`;
  for (const k in ct.params ?? {}) {
    const v = ct.params![k];
    if (v === null || v === undefined) out += `;${k}`;
    else out += `;${k}=${isToken(v) ? v : '"' + v.replace(/["\\]/g, '\\$&') + '"'}`;
  }
  return out;
}

/** Supported / Require / Proxy-Require / Unsupported option tags (§20.37, §20.32). */
export function parseOptionTags(value: string): string[] {
  const tags = splitList(value);
  for (const t of tags) if (!isToken(t)) throw new SipParseError('BAD_HEADER_VALUE', 'Bad option tag');
  return tags;
}

export interface Replaces {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
  params: Params;
}

/** Replaces (RFC 3891 §6.1): `callid;to-tag=…;from-tag=…[;early-only]`. */
export function parseReplaces(value: string): Replaces {
  const semi = value.indexOf(';');
  const callId = trimLws(semi < 0 ? value : value.slice(0, semi));
  if (!callId || /\s/.test(callId)) throw new SipParseError('BAD_HEADER_VALUE', 'Bad Replaces');
  const params = semi < 0 ? {} : parseParams(value, semi, 'BAD_HEADER_VALUE');
  const toTag = params['to-tag'];
  const fromTag = params['from-tag'];
  if (typeof toTag !== 'string' || typeof fromTag !== 'string') throw new SipParseError('BAD_HEADER_VALUE', 'Replaces without tags');
  return { callId, toTag, fromTag, earlyOnly: 'early-only' in params, params };
}

export function formatReplaces(r: { callId: string; toTag: string; fromTag: string; earlyOnly?: boolean }): string {
  return `${r.callId};to-tag=${r.toTag};from-tag=${r.fromTag}${r.earlyOnly ? ';early-only' : ''}`;
}

export interface SessionExpires {
  /** delta-seconds */
  delta: number;
  refresher?: 'uac' | 'uas';
  params: Params;
}

/** Session-Expires (RFC 4028 §4): `delta-seconds [;refresher=uac|uas]`. */
export function parseSessionExpires(value: string): SessionExpires {
  const semi = value.indexOf(';');
  const delta = parseDecimal(semi < 0 ? value : value.slice(0, semi), 2 ** 32 - 1, 'BAD_HEADER_VALUE', 'Session-Expires');
  const params = semi < 0 ? {} : parseParams(value, semi, 'BAD_HEADER_VALUE');
  const se: SessionExpires = { delta, params };
  // RFC 4028 §4 allows only uac / uas; another value is left in `params` and read as no refresher
  // (sofia-sip's sip_session_expires_d keeps any value; RFC 4028 §9 then lets the UAS choose).
  const r = params.refresher?.toLowerCase();
  if (r === 'uac' || r === 'uas') se.refresher = r;
  return se;
}

export function formatSessionExpires(se: { delta: number; refresher?: 'uac' | 'uas' }): string {
  return se.refresher ? `${se.delta};refresher=${se.refresher}` : String(se.delta);
}

/**
 * Refer-To (RFC 3515 §2.1): a name-addr/addr-spec. A URI with `?headers` must be in `<>`
 * (RFC 3261 §20.1); as sofia-sip's sip_refer_to_d ("Missing <> around URL"), a bare one whose
 * headers run to the end of the value is read as if it had them — phones send
 * `Refer-To: sip:b@host?Replaces=…` for attended transfers.
 */
export function parseReferTo(value: string): NameAddr {
  const t = trimLws(value);
  const q = t.indexOf('?');
  if (q > 0 && !t.includes('<') && !t.startsWith('"') && !/[\s;,]/.test(t.slice(q))) return parseNameAddr(`<${t}>`);
  return parseNameAddr(value);
}

/** Referred-By (RFC 3892 §3): a name-addr/addr-spec with optional `cid` parameter. */
export function parseReferredBy(value: string): NameAddr {
  return parseNameAddr(value);
}

export { formatParams };
