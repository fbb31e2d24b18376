/**
 * Splits a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3: Content-Length is mandatory on
 * streams) and recognizes RFC 5626 §4.4.1 keep-alives between messages: a double CRLF "ping"
 * (the transport answers with a single CRLF "pong") and a single CRLF "pong".
 */
import { SipParseError } from './errors.js';
import { parseContentLength } from './headers.js';

export interface StreamFramerOptions {
  /** A complete message (start-line through body), as its own Buffer. */
  onMessage: (message: Buffer) => void;
  /** A CRLFCRLF ping was received; answer with "\r\n". */
  onPing?: () => void;
  /** A lone CRLF pong was received. */
  onPong?: () => void;
  /**
   * Framing failed (no or bad Content-Length, message too large). The stream cannot be
   * resynchronized: the framer stops and the transport should close the connection.
   */
  onError?: (error: SipParseError) => void;
  /** Maximum size of one message, headers plus body (default 64 KiB). */
  maxMessageSize?: number;
}

export class StreamFramer {
  #buf: Buffer = Buffer.alloc(0);
  #failed = false;
  readonly #opts: StreamFramerOptions;
  readonly #max: number;

  constructor(options: StreamFramerOptions) {
    this.#opts = options;
    this.#max = options.maxMessageSize ?? 65536;
  }

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.#buf.length;
  }

  get failed(): boolean {
    return this.#failed;
  }

  push(chunk: Buffer): void {
    if (this.#failed) return;
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    while (!this.#failed && this.#buf.length > 0 && this.#next()) { /* keep framing */ }
  }

  #fail(code: 'MISSING_CONTENT_LENGTH' | 'BAD_CONTENT_LENGTH' | 'MESSAGE_TOO_LARGE', reason: string): false {
    this.#failed = true;
    this.#buf = Buffer.alloc(0);
    this.#opts.onError?.(new SipParseError(code, reason));
    return false;
  }

  /** Consumes one keep-alive or message from the front of the buffer; false when more data is needed. */
  #next(): boolean {
    const b = this.#buf;
    if (b[0] === 13 || b[0] === 10) {
      if (b.length >= 4 && b[0] === 13 && b[1] === 10 && b[2] === 13 && b[3] === 10) {
        this.#buf = b.subarray(4);
        this.#opts.onPing?.();
        return true;
      }
      if (b[0] === 13 && b[1] === 10 && (b.length === 2 || b[2] !== 13)) {
        // A lone CRLF: a pong (a ping split after its first CRLF is reported as two pongs).
        this.#buf = b.subarray(2);
        this.#opts.onPong?.();
        return true;
      }
      if (b[0] === 10) {
        this.#buf = b.subarray(1);
        return true;
      }
      if (b.length < 4) return false;
      this.#buf = b.subarray(1);
      return true;
    }
    const headEnd = b.indexOf('\r\n\r\n', 0, 'latin1');
    if (headEnd < 0) {
      if (b.length > this.#max) return this.#fail('MESSAGE_TOO_LARGE', 'Message too large');
      return false;
    }
    const bodyStart = headEnd + 4;
    const cl = findContentLength(b.toString('latin1', 0, headEnd));
    if (cl === undefined) return this.#fail('MISSING_CONTENT_LENGTH', 'Missing Content-Length');
    let length: number;
    try {
      length = parseContentLength(cl);
    } catch {
      return this.#fail('BAD_CONTENT_LENGTH', 'Bad Content-Length');
    }
    const total = bodyStart + length;
    if (total > this.#max) return this.#fail('MESSAGE_TOO_LARGE', 'Message too large');
    if (b.length < total) return false;
    const msg = Buffer.from(b.subarray(0, total));
    this.#buf = b.subarray(total);
    this.#opts.onMessage(msg);
    return true;
  }
}

/** The value of the first Content-Length (or compact `l`) header line of a header block. */
function findContentLength(head: string): string | undefined {
  let pos = head.indexOf('\n') + 1;
  while (pos > 0 && pos < head.length) {
    let e = head.indexOf('\n', pos);
    if (e < 0) e = head.length;
    const colon = head.indexOf(':', pos);
    if (colon > 0 && colon < e) {
      const name = head.slice(pos, colon).trim().toLowerCase();
      if (name === 'content-length' || name === 'l') {
        let value = head.slice(colon + 1, e);
        // folded continuation lines
        while (e < head.length && (head.charCodeAt(e + 1) === 32 || head.charCodeAt(e + 1) === 9)) {
          const n = head.indexOf('\n', e + 1);
          const ne = n < 0 ? head.length : n;
          value += ' ' + head.slice(e + 1, ne);
          e = ne;
        }
        return value.trim();
      }
    }
    pos = e + 1;
  }
  return undefined;
}
