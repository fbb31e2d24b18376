import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FramingError, StreamFramer } from '../../../src/sip/transport/framing.js';

function message(i: number, body: string): string {
  return `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-${i}\r\nCall-ID: c${i}\r\n` +
    `CSeq: ${i + 1} OPTIONS\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

describe('StreamFramer (RFC 3261 §18.3 framing, RFC 5626 keep-alives)', () => {
  it('yields the same messages however the byte stream is cut into chunks (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 40 }),
      fc.boolean(),
      (bodies, cuts, pings) => {
        const msgs = bodies.map((b, i) => message(i, b));
        const stream = Buffer.from(msgs.map((m) => (pings ? '\r\n\r\n' : '') + m).join(''));
        const framer = new StreamFramer({ maxMessageSize: 65_535 });
        const out: string[] = [];
        let pingCount = 0;
        let at = 0;
        let k = 0;
        while (at < stream.length) {
          const n = cuts[k++ % cuts.length]!;
          for (const item of framer.push(stream.subarray(at, at + n))) {
            if (item.kind === 'message') out.push(item.raw.toString());
            else if (item.kind === 'ping') pingCount++;
          }
          at += n;
        }
        expect(out).toEqual(msgs);
        expect(pingCount).toBe(pings ? msgs.length : 0);
        expect(framer.pending).toBe(0);
      },
    ), { numRuns: 300 });
  });

  it('reports a single CRLF as a pong, not a message', () => {
    const f = new StreamFramer({ maxMessageSize: 1000 });
    expect(f.push(Buffer.from('\r\n'))).toEqual([]);
    expect(f.push(Buffer.from('O'))).toEqual([{ kind: 'pong' }]);
  });

  it('throws FramingError FRAMING_TOO_LARGE for an oversized header block or body', () => {
    const f = new StreamFramer({ maxMessageSize: 100 });
    expect(() => f.push(Buffer.from('X'.repeat(200)))).toThrow(FramingError);
    const g = new StreamFramer({ maxMessageSize: 100 });
    try {
      g.push(Buffer.from('OPTIONS sip:x SIP/2.0\r\nContent-Length: 500\r\n\r\n'));
      expect.unreachable();
    } catch (e) {
      expect((e as FramingError).code).toBe('FRAMING_TOO_LARGE');
    }
  });

  it('throws FRAMING_BAD_CONTENT_LENGTH for a non-numeric Content-Length', () => {
    const f = new StreamFramer({ maxMessageSize: 1000 });
    expect(() => f.push(Buffer.from('OPTIONS sip:x SIP/2.0\r\nl: abc\r\n\r\n'))).toThrow(FramingError);
  });
});
