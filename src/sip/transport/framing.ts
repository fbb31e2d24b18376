/**
 * Splits a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3: Content-Length is mandatory on
 * streams) and recognises RFC 5626 §3.5.1 CRLF keep-alives between messages.
 */

export type FramedItem =
  | { kind: 'message'; raw: Buffer }
  /** A double-CRLF "ping" between messages; the answer is a single CRLF "pong". */
  | { kind: 'ping' }
  /** A lone CRLF between messages (a pong, or tolerated leading whitespace, §7.5). */
  | { kind: 'pong' };

export type FramingErrorCode = 'FRAMING_TOO_LARGE' | 'FRAMING_BAD_CONTENT_LENGTH';

export class FramingError extends Error {
  readonly code: FramingErrorCode;
  constructor(code: FramingErrorCode, message: string) {
    super(message);
    this.name = 'FramingError';
    this.code = code;
  }
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/im;

export class StreamFramer {
  #buf: Buffer = Buffer.alloc(0);
  readonly #maxMessageSize: number;

  constructor(options: { maxMessageSize: number }) {
    this.#maxMessageSize = options.maxMessageSize;
  }

  /** Bytes buffered but not yet a whole message. */
  get pending(): number {
    return this.#buf.length;
  }

  /** Feeds a chunk; returns every complete item. Throws FramingError when the stream is unusable (close it). */
  push(chunk: Buffer): FramedItem[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: FramedItem[] = [];
    for (;;) {
      // Keep-alives and stray CRLFs between messages.
      if (this.#buf.length >= 4 && this.#buf.subarray(0, 4).equals(CRLFCRLF)) {
        out.push({ kind: 'ping' });
        this.#buf = this.#buf.subarray(4);
        continue;
      }
      if (this.#buf.length >= 2 && this.#buf[0] === 0x0d && this.#buf[1] === 0x0a) {
        // Could be the start of a ping whose second half has not arrived yet.
        if (this.#buf.length < 4 && (this.#buf.length === 2 || this.#buf[2] === 0x0d)) break;
        out.push({ kind: 'pong' });
        this.#buf = this.#buf.subarray(2);
        continue;
      }
      const headEnd = this.#buf.indexOf(CRLFCRLF);
      if (headEnd < 0) {
        if (this.#buf.length > this.#maxMessageSize) throw new FramingError('FRAMING_TOO_LARGE', 'header block exceeds maximum message size');
        break;
      }
      const head = this.#buf.subarray(0, headEnd).toString('latin1');
      const m = CONTENT_LENGTH.exec(head);
      const length = m ? Number(m[1]) : 0;
      if (m && (!/^\d+$/.test(m[1] ?? '') || !Number.isSafeInteger(length))) {
        throw new FramingError('FRAMING_BAD_CONTENT_LENGTH', 'invalid Content-Length on a stream');
      }
      const total = headEnd + 4 + length;
      if (total > this.#maxMessageSize) throw new FramingError('FRAMING_TOO_LARGE', 'message exceeds maximum message size');
      if (this.#buf.length < total) break;
      out.push({ kind: 'message', raw: Buffer.from(this.#buf.subarray(0, total)) });
      this.#buf = this.#buf.subarray(total);
    }
    return out;
  }
}
