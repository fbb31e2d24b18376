/** RFC 3262 typed headers: RSeq (§7.1) and RAck (§7.2) of reliable provisional responses. */
import { SipParseError } from './errors.js';
import { parseDecimal } from './headers.js';
import { isToken, skipWs } from './scan.js';
import type { SipMethod } from './types.js';

/** RSeq and the response number in RAck: `1*DIGIT`, 1 … 2**32 − 1 (§3: the first is in 1 … 2**31 − 1, then +1 each). */
export const MAX_RSEQ = 2 ** 32 - 1;

/** RAck (RFC 3262 §7.2): `response-num LWS CSeq-num LWS Method`. */
export interface RAck {
  /** The RSeq of the provisional response being acknowledged. */
  rseq: number;
  /** CSeq number of the request the provisional response answered. */
  cseq: number;
  /** CSeq method of that request (INVITE). */
  method: SipMethod;
}

/** RSeq (RFC 3262 §7.1): `RSeq: response-num`. Throws SipParseError BAD_HEADER_VALUE. */
export function parseRSeq(value: string): number {
  const n = parseDecimal(value, MAX_RSEQ, 'BAD_HEADER_VALUE', 'RSeq');
  if (n === 0) throw new SipParseError('BAD_HEADER_VALUE', 'RSeq out of range');
  return n;
}

export function formatRSeq(rseq: number): string {
  return String(rseq);
}

/**
 * RAck (RFC 3262 §7.2). Throws SipParseError BAD_HEADER_VALUE when the three parts are not there.
 * Liberal where a strict reading buys nothing, as sofia-sip's sip_rack_d (sip_prack.c) is: tokens
 * after the method are ignored (SIPp scenarios that build RAck from a regexp on CSeq send
 * `RAck: 350402750 1 INVITE INVITE`), and a response-num of 0 parses (it matches no RSeq, §3: 481).
 */
export function parseRAck(value: string): RAck {
  const parts: string[] = [];
  let i = skipWs(value, 0);
  while (i < value.length && parts.length < 3) {
    const start = i;
    while (i < value.length && !isLws(value.charCodeAt(i))) i++;
    parts.push(value.slice(start, i));
    i = skipWs(value, i);
  }
  if (parts.length !== 3) throw new SipParseError('BAD_HEADER_VALUE', 'Bad RAck');
  const rseq = parseDecimal(parts[0]!, MAX_RSEQ, 'BAD_HEADER_VALUE', 'RAck response-num');
  const cseq = parseDecimal(parts[1]!, 2 ** 31 - 1, 'BAD_HEADER_VALUE', 'RAck CSeq');
  const method = parts[2]!;
  if (!isToken(method)) throw new SipParseError('BAD_HEADER_VALUE', 'Bad RAck method');
  return { rseq, cseq, method };
}

export function formatRAck(rack: RAck): string {
  return `${rack.rseq} ${rack.cseq} ${rack.method}`;
}

function isLws(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}
