import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMultipart, parseMessage, parseMultipart, SipParseError } from '../../../src/sip/message/index.js';

const require = createRequire(import.meta.url);
const TORTURE_DIR = join(dirname(require.resolve('sip/package.json')), 'test', 'messages');

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const ISUP = Buffer.from([0x01, 0x00, 0x49, 0x00, 0x00, 0x03, 0x02, 0x00, 0x07, 0x04, 0x10, 0x00, 0x33, 0x63, 0x21, 0x43, 0x00, 0x0d, 0x0a]);

describe('multipart bodies (RFC 2046 §5.1)', () => {
  it('splits the RFC 4475 mpart01 body into its text and binary parts', () => {
    const m = parseMessage(readFileSync(join(TORTURE_DIR, 'mpart01.dat')));
    const parts = parseMultipart(m.body, m.contentType!);
    expect(parts.map((p) => p.headers.get('content-type'))).toEqual(['text/plain', 'application/octet-stream']);
    expect(parts[0]!.body.toString()).toBe('Hello');
    expect(parts[1]!.body[0]).toBe(0x30); // DER SEQUENCE of the certificate
    expect(parts[1]!.headers.get('Content-Transfer-Encoding')).toBe('binary');
  });

  it('builds SDP + ISUP (RFC 3204) and parses it back byte for byte, CRLFs in the binary part included', () => {
    const { body, contentType } = buildMultipart([
      { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: SDP },
      { headers: [{ name: 'Content-Type', value: 'application/ISUP;version=itu-t92+' }, { name: 'Content-Disposition', value: 'signal;handling=optional' }], body: ISUP },
    ]);
    expect(contentType).toMatch(/^multipart\/mixed;boundary=/);
    const parts = parseMultipart(body, contentType);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.body.toString()).toBe(SDP);
    expect(parts[1]!.body.equals(ISUP)).toBe(true);
    expect(parts[1]!.headers.get('Content-Disposition')).toBe('signal;handling=optional');
  });

  it('ignores preamble and epilogue, and accepts a quoted boundary', () => {
    const body = Buffer.from('preamble\r\n--b 1\r\nContent-Type: text/plain\r\n\r\none\r\n--b 1--\r\nepilogue');
    const parts = parseMultipart(body, 'multipart/mixed; boundary="b 1"');
    expect(parts.map((p) => p.body.toString())).toEqual(['one']);
  });

  it('rejects bodies without boundary or close delimiter with BAD_MULTIPART', () => {
    const codeOf = (fn: () => unknown): string | undefined => {
      try { fn(); } catch (e) { expect(e).toBeInstanceOf(SipParseError); return (e as SipParseError).code; }
      return undefined;
    };
    expect(codeOf(() => parseMultipart(Buffer.from('x'), 'multipart/mixed'))).toBe('BAD_MULTIPART');
    expect(codeOf(() => parseMultipart(Buffer.from('x'), 'application/sdp'))).toBe('BAD_MULTIPART');
    expect(codeOf(() => parseMultipart(Buffer.from('--b\r\n\r\nx'), 'multipart/mixed;boundary=b'))).toBe('BAD_MULTIPART');
    expect(codeOf(() => parseMultipart(Buffer.from('nothing here'), 'multipart/mixed;boundary=b'))).toBe('BAD_MULTIPART');
  });
});
