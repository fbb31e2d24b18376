import { DrachtioError } from '../errors.js';

/**
 * drachtio's control-connection framing: `<byte length>#<payload>` where the length counts the
 * UTF-8 bytes of the payload (drachtio-srf wire-protocol.js `send`, drachtio-server client.cpp
 * `readMessageLength`). The payload itself is `<msgId>|<verb>|…[\r\n<SIP text>]`.
 */

/** drachtio-server reads at most 5 digits of length (its buffer holds 6 chars incl. '#'). */
const MAX_LENGTH_DIGITS = 9;
const HASH = 0x23;

export function encodeFrame(payload: string): Buffer {
  return encodeFrames([payload]);
}

/** Frames several payloads into one buffer, in order (one socket write for all of them). */
export function encodeFrames(payloads: readonly string[]): Buffer {
  let size = 0;
  const lengths = new Array<number>(payloads.length);
  for (let i = 0; i < payloads.length; i++) {
    const n = Buffer.byteLength(payloads[i]!, 'utf8');
    lengths[i] = n;
    size += n + decimalDigits(n) + 1;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < payloads.length; i++) {
    at += out.write(`${lengths[i]!}#`, at, 'latin1');
    at += out.write(payloads[i]!, at, 'utf8');
  }
  return out;
}

function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) { n = Math.floor(n / 10); d++; }
  return d;
}

/**
 * Accumulates bytes from a TCP stream and yields complete payloads. Splits anywhere (inside the
 * length prefix, inside a multi-byte character) are handled because lengths are in bytes.
 */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;

  /** Adds bytes; returns every payload now complete. Throws DrachtioError DRACHTIO_BAD_FRAME. */
  push(data: Buffer): string[] {
    this.#chunks.push(data);
    this.#buffered += data.length;
    let buf = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered);
    const out: string[] = [];
    let offset = 0;
    for (;;) {
      const hash = buf.indexOf(HASH, offset);
      if (hash < 0) {
        if (buf.length - offset > MAX_LENGTH_DIGITS) throw badLength(buf, offset, buf.length);
        break;
      }
      const digits = hash - offset;
      if (digits === 0 || digits > MAX_LENGTH_DIGITS) throw badLength(buf, offset, hash);
      let length = 0;
      for (let i = offset; i < hash; i++) {
        const d = buf[i]! - 0x30;
        if (d < 0 || d > 9) throw badLength(buf, offset, hash);
        length = length * 10 + d;
      }
      if (length === 0) throw badLength(buf, offset, hash);
      const end = hash + 1 + length;
      if (end > buf.length) break;
      out.push(buf.toString('utf8', hash + 1, end));
      offset = end;
    }
    buf = offset === 0 ? buf : buf.subarray(offset);
    this.#chunks = buf.length ? [buf] : [];
    this.#buffered = buf.length;
    return out;
  }

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.#buffered;
  }
}

function badLength(buf: Buffer, from: number, to: number): DrachtioError {
  const shown = buf.toString('latin1', from, Math.min(to, from + 16));
  return new DrachtioError('DRACHTIO_BAD_FRAME', `invalid length specifier '${shown}'`);
}
