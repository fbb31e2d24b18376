/** multipart/* bodies (RFC 2046 §5.1), e.g. multipart/mixed with SDP + ISUP (RFC 3204). */
import { randomBytes } from 'node:crypto';
import { SipParseError } from './errors.js';
import { headerKey, normalizeHeaderName } from './header-names.js';
import { parseContentType, type ContentType } from './headers.js';
import { SipHeaders } from './sip-headers.js';
import { trimLws } from './scan.js';
import type { HeaderField } from './types.js';

export interface BodyPart {
  headers: SipHeaders;
  body: Buffer;
}

/**
 * Splits a multipart body on its boundary. Each part's headers are parsed like message headers
 * (Content-Type, Content-Disposition …); the CRLF before each delimiter belongs to the delimiter
 * (RFC 2046 §5.1.1). The preamble and epilogue are ignored.
 */
export function parseMultipart(body: Buffer, contentType: string | ContentType): BodyPart[] {
  const ct = typeof contentType === 'string' ? parseContentType(contentType) : contentType;
  if (ct.type !== 'multipart') throw new SipParseError('BAD_MULTIPART', 'Not a multipart body');
  const boundary = ct.params.boundary;
  if (!boundary) throw new SipParseError('BAD_MULTIPART', 'Missing boundary');
  const delim = Buffer.from('--' + boundary, 'latin1');
  const parts: BodyPart[] = [];
  // first delimiter: at the start or after a CRLF
  let at = body.indexOf(delim);
  while (at > 0 && !(body[at - 1] === 10)) at = body.indexOf(delim, at + 1);
  if (at < 0) throw new SipParseError('BAD_MULTIPART', 'Boundary not found');
  for (;;) {
    let p = at + delim.length;
    if (body[p] === 45 && body[p + 1] === 45) return parts; // close-delimiter
    // transport padding then CRLF
    while (p < body.length && (body[p] === 32 || body[p] === 9)) p++;
    if (body[p] === 13) p++;
    if (body[p] !== 10) throw new SipParseError('BAD_MULTIPART', 'Bad delimiter line');
    p++;
    let next = body.indexOf(delim, p);
    while (next >= 0 && body[next - 1] !== 10) next = body.indexOf(delim, next + 1);
    if (next < 0) throw new SipParseError('BAD_MULTIPART', 'Missing close delimiter');
    let partEnd = next - 1;
    if (body[partEnd - 1] === 13) partEnd--;
    parts.push(parsePart(body.subarray(p, Math.max(p, partEnd))));
    at = next;
  }
}

function parsePart(part: Buffer): BodyPart {
  const headers = new SipHeaders();
  let headEnd: number;
  let bodyStart: number;
  if (part[0] === 13 && part[1] === 10) { headEnd = 0; bodyStart = 2; }
  else if (part[0] === 10) { headEnd = 0; bodyStart = 1; }
  else {
    headEnd = part.indexOf('\r\n\r\n');
    bodyStart = headEnd + 4;
    if (headEnd < 0) { headEnd = part.indexOf('\n\n'); bodyStart = headEnd + 2; }
    if (headEnd < 0) throw new SipParseError('BAD_MULTIPART', 'Part without header end');
  }
  const head = part.toString('utf8', 0, headEnd);
  for (const raw of head.split(/\r?\n(?![ \t])/)) {
    if (!raw) continue;
    const colon = raw.indexOf(':');
    if (colon <= 0) throw new SipParseError('BAD_MULTIPART', 'Bad part header');
    const name = trimLws(raw.slice(0, colon));
    headers.appendRaw(normalizeHeaderName(name), headerKey(name), trimLws(raw.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ')));
  }
  return { headers, body: part.subarray(bodyStart) };
}

export interface MultipartInput {
  headers: HeaderField[] | SipHeaders;
  body: Buffer | string;
}

/** Builds a multipart body; returns it with the Content-Type to send (default multipart/mixed). */
export function buildMultipart(parts: MultipartInput[], options: { subtype?: string; boundary?: string } = {}): { body: Buffer; contentType: string } {
  const boundary = options.boundary ?? 'tg-' + randomBytes(12).toString('hex');
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const h = p.headers instanceof SipHeaders ? p.headers : new SipHeaders(p.headers);
    chunks.push(Buffer.from(`--${boundary}\r\n${h.serialize()}\r\n`, 'utf8'));
    chunks.push(typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body);
    chunks.push(Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(chunks), contentType: `multipart/${options.subtype ?? 'mixed'};boundary=${boundary}` };
}
