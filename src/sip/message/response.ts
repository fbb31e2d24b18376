/** Building a response to a request (RFC 3261 §8.2.6). */
import { generateTag } from './ids.js';
import { SipRequest, SipResponse } from './message.js';
import { parseNameAddr } from './name-addr.js';
import { SipHeaders } from './sip-headers.js';
import type { HeaderField } from './types.js';

/** Default reason phrases (RFC 3261 §21 and the extensions a trunk meets). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK', 202: 'Accepted', 204: 'No Notification',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily', 305: 'Use Proxy', 380: 'Alternative Service',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  410: 'Gone', 412: 'Conditional Request Failed', 413: 'Request Entity Too Large', 414: 'Request-URI Too Long',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 417: 'Unknown Resource-Priority',
  420: 'Bad Extension', 421: 'Extension Required', 422: 'Session Interval Too Small', 423: 'Interval Too Brief',
  424: 'Bad Location Information', 425: 'Bad Alert Message', 428: 'Use Identity Header', 429: 'Provide Referrer Identity',
  430: 'Flow Failed',
  433: 'Anonymity Disallowed', 436: 'Bad Identity-Info', 437: 'Unsupported Certificate', 438: 'Invalid Identity Header',
  439: 'First Hop Lacks Outbound Support', 440: 'Max-Breadth Exceeded', 469: 'Bad Info Package',
  470: 'Consent Needed', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete', 485: 'Ambiguous', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 489: 'Bad Event', 491: 'Request Pending',
  493: 'Undecipherable', 494: 'Security Agreement Required',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large', 555: 'Push Notification Service Not Supported',
  580: 'Precondition Failure',
  600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable', 607: 'Unwanted', 608: 'Rejected',
};

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? REASON_PHRASES[Math.floor(status / 100) * 100] ?? '';
}

export interface CreateResponseOptions {
  /** Tag to add to To when the request's To has none (default: a fresh tag for status > 100). */
  toTag?: string;
  /** Extra headers appended after the copied ones. */
  headers?: HeaderField[];
  body?: Buffer | string;
}

/**
 * RFC 3261 §8.2.6.2: the response copies From, Call-ID, CSeq and the Via values (in order) of the
 * request, and its To — with a tag added unless the request already carried one (never on 100).
 * §8.2.6.1: a 100 Trying copies Timestamp.
 */
export function createResponse(req: SipRequest, status: number, reason?: string, opts: CreateResponseOptions = {}): SipResponse {
  const h = new SipHeaders();
  for (const v of req.headers.getFields('via')) h.append('Via', v);
  const from = req.headers.get('from');
  if (from !== undefined) h.append('From', from);
  let to = req.headers.get('to');
  if (to !== undefined && status > 100) {
    let hasTag = false;
    try { hasTag = typeof parseNameAddr(to).params.tag === 'string'; } catch { /* keep To as received */ }
    if (!hasTag) to = `${to};tag=${opts.toTag ?? generateTag()}`;
  }
  if (to !== undefined) h.append('To', to);
  const callId = req.headers.get('call-id');
  if (callId !== undefined) h.append('Call-ID', callId);
  const cseq = req.headers.get('cseq');
  if (cseq !== undefined) h.append('CSeq', cseq);
  if (status === 100) {
    const ts = req.headers.get('timestamp');
    if (ts !== undefined) h.append('Timestamp', ts);
  }
  // §12.1.1: "the UAS MUST copy all Record-Route header field values from the request into the
  // response (including the URIs, URI parameters, and any Record-Route header field parameters,
  // whether they are known or unknown to the UAS) and MUST maintain the order of those values."
  // Dialog-establishing responses are 101–299; the caller builds its route set from them.
  if (status > 100 && status < 300) for (const v of req.headers.getFields('record-route')) h.append('Record-Route', v);
  for (const f of opts.headers ?? []) h.append(f.name, f.value);
  return new SipResponse({ status, reason: reason ?? reasonPhrase(status), headers: h, body: opts.body });
}
