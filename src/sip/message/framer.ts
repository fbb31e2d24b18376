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
  /**
   * RFC 5626 §4.4.1 roles: the side that accepted the connection receives pings (`server`, the
   * default), the side that opened it receives pongs (`client`). A CRLF that ends the data received
   * so far is ambiguous (a pong, or the first half of a ping): a server waits for the next bytes, a
   * client reports the pong at once.
   */
  role?: 'server' | 'client';
}

export class StreamFramer {
  // Received bytes live in #store[#start, #end); the store grows by doubling and is compacted,
  // so a peer trickling one byte per segment costs linear, not quadratic, copying.
  #store: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  /** Where the search for the end of the header block resumes (relative to #start). */
  #searchFrom = 0;
  #failed = false;
  readonly #opts: StreamFramerOptions;
  readonly #max: number;

  constructor(options: StreamFramerOptions) {
    this.#opts = options;
    this.#max = options.maxMessageSize ?? 65536;
  }

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  get failed(): boolean {
    return this.#failed;
  }

  push(chunk: Buffer): void {
    if (this.#failed || chunk.length === 0) return;
    this.#append(chunk);
    while (!this.#failed && this.#end > this.#start && this.#next()) { /* keep framing */ }
    if (this.#start === this.#end) { this.#start = 0; this.#end = 0; }
  }

  #append(chunk: Buffer): void {
    const used = this.#end - this.#start;
    if (this.#end + chunk.length > this.#store.length) {
      if (used + chunk.length <= this.#store.length / 2) {
        this.#store.copy(this.#store, 0, this.#start, this.#end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(4096, 2 * (used + chunk.length)));
        this.#store.copy(grown, 0, this.#start, this.#end);
        this.#store = grown;
      }
      this.#start = 0;
      this.#end = used;
    }
    chunk.copy(this.#store, this.#end);
    this.#end += chunk.length;
  }

  #consume(n: number): void {
    this.#start += n;
    this.#searchFrom = 0;
  }

  #fail(code: 'MISSING_CONTENT_LENGTH' | 'BAD_CONTENT_LENGTH' | 'MESSAGE_TOO_LARGE', reason: string): false {
    this.#failed = true;
    this.#store = Buffer.alloc(0);
    this.#start = 0;
    this.#end = 0;
    this.#opts.onError?.(new SipParseError(code, reason));
    return false;
  }

  /** Consumes one keep-alive or message from the front of the buffer; false when more data is needed. */
  #next(): boolean {
    const b = this.#store.subarray(this.#start, this.#end);
    if (b[0] === 13 || b[0] === 10) {
      if (b.length >= 4 && b[0] === 13 && b[1] === 10 && b[2] === 13 && b[3] === 10) {
        this.#consume(4);
        this.#opts.onPing?.();
        return true;
      }
      if (b[0] === 13 && b[1] === 10 && b.length === 2 && this.#opts.role !== 'client') return false;
      if (b[0] === 13 && b[1] === 10 && (b.length === 2 || b[2] !== 13)) {
        // A lone CRLF: a pong.
        this.#consume(2);
        this.#opts.onPong?.();
        return true;
      }
      if (b[0] === 10) {
        this.#consume(1);
        return true;
      }
      if (b.length < 4) return false;
      this.#consume(1);
      return true;
    }
    const headEnd = b.indexOf('\r\n\r\n', this.#searchFrom, 'latin1');
    if (headEnd < 0) {
      if (b.length > this.#max) return this.#fail('MESSAGE_TOO_LARGE', 'Message too large');
      this.#searchFrom = Math.max(0, b.length - 3);
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
    if (b.length < total) {
      this.#searchFrom = headEnd; // the header block is complete; only the body is missing
      return false;
    }
    const msg = Buffer.from(b.subarray(0, total));
    this.#consume(total);
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
