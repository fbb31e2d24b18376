/**
 * Parsing a whole SIP message from a datagram or a framed stream message (RFC 3261 §7, §18.3).
 *
 * The header section is decoded as UTF-8 (so UTF-8 display names survive; bytes that are not
 * valid UTF-8 become U+FFFD) while Content-Length is applied to the raw bytes of the body. The mandatory headers a transaction layer needs
 * (Via, From, To, Call-ID, CSeq) are validated here and their typed views cached on the message,
 * so a malformed message is rejected once, up front, with a code a 400 can be built from.
 */
import { SipParseError } from './errors.js';
import { commonKey, commonName, headerKey, matchCommonName, normalizeHeaderName } from './header-names.js';
import { parseContentLength, parseCSeq, parseMaxForwards } from './headers.js';
import { SIP_VERSION, SipRequest, SipResponse, type SipMessage } from './message.js';
import { parseContact, parseNameAddr } from './name-addr.js';
import { isToken, isTokenChar, trimLws } from './scan.js';
import { SipHeaders } from './sip-headers.js';
import type { CSeq, NameAddr, SipUri, Via } from './types.js';
import { parseUri } from './uri.js';
import { parseVia } from './via.js';

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: SipParseError };

interface StartLine {
  isRequest: boolean;
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  error?: SipParseError;
}

function isSipVersion(v: string): boolean {
  return v === SIP_VERSION || (v.length === 7 && v.toUpperCase() === SIP_VERSION);
}

/** RFC 3261 §7.1 Request-Line / §7.2 Status-Line: single SP separators, no other whitespace. */
function parseStartLine(line: string): StartLine {
  if (line.length >= 4 && (line.charCodeAt(0) | 32) === 115 && (line.charCodeAt(1) | 32) === 105 &&
      (line.charCodeAt(2) | 32) === 112 && line.charCodeAt(3) === 47) {
    const sp1 = line.indexOf(' ');
    if (sp1 < 0) return { isRequest: false, error: new SipParseError('BAD_START_LINE', 'Bad Status-Line') };
    if (!isSipVersion(line.slice(0, sp1))) return { isRequest: false, error: new SipParseError('BAD_VERSION', 'Unsupported SIP version') };
    let sp2 = line.indexOf(' ', sp1 + 1);
    if (sp2 < 0) sp2 = line.length;
    const code = line.slice(sp1 + 1, sp2);
    if (code.length !== 3) return { isRequest: false, error: new SipParseError('BAD_STATUS', 'Bad status code') };
    let status = 0;
    for (let i = 0; i < 3; i++) {
      const c = code.charCodeAt(i);
      if (c < 48 || c > 57) return { isRequest: false, error: new SipParseError('BAD_STATUS', 'Bad status code') };
      status = status * 10 + c - 48;
    }
    if (status < 100 || status > 699) return { isRequest: false, error: new SipParseError('BAD_STATUS', 'Bad status code') };
    const reason = sp2 < line.length ? line.slice(sp2 + 1) : '';
    for (let i = 0; i < reason.length; i++) {
      const c = reason.charCodeAt(i);
      if (c < 32 && c !== 9) return { isRequest: false, error: new SipParseError('BAD_START_LINE', 'Bad reason phrase') };
    }
    return { isRequest: false, status, reason };
  }
  const sp1 = line.indexOf(' ');
  const method = sp1 < 0 ? line : line.slice(0, sp1);
  if (!isToken(method)) return { isRequest: true, error: new SipParseError(sp1 < 0 ? 'BAD_START_LINE' : 'BAD_METHOD', 'Bad Request-Line') };
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) return { isRequest: true, error: new SipParseError('BAD_START_LINE', 'Bad Request-Line') };
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (uri.length === 0) return { isRequest: true, error: new SipParseError('BAD_START_LINE', 'Bad Request-Line') };
  if (!isSipVersion(version)) {
    // "SIP/7.0" is a version problem; a space inside the URI or trailing whitespace is a bad line.
    const code = /^SIP\/\d+\.\d+$/i.test(version) ? 'BAD_VERSION' : 'BAD_START_LINE';
    return { isRequest: true, error: new SipParseError(code, code === 'BAD_VERSION' ? 'Unsupported SIP version' : 'Bad Request-Line') };
  }
  return { isRequest: true, method, uri };
}

/**
 * Parses one SIP message. Throws SipParseError (and nothing else) on malformed input; the error
 * carries `isRequest` and the headers that could be read.
 *
 * Datagram rules (§18.3): a missing Content-Length means the body runs to the end of the data;
 * bytes beyond Content-Length are discarded; a Content-Length larger than the data is an error.
 * The body is a view onto `data` (no copy).
 */
export function parseMessage(data: Buffer | string): SipMessage {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const len = buf.length;
  // §7.5: CRLFs before the start-line are ignored.
  let start = 0;
  while (start < len && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= len) throw new SipParseError('EMPTY', 'Empty message');

  let headEnd = buf.indexOf('\r\n\r\n', start, 'latin1');
  let bodyStart = headEnd + 4;
  const lfOnly = buf.indexOf('\n\n', start, 'latin1');
  if (lfOnly >= 0 && (headEnd < 0 || lfOnly < headEnd)) {
    headEnd = lfOnly;
    bodyStart = lfOnly + 2;
  }
  const complete = headEnd >= 0;
  const head = buf.toString('utf8', start, complete ? headEnd : len);

  // NUL is only allowed as a quoted-pair (RFC 3261 §25.1; RFC 4475 §3.1.1.2); a CR only before LF
  // (checked per line). Other control characters in header values are passed through untouched.
  let error: SipParseError | undefined;
  const headLimit = complete ? headEnd : len;
  for (let z = buf.indexOf(0, start); z >= 0 && z < headLimit; z = buf.indexOf(0, z + 1)) {
    if (buf[z - 1] !== 92) { error = new SipParseError('BAD_HEADER', 'NUL in header'); break; }
  }

  // Start line
  let nl = head.indexOf('\n');
  if (nl < 0) nl = head.length;
  const firstLine = head.charCodeAt(nl - 1) === 13 ? head.slice(0, nl - 1) : head.slice(0, nl);
  const sl = parseStartLine(firstLine);
  if (sl.error) error = sl.error;
  if (firstLine.indexOf('\r') >= 0) error ??= new SipParseError('BAD_START_LINE', 'Bare CR in start line');

  // Header lines, unfolding continuation lines (§7.3.1). The headers the validation needs are
  // noted on the way so it does not search the list again.
  const headers = new SipHeaders();
  const seen: Seen = { via: [], contact: [] };
  let pos = nl + 1;
  let nextCr = head.indexOf('\r', pos);
  let curName = '';
  let curKey = '';
  let curValue = '';
  let hasCurrent = false;
  while (pos < head.length) {
    let e = head.indexOf('\n', pos);
    if (e < 0) e = head.length;
    const lineEnd = head.charCodeAt(e - 1) === 13 ? e - 1 : e;
    if (nextCr >= 0 && nextCr < pos) nextCr = head.indexOf('\r', pos);
    if (nextCr >= 0 && nextCr < lineEnd) error ??= new SipParseError('BAD_HEADER', 'Bare CR in header');
    const c0 = head.charCodeAt(pos);
    if (c0 === 32 || c0 === 9) {
      if (!hasCurrent) { error ??= new SipParseError('BAD_HEADER', 'Continuation line without header'); }
      else {
        const more = trimLws(head.slice(pos, lineEnd));
        curValue = curValue.length === 0 ? more : more.length === 0 ? curValue : curValue + ' ' + more;
      }
    } else if (lineEnd > pos) {
      if (hasCurrent) addHeader(headers, seen, curName, curKey, curValue);
      hasCurrent = false;
      const colon = head.indexOf(':', pos);
      if (colon < 0 || colon >= lineEnd) {
        error ??= new SipParseError('BAD_HEADER', 'Malformed header line');
      } else {
        // HCOLON = *( SP / HTAB ) ":" SWS
        let ne = colon;
        while (ne > pos && (head.charCodeAt(ne - 1) === 32 || head.charCodeAt(ne - 1) === 9)) ne--;
        // a common name (letters and '-') is a valid token; anything else is checked character by character
        const common = matchCommonName(head, pos, ne);
        let okName = !Number.isNaN(common);
        if (!okName) {
          okName = ne > pos;
          for (let k = pos; k < ne && okName; k++) if (!isTokenChar(head.charCodeAt(k))) okName = false;
        }
        if (!okName) error ??= new SipParseError('BAD_HEADER', 'Bad header name');
        else {
          let vs = colon + 1;
          while (vs < lineEnd && (head.charCodeAt(vs) === 32 || head.charCodeAt(vs) === 9)) vs++;
          let ve = lineEnd;
          while (ve > vs && (head.charCodeAt(ve - 1) === 32 || head.charCodeAt(ve - 1) === 9)) ve--;
          if (!Number.isNaN(common)) {
            curName = common >= 0 ? commonName(common) : head.slice(pos, ne);
            curKey = commonKey(common);
          } else {
            curName = head.slice(pos, ne);
            curKey = headerKey(curName);
          }
          curValue = head.slice(vs, ve);
          hasCurrent = true;
        }
      }
    }
    pos = e + 1;
  }
  if (hasCurrent) addHeader(headers, seen, curName, curKey, curValue);

  const fail = (err: SipParseError): never => {
    err.isRequest = sl.isRequest;
    err.partialHeaders = headers;
    throw err;
  };
  if (error) fail(error);
  if (!complete) fail(new SipParseError('NO_HEADER_END', 'Missing empty line after headers'));

  let views: Views;
  let body: Buffer;
  try {
    views = validateHeaders(seen, sl);
    const available = len - bodyStart;
    const cl = seen.contentLength;
    let bodyLength = available;
    if (cl !== undefined) {
      bodyLength = parseContentLength(cl);
      if (bodyLength > available) throw new SipParseError('CONTENT_LENGTH_MISMATCH', 'Content-Length larger than body');
    }
    body = buf.subarray(bodyStart, bodyStart + bodyLength);
  } catch (err) {
    if (err instanceof SipParseError) fail(err);
    throw err;
  }
  const msg: SipMessage = sl.isRequest
    ? new SipRequest({ method: sl.method!, uri: sl.uri!, headers, body })
    : new SipResponse({ status: sl.status!, reason: sl.reason!, headers, body });
  msg._seed(views!);
  return msg;
}

interface Views { cseq: CSeq; from: NameAddr; to: NameAddr; vias: Via[]; contacts?: NameAddr[] | '*'; requestUri?: SipUri }

/** What the parse loop noted of the headers validation needs. */
interface Seen {
  via: string[];
  contact: string[];
  callId?: string;
  from?: string;
  to?: string;
  cseq?: string;
  maxForwards?: string;
  contentLength?: string;
  date?: string;
  /** The first single-valued header seen twice. */
  duplicate?: string;
}

function single(seen: Seen, prev: string | undefined, key: string): void {
  // RFC 4475 §3.3.8–3.3.9 (multi01, mcl01): these carry exactly one value.
  if (prev !== undefined) seen.duplicate ??= key;
}

function addHeader(headers: SipHeaders, seen: Seen, name: string, key: string, value: string): void {
  headers.appendRaw(name.length === 1 ? normalizeHeaderName(name) : name, key, value);
  switch (key) {
    case 'via': seen.via.push(value); break;
    case 'contact': seen.contact.push(value); break;
    case 'call-id': single(seen, seen.callId, key); seen.callId = value; break;
    case 'from': single(seen, seen.from, key); seen.from = value; break;
    case 'to': single(seen, seen.to, key); seen.to = value; break;
    case 'cseq': single(seen, seen.cseq, key); seen.cseq = value; break;
    case 'max-forwards': single(seen, seen.maxForwards, key); seen.maxForwards = value; break;
    case 'content-length': single(seen, seen.contentLength, key); seen.contentLength = value; break;
    case 'date': seen.date = value; break;
  }
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function required(v: string | undefined, name: string): string {
  if (v === undefined || v.length === 0) throw new SipParseError('MISSING_HEADER', `Missing ${name}`);
  return v;
}

/** The checks of RFC 3261 §8.1.1 / §8.2.2 that do not need transaction state. */
function validateHeaders(seen: Seen, sl: StartLine): Views {
  let requestUri: SipUri | undefined;
  if (sl.isRequest) {
    try {
      const u = parseUri(sl.uri!);
      requestUri = u;
      // §19.1.1 (table): headers are not allowed in a Request-URI.
      if (u.opaque === undefined && hasKeys(u.headers)) throw new SipParseError('BAD_REQUEST_URI', 'Headers in Request-URI');
    } catch (err) {
      if (err instanceof SipParseError && err.code === 'BAD_URI') throw new SipParseError('BAD_REQUEST_URI', 'Bad Request-URI');
      throw err;
    }
  }
  if (seen.duplicate) throw new SipParseError('DUPLICATE_HEADER', `Multiple ${seen.duplicate} headers`);
  if (seen.via.length === 0) throw new SipParseError('MISSING_HEADER', 'Missing Via');
  required(seen.callId, 'Call-ID');
  const fromV = required(seen.from, 'From');
  const toV = required(seen.to, 'To');
  const cseqV = required(seen.cseq, 'CSeq');
  let vias: Via[];
  if (seen.via.length === 1) vias = parseVia(seen.via[0]!);
  else {
    vias = [];
    for (const f of seen.via) for (const v of parseVia(f)) vias.push(v);
  }
  const from = parseNameAddr(fromV);
  const to = parseNameAddr(toV);
  const cseq = parseCSeq(cseqV);
  // RFC 4475 §3.1.2.17–18 (mismatch01, mismatch02): the CSeq method must match the request method.
  if (sl.isRequest && cseq.method !== sl.method) throw new SipParseError('CSEQ_METHOD_MISMATCH', 'CSeq method does not match');
  if (seen.maxForwards !== undefined) parseMaxForwards(seen.maxForwards);
  let contacts: NameAddr[] | '*' | undefined;
  if (seen.contact.length === 1) contacts = parseContact(seen.contact[0]!);
  else if (seen.contact.length > 1) {
    contacts = [];
    for (const c of seen.contact) {
      const v = parseContact(c);
      if (v === '*') throw new SipParseError('BAD_NAME_ADDR', 'Contact * with other contacts');
      contacts.push(...v);
    }
  }
  // §20.17: SIP-date is rfc1123-date and always in GMT.
  if (seen.date !== undefined && !seen.date.endsWith(' GMT')) throw new SipParseError('BAD_HEADER_VALUE', 'Date must be GMT');
  const views: Views = { cseq, from, to, vias };
  if (contacts) views.contacts = contacts;
  if (requestUri) views.requestUri = requestUri;
  return views;
}

/** parseMessage without exceptions. */
export function tryParseMessage(data: Buffer | string): ParseResult {
  try {
    return { ok: true, message: parseMessage(data) };
  } catch (err) {
    if (err instanceof SipParseError) return { ok: false, error: err };
    throw err;
  }
}
