import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isServerOwnedHeader, readAppSipText } from '../../src/drachtio/app-sip-text.js';
import { DrachtioError } from '../../src/drachtio/errors.js';

describe('reading the SIP text an application sends', () => {
  it('reads a request template as drachtio-srf writes it (headers, body, no Content-Length kept)', () => {
    const t = readAppSipText('INVITE sip:bob@127.0.0.1:5070 SIP/2.0\r\nX-Foo: bar\r\nfrom: sip:1234@localhost\r\nContent-Length: 3\r\n\r\nv=0');
    expect(t).toEqual({ kind: 'request', method: 'INVITE', uri: 'sip:bob@127.0.0.1:5070', body: 'v=0',
      headers: [{ name: 'X-Foo', value: 'bar' }, { name: 'from', value: 'sip:1234@localhost' }] });
  });

  it('reads a response with its reason phrase', () => {
    expect(readAppSipText('SIP/2.0 486 Busy Here\r\n\r\n')).toMatchObject({ kind: 'response', status: 486, reason: 'Busy Here' });
  });

  it('unfolds continuation lines (RFC 3261 §7.3.1)', () => {
    const t = readAppSipText('OPTIONS sip:x SIP/2.0\r\nSubject: a\r\n  b\r\n\r\n');
    expect(t.headers).toEqual([{ name: 'Subject', value: 'a b' }]);
  });

  it('rejects a garbage start line with DRACHTIO_BAD_MESSAGE', () => {
    try {
      readAppSipText('HELLO\r\n\r\n');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DrachtioError);
      expect((e as DrachtioError).code).toBe('DRACHTIO_BAD_MESSAGE');
    }
  });

  it('treats Via, Call-ID, CSeq, Content-Length and Max-Forwards as the server’s own', () => {
    for (const n of ['Via', 'v', 'Call-ID', 'i', 'CSeq', 'Content-Length', 'Max-Forwards']) expect(isServerOwnedHeader(n)).toBe(true);
    expect(isServerOwnedHeader('X-Custom')).toBe(false);
  });

  it('property: headers and body written in template form read back unchanged', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/).filter((n) => !/^(content-length|l)$/i.test(n));
    const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
    fc.assert(fc.property(fc.array(fc.record({ name, value }), { maxLength: 8 }), fc.string({ maxLength: 60 }), (headers, body) => {
      const text = `MESSAGE sip:a@127.0.0.1 SIP/2.0\r\n${headers.map((h) => `${h.name}: ${h.value}\r\n`).join('')}\r\n${body}`;
      const t = readAppSipText(text);
      expect(t.kind).toBe('request');
      expect(t.headers).toEqual(headers);
      expect(t.body).toBe(body);
    }));
  });
});
