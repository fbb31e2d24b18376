import type { HeaderField } from '../sip/index.js';
import { DrachtioError } from './errors.js';

/**
 * The SIP text an application sends over the control connection is a template, not a wire
 * message: drachtio-srf writes only a start line, the headers the app chose and a body, and the
 * server fills in Via, Call-ID, tags, CSeq … (drachtio-server splitMsg + makeTags). So it is read
 * here as lines, not through the wire parser, which would rightly reject it as incomplete.
 */
export type AppSipText =
  | { kind: 'request'; method: string; uri: string; headers: HeaderField[]; body: string }
  | { kind: 'response'; status: number; reason: string; headers: HeaderField[]; body: string };

export function readAppSipText(text: string): AppSipText {
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? text : text.slice(0, headEnd);
  const body = headEnd < 0 ? '' : text.slice(headEnd + 4);
  const lines = head.split('\r\n');
  const start = lines[0] ?? '';
  const headers: HeaderField[] = [];
  for (const line of lines.slice(1)) {
    if (!line) continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length) {
      headers[headers.length - 1]!.value += ' ' + line.trim(); // RFC 3261 §7.3.1 folding
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new DrachtioError('DRACHTIO_BAD_MESSAGE', 'malformed header line from application');
    const name = line.slice(0, colon).trim();
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'l') continue; // recomputed on send
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }
  const resp = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(start);
  if (resp) return { kind: 'response', status: Number(resp[1]), reason: resp[2] ?? '', headers, body };
  const req = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(start);
  if (req) return { kind: 'request', method: req[1]!.toUpperCase(), uri: req[2]!, headers, body };
  throw new DrachtioError('DRACHTIO_BAD_MESSAGE', 'invalid start line from application');
}

/** Header names the server owns on a message it builds; an application's values for them are ignored. */
const SERVER_OWNED = new Set(['via', 'v', 'call-id', 'i', 'cseq', 'content-length', 'l', 'max-forwards']);

export function isServerOwnedHeader(name: string): boolean {
  return SERVER_OWNED.has(name.toLowerCase());
}
