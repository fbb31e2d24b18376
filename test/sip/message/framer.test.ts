import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError, StreamFramer } from '../../../src/sip/message/index.js';

function msg(body: string, cl: string = String(Buffer.byteLength(body))): Buffer {
  return Buffer.from([
    'MESSAGE sip:b@h SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>',
    'Call-ID: c', 'CSeq: 1 MESSAGE', `l: ${cl}`, '', body,
  ].join('\r\n'));
}

function collect(opts: { maxMessageSize?: number; role?: 'server' | 'client' } = {}) {
  const out = { messages: [] as Buffer[], pings: 0, pongs: 0, errors: [] as SipParseError[] };
  const framer = new StreamFramer({
    ...opts,
    onMessage: (m) => out.messages.push(m),
    onPing: () => out.pings++,
    onPong: () => out.pongs++,
    onError: (e) => out.errors.push(e),
  });
  return { framer, out };
}

describe('StreamFramer (RFC 3261 §18.3)', () => {
  it('splits back-to-back messages delivered one byte at a time', () => {
    const a = msg('héllo');
    const b = msg('');
    const { framer, out } = collect();
    const all = Buffer.concat([a, b, a]);
    for (let i = 0; i < all.length; i++) framer.push(all.subarray(i, i + 1));
    expect(out.messages.map((m) => m.toString())).toEqual([a.toString(), b.toString(), a.toString()]);
    expect(parseMessage(out.messages[0]!).body.toString()).toBe('héllo');
    expect(framer.buffered).toBe(0);
  });

  it('reports CRLFCRLF pings and CRLF pongs between messages (RFC 5626 §4.4.1)', () => {
    const { framer, out } = collect({ role: 'client' });
    framer.push(Buffer.from('\r\n\r\n'));
    framer.push(Buffer.concat([msg('x'), Buffer.from('\r\n\r\n\r\n'), msg('y')]));
    framer.push(Buffer.from('\r\n'));
    expect(out.pings).toBe(2);
    expect(out.pongs).toBe(2);
    expect(out.messages).toHaveLength(2);
  });

  it('as server, a ping split after its first CRLF is one ping; as client, a trailing CRLF is a pong at once', () => {
    const server = collect();
    server.framer.push(Buffer.from('\r\n'));
    expect([server.out.pings, server.out.pongs]).toEqual([0, 0]);
    server.framer.push(Buffer.from('\r\n'));
    expect([server.out.pings, server.out.pongs]).toEqual([1, 0]);
    const client = collect({ role: 'client' });
    client.framer.push(Buffer.from('\r\n'));
    expect(client.out.pongs).toBe(1);
  });

  it('waits for the rest of a body split across chunks', () => {
    const m = msg('0123456789');
    const { framer, out } = collect();
    framer.push(m.subarray(0, m.length - 3));
    expect(out.messages).toHaveLength(0);
    framer.push(m.subarray(m.length - 3));
    expect(out.messages).toHaveLength(1);
  });

  it('fails with MISSING_CONTENT_LENGTH or BAD_CONTENT_LENGTH and stops framing', () => {
    const noCl = Buffer.from('OPTIONS sip:h SIP/2.0\r\nCall-ID: c\r\n\r\n');
    const a = collect();
    a.framer.push(noCl);
    a.framer.push(msg('x'));
    expect(a.out.errors.map((e) => e.code)).toEqual(['MISSING_CONTENT_LENGTH']);
    expect(a.out.messages).toHaveLength(0);
    expect(a.framer.failed).toBe(true);
    const b = collect();
    b.framer.push(msg('x', '-1'));
    expect(b.out.errors.map((e) => e.code)).toEqual(['BAD_CONTENT_LENGTH']);
  });

  it('fails with MESSAGE_TOO_LARGE for a large Content-Length or an endless header block', () => {
    const a = collect({ maxMessageSize: 1000 });
    a.framer.push(msg('x', '5000'));
    expect(a.out.errors.map((e) => e.code)).toEqual(['MESSAGE_TOO_LARGE']);
    const b = collect({ maxMessageSize: 1000 });
    b.framer.push(Buffer.from('OPTIONS sip:h SIP/2.0\r\n' + 'X: y\r\n'.repeat(300)));
    expect(b.out.errors.map((e) => e.code)).toEqual(['MESSAGE_TOO_LARGE']);
  });

  it('finds a folded Content-Length', () => {
    const m = Buffer.from('OPTIONS sip:h SIP/2.0\r\nContent-Length:\r\n 3\r\n\r\nabc');
    const { framer, out } = collect();
    framer.push(m);
    expect(out.messages).toHaveLength(1);
  });

  it('property: any split of a stream of messages and keep-alives yields the same messages in order', () => {
    const item = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 300 }).map((b) => ({ kind: 'msg' as const, data: msg(b) })),
      fc.constant({ kind: 'ping' as const, data: Buffer.from('\r\n\r\n') }),
    );
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1 }), (items, cuts) => {
      // a pong (lone CRLF) right before a ping would merge with it, so the stream only carries pings
      const stream = Buffer.concat(items.map((i) => i.data));
      const { framer, out } = collect();
      let at = 0;
      for (let k = 0; at < stream.length; k++) {
        const n = cuts[k % cuts.length]!;
        framer.push(stream.subarray(at, at + n));
        at += n;
      }
      expect(out.messages.map((m) => m.toString('hex'))).toEqual(items.filter((i) => i.kind === 'msg').map((i) => i.data.toString('hex')));
      expect(out.pings).toBe(items.filter((i) => i.kind === 'ping').length);
      expect(out.errors).toEqual([]);
      expect(framer.buffered).toBe(0);
    }), { numRuns: 300 });
  });

  it('reassembles a 60 kB message delivered one byte per segment', () => {
    const big = msg('x'.repeat(60_000));
    const { framer, out } = collect();
    for (let i = 0; i < big.length; i++) framer.push(big.subarray(i, i + 1));
    expect(out.messages).toHaveLength(1);
    expect(out.messages[0]!.equals(big)).toBe(true);
  });
});
