import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError, SipRequest, SipResponse, tryParseMessage } from '../../../src/sip/message/index.js';

const crlf = (lines: string[]): string => lines.join('\r\n');

const INVITE_HEAD = [
  'INVITE sip:bob@biloxi.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.com>',
  'From: "Alice" <sip:alice@atlanta.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.com>',
];

function reject(data: string | Buffer): SipParseError {
  const r = tryParseMessage(data);
  if (r.ok) throw new Error('expected a parse error');
  return r.error;
}

describe('parseMessage', () => {
  it('parses a request and exposes typed views', () => {
    const m = parseMessage(crlf([...INVITE_HEAD, 'Content-Length: 0', '', '']));
    expect(m).toBeInstanceOf(SipRequest);
    if (m.kind !== 'request') throw new Error('request expected');
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:bob@biloxi.com');
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.com');
    expect(m.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(m.from.displayName).toBe('Alice');
    expect(m.from.params.tag).toBe('1928301774');
    expect(m.to.uri.user).toBe('bob');
    expect(m.topVia.params).toEqual({ branch: 'z9hG4bK776asdhds', rport: null });
    expect(m.maxForwards).toBe(70);
    expect(m.contentType).toBeUndefined();
    expect(m.body.length).toBe(0);
  });

  it('parses a response with a reason phrase containing spaces and UTF-8, or none at all', () => {
    const head = ['Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'To: <sip:b@h>;tag=2', 'From: <sip:a@h>;tag=1', 'Call-ID: x', 'CSeq: 1 INVITE', 'Content-Length: 0', '', ''];
    const m = parseMessage(crlf(['SIP/2.0 486 Busy Here — réessayez', ...head]));
    expect(m).toBeInstanceOf(SipResponse);
    if (m.kind !== 'response') throw new Error('response expected');
    expect(m.status).toBe(486);
    expect(m.reason).toBe('Busy Here — réessayez');
    const n = parseMessage(crlf(['SIP/2.0 100', ...head]));
    expect(n.kind === 'response' && n.reason).toBe('');
  });

  it('expands compact header names and unfolds continuation lines (RFC 3261 §7.3.1, §7.3.3)', () => {
    const m = parseMessage(crlf([
      'OPTIONS sip:b@h SIP/2.0', 'v: SIP/2.0/UDP h;branch=z9hG4bK1', 'f: <sip:a@h>', '  ;tag=1', 't: <sip:b@h>', 'i: abc',
      'CSeq: 1', '\tOPTIONS', 'Subject: first', ' second', '\t third', 'k: timer', 'l: 0', '', '']));
    expect(m.headers.get('From')).toBe('<sip:a@h> ;tag=1');
    expect(m.from.params.tag).toBe('1');
    expect(m.cseq).toEqual({ seq: 1, method: 'OPTIONS' });
    expect(m.headers.get('Subject')).toBe('first second third');
    expect(m.headers.fields().map((f) => f.name)).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Subject', 'Supported', 'Content-Length']);
  });

  it('keeps header names as written, whatever their case, and finds them case-insensitively', () => {
    const m = parseMessage(crlf(['OPTIONS sip:b@h SIP/2.0', 'VIA: SIP/2.0/UDP h;branch=z9hG4bK1', 'fROM: <sip:a@h>;tag=1',
      'To: <sip:b@h>', 'call-id: abc', 'CSEQ: 1 OPTIONS', 'MaX-fOrWaRdS: 0068', 'X-Custom-Header: v', 'Content-Length: 0', '', '']));
    expect(m.headers.fields().map((f) => f.name)).toEqual(['VIA', 'fROM', 'To', 'call-id', 'CSEQ', 'MaX-fOrWaRdS', 'X-Custom-Header', 'Content-Length']);
    expect([m.callId, m.from.params.tag, m.maxForwards, m.headers.get('x-custom-header')]).toEqual(['abc', '1', 68, 'v']);
  });

  it('applies Content-Length in bytes to a UTF-8 body, and serializes the byte length', () => {
    const body = 'Grüße 電話 🎧\r\n';
    const bytes = Buffer.byteLength(body);
    expect(bytes).toBeGreaterThan(body.length);
    const m = parseMessage(crlf([...INVITE_HEAD, 'Content-Type: text/plain;charset=utf-8', `Content-Length: ${bytes}`, '', body]));
    expect(m.body.toString('utf8')).toBe(body);
    expect(m.contentType?.params.charset).toBe('utf-8');
    const out = m.toString();
    expect(out).toContain(`Content-Length: ${bytes}\r\n`);
    expect(parseMessage(m.toBuffer()).body.equals(m.body)).toBe(true);
  });

  it('on datagrams: takes the rest as body without Content-Length, discards extra bytes, rejects a short body (§18.3)', () => {
    expect(parseMessage(crlf([...INVITE_HEAD, '', 'abc'])).body.toString()).toBe('abc');
    expect(parseMessage(crlf([...INVITE_HEAD, 'Content-Length: 2', '', 'abcdef'])).body.toString()).toBe('ab');
    expect(reject(crlf([...INVITE_HEAD, 'Content-Length: 20', '', 'abc'])).code).toBe('CONTENT_LENGTH_MISMATCH');
  });

  it('ignores CRLFs before the start line (§7.5) and accepts bare LF line ends', () => {
    expect(parseMessage('\r\n\r\n' + crlf([...INVITE_HEAD, 'Content-Length: 0', '', ''])).kind).toBe('request');
    expect(parseMessage([...INVITE_HEAD, 'Content-Length: 0', '', ''].join('\n')).callId).toBe('a84b4c76e66710@pc33.atlanta.com');
  });

  it('accepts a string or a Buffer and takes the body as a view of the input', () => {
    const raw = Buffer.from(crlf([...INVITE_HEAD, 'Content-Length: 3', '', 'xyz']));
    const m = parseMessage(raw);
    expect(m.body.buffer).toBe(raw.buffer);
  });

  it('rejects start-line errors with distinct codes', () => {
    const rest = INVITE_HEAD.slice(1).concat(['Content-Length: 0', '', '']);
    const cases: [string, string][] = [
      ['INVITE sip:bob@biloxi.com SIP/3.0', 'BAD_VERSION'],
      ['SIP/3.0 200 OK', 'BAD_VERSION'],
      ['INVITE  sip:bob@biloxi.com SIP/2.0', 'BAD_START_LINE'],
      ['INVITE sip:bob@biloxi.com SIP/2.0 ', 'BAD_START_LINE'],
      ['INVITE sip:bob@biloxi.com', 'BAD_START_LINE'],
      ['INV"ITE sip:bob@biloxi.com SIP/2.0', 'BAD_METHOD'],
      [' INVITE sip:bob@biloxi.com SIP/2.0', 'BAD_METHOD'],
      ['SIP/2.0 2000 OK', 'BAD_STATUS'],
      ['SIP/2.0 099 Nope', 'BAD_STATUS'],
      ['SIP/2.0 7xx Nope', 'BAD_STATUS'],
      ['INVITE <sip:bob@biloxi.com> SIP/2.0', 'BAD_REQUEST_URI'],
    ];
    for (const [line, code] of cases) expect(reject(crlf([line, ...rest])).code, line).toBe(code);
  });

  it('rejects header errors with distinct codes', () => {
    const base = (extra: string[], drop?: string): string =>
      crlf([...INVITE_HEAD.filter((l) => !drop || !l.startsWith(drop)), ...extra, '', '']);
    expect(reject(base(['Bad Header: x'])).code).toBe('BAD_HEADER');
    expect(reject(base(['NoColonHere'])).code).toBe('BAD_HEADER');
    expect(reject(base(['X-Ctl: a\x00b'])).code).toBe('BAD_HEADER');
    expect(reject(base(['X-Ctl: a\rb'])).code).toBe('BAD_HEADER');
    expect(parseMessage(base(['X-Quoted: "nul \\\x00 escaped"', 'Content-Length: 0'])).headers.get('X-Quoted')).toBe('"nul \\\x00 escaped"');
    expect(reject(base([], 'Call-ID')).code).toBe('MISSING_HEADER');
    expect(reject(base([], 'Via')).code).toBe('MISSING_HEADER');
    expect(reject(base(['CSeq: 2 INVITE'])).code).toBe('DUPLICATE_HEADER');
    expect(reject(base(['Content-Length: x'])).code).toBe('BAD_CONTENT_LENGTH');
    expect(reject(base(['Max-Forwards: 256'], 'Max-Forwards')).code).toBe('BAD_MAX_FORWARDS');
    expect(reject(crlf(INVITE_HEAD)).code).toBe('NO_HEADER_END');
    expect(reject('').code).toBe('EMPTY');
  });

  it('a rejected request carries isRequest and the headers read so far for the 400', () => {
    const err = reject(crlf([...INVITE_HEAD.map((l) => l.replace('CSeq: 314159 INVITE', 'CSeq: 314159 BYE')), '', '']));
    expect(err).toBeInstanceOf(SipParseError);
    expect(err.code).toBe('CSEQ_METHOD_MISMATCH');
    expect(err.isRequest).toBe(true);
    expect(err.partialHeaders?.get('Call-ID')).toBe('a84b4c76e66710@pc33.atlanta.com');
    expect(err.partialHeaders?.get('To')).toBe('Bob <sip:bob@biloxi.com>');
    expect(() => parseMessage('garbage\r\n\r\n')).toThrow(SipParseError);
  });
});

describe('SipRequest / SipResponse', () => {
  it('a constructed request serializes with a computed Content-Length and parses back', () => {
    const req = new SipRequest({
      method: 'MESSAGE', uri: 'sip:bob@[2001:db8::1]:5070',
      headers: [
        { name: 'Via', value: 'SIP/2.0/TCP [2001:db8::2];branch=z9hG4bKx' },
        { name: 'From', value: '<sip:a@h>;tag=1' }, { name: 'To', value: '<sip:bob@[2001:db8::1]>' },
        { name: 'Call-ID', value: 'c' }, { name: 'CSeq', value: '5 MESSAGE' }, { name: 'Content-Length', value: '999' },
      ],
      body: 'héllo',
    });
    const text = req.toString();
    expect(text.startsWith('MESSAGE sip:bob@[2001:db8::1]:5070 SIP/2.0\r\n')).toBe(true);
    expect(text).toContain('Content-Length: 6\r\n\r\nhéllo');
    const back = parseMessage(req.toBuffer());
    expect(back.body.toString()).toBe('héllo');
    expect(back.topVia.host).toBe('[2001:db8::2]');
  });

  it('adds Content-Length when absent and recomputes typed views after header changes', () => {
    const res = new SipResponse({ status: 200, headers: [{ name: 'CSeq', value: '1 BYE' }] });
    expect(res.toString()).toBe('SIP/2.0 200 \r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n');
    expect(res.cseq.seq).toBe(1);
    res.headers.set('CSeq', '2 BYE');
    expect(res.cseq.seq).toBe(2);
  });

  it('requestUri and contacts are typed views; requestUri follows changes of uri', () => {
    const m = parseMessage(crlf([...INVITE_HEAD, 'Contact: <sip:second@192.0.2.9>;expires=60', 'Content-Length: 0', '', ''])) as SipRequest;
    expect(m.requestUri).toMatchObject({ scheme: 'sip', user: 'bob', host: 'biloxi.com' });
    const contacts = m.contacts;
    expect(contacts !== '*' && contacts.map((c) => c.uri.user)).toEqual(['alice', 'second']);
    m.uri = 'sips:carol@[2001:db8::3]:5061';
    expect(m.requestUri).toMatchObject({ scheme: 'sips', user: 'carol', host: '[2001:db8::3]', port: 5061 });
    const star = parseMessage(crlf([...INVITE_HEAD.filter((l) => !l.startsWith('Contact')).map((l) => l.replace(/INVITE/g, 'REGISTER')), 'Contact: *', 'Expires: 0', '', '']));
    expect(star.contacts).toBe('*');
    expect(reject(crlf([...INVITE_HEAD, 'Contact: *', '', ''])).code).toBe('BAD_NAME_ADDR');
  });

  it('typed views of a missing header throw MISSING_HEADER', () => {
    const res = new SipResponse({ status: 200 });
    for (const view of [() => res.from, () => res.vias, () => res.callId, () => res.cseq]) {
      expect(view).toThrow(SipParseError);
      expect(view).toThrow(expect.objectContaining({ code: 'MISSING_HEADER' }));
    }
  });
});
