/** fast-check properties: serialize → parse is the identity on typed views; mutated input only ever throws SipParseError. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatNameAddr, formatUri, formatVia, parseMessage, parseNameAddr, parseUri, parseVia, SipParseError, SipRequest, SipResponse,
  type NameAddr, type Params, type SipUri, type Via,
} from '../../../src/sip/message/index.js';
import { loadCorpus, mutate, rng } from '../../fuzz/mutate.js';

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_G = /[\x00-\x1f\x7f]/g;
const LOWER_TOKEN = 'abcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`\'~';
const USER_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*\'()&=+$,;?/';

const chars = (set: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...set.split('')), { minLength: min, maxLength: max }).map((a) => a.join(''));
const token = chars(TOKEN_CHARS, 1, 12);
const lowerToken = chars(LOWER_TOKEN, 1, 10);
const escaped = fc.integer({ min: 0, max: 255 }).map((n) => '%' + n.toString(16).padStart(2, '0').toUpperCase());
const user = fc.array(fc.oneof(chars(USER_CHARS, 1, 6), escaped), { minLength: 1, maxLength: 4 }).map((a) => a.join(''));

const hostname = fc.array(chars('abcdefghijklmnopqrstuvwxyz0123456789', 1, 8), { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6().map((a) => `[${a}]`);
const host = fc.oneof(hostname, ipv4, ipv6);
const port = fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined });
const paramValue = fc.oneof(token, ipv4, ipv6);
const params: fc.Arbitrary<Params> = fc.dictionary(lowerToken, fc.option(paramValue, { nil: null }), { maxKeys: 4 })
  .map((d) => Object.assign({}, d));

// URI parameters use paramchar (RFC 3261 §25.1): unreserved / param-unreserved / escaped.
const uriParamName = chars('abcdefghijklmnopqrstuvwxyz0123456789-_.!~*\'()', 1, 10);
const uriParamValue = fc.oneof(chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*\'()[]/:&+$', 1, 10), ipv6);
const uriParams: fc.Arbitrary<Params> = fc.dictionary(uriParamName, fc.option(uriParamValue, { nil: null }), { maxKeys: 4 })
  .map((d) => Object.assign({}, d));

const sipUri: fc.Arbitrary<SipUri> = fc.record({
  scheme: fc.constantFrom('sip', 'sips'),
  user: fc.option(user, { nil: undefined }),
  host,
  port,
  params: uriParams,
  // hname/hvalue: hnv-unreserved / unreserved / escaped
  headers: fc.dictionary(chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 1, 8),
    fc.array(fc.oneof(chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*\'()[]/?:+$', 1, 6), escaped), { maxLength: 3 }).map((a) => a.join('')),
    { maxKeys: 2 }).map((d) => Object.assign({}, d)),
}).map((u) => {
  const out: SipUri = { scheme: u.scheme, host: u.host, params: u.params, headers: u.headers };
  if (u.user !== undefined) out.user = u.user;
  if (u.port !== undefined) out.port = u.port;
  return out;
});

// Display names: any printable Unicode, including quotes and backslashes (escaped as quoted-pairs).
const displayName = fc.option(
  fc.string({ unit: 'grapheme', maxLength: 16 }).filter((s) => !CONTROL.test(s)),
  { nil: undefined },
);
const nameAddr: fc.Arbitrary<NameAddr> = fc.record({ displayName, uri: sipUri, params }).map((n) => {
  const out: NameAddr = { uri: n.uri, params: n.params };
  if (n.displayName) out.displayName = n.displayName;
  return out;
});

const via: fc.Arbitrary<Via> = fc.record({
  transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'),
  host, port,
  params: fc.tuple(token, params).map(([b, p]) => ({ branch: 'z9hG4bK' + b, ...p })),
}).map((v) => {
  const out: Via = { protocol: 'SIP/2.0', transport: v.transport, host: v.host, params: v.params };
  if (v.port !== undefined) out.port = v.port;
  return out;
});

const headerValue = fc.string({ unit: 'grapheme', maxLength: 30 })
  .map((s) => s.replace(CONTROL_G, '').trim());
const extraHeader = fc.record({ name: token.map((t) => 'X-' + t), value: headerValue });
const body = fc.oneof(fc.constant(''), fc.string({ unit: 'grapheme', maxLength: 200 }));

interface Generated { from: NameAddr; to: NameAddr; vias: Via[]; callId: string; seq: number; extra: { name: string; value: string }[]; body: string }
const common: fc.Arbitrary<Generated> = fc.record({
  from: nameAddr, to: nameAddr, vias: fc.array(via, { minLength: 1, maxLength: 4 }),
  callId: token, seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  extra: fc.array(extraHeader, { maxLength: 4 }), body,
});

function headersOf(g: Generated, method: string): { name: string; value: string }[] {
  return [
    ...g.vias.map((v) => ({ name: 'Via', value: formatVia(v) })),
    { name: 'From', value: formatNameAddr(g.from) },
    { name: 'To', value: formatNameAddr(g.to) },
    { name: 'Call-ID', value: g.callId },
    { name: 'CSeq', value: `${g.seq} ${method}` },
    { name: 'Max-Forwards', value: '70' },
    ...g.extra,
  ];
}

describe('properties', () => {
  it('parseUri(formatUri(u)) equals u for generated SIP URIs (IPv6, escapes, params, headers)', () => {
    fc.assert(fc.property(sipUri, (u) => { expect(parseUri(formatUri(u))).toEqual(u); }), { numRuns: 500 });
  });

  it('parseNameAddr(formatNameAddr(n)) equals n, display names with quotes, backslashes and UTF-8 included', () => {
    fc.assert(fc.property(nameAddr, (n) => { expect(parseNameAddr(formatNameAddr(n))).toEqual(n); }), { numRuns: 500 });
  });

  it('parseVia(formatVia(v)) equals v', () => {
    fc.assert(fc.property(via, (v) => { expect(parseVia(formatVia(v))).toEqual([v]); }), { numRuns: 500 });
  });

  it('parse(serialize(request)) gives back the method, URI, typed views, headers and UTF-8 body', () => {
    // §19.1.1: a Request-URI carries no headers
    const requestUri = sipUri.map((u) => ({ ...u, headers: {} }));
    fc.assert(fc.property(token, requestUri, common, (method, uri, g) => {
      const req = new SipRequest({ method, uri: formatUri(uri), headers: headersOf(g, method), body: g.body });
      const m = parseMessage(req.toBuffer());
      if (m.kind !== 'request') throw new Error('request expected');
      expect(m.method).toBe(method);
      expect(parseUri(m.uri)).toEqual(uri);
      expect(m.from).toEqual(g.from);
      expect(m.to).toEqual(g.to);
      expect(m.vias).toEqual(g.vias);
      expect(m.cseq).toEqual({ seq: g.seq, method });
      expect(m.callId).toBe(g.callId);
      expect(m.body.toString('utf8')).toBe(g.body);
      expect(m.headers.fields().slice(0, -1)).toEqual(req.headers.fields());
    }), { numRuns: 300 });
  });

  it('parse(serialize(response)) gives back status, reason and typed views', () => {
    const reason = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(CONTROL_G, ''));
    fc.assert(fc.property(fc.integer({ min: 100, max: 699 }), reason, common, (status, r, g) => {
      const res = new SipResponse({ status, reason: r, headers: headersOf(g, 'INVITE'), body: g.body });
      const m = parseMessage(res.toBuffer());
      if (m.kind !== 'response') throw new Error('response expected');
      expect([m.status, m.reason]).toEqual([status, r]);
      expect(m.vias).toEqual(g.vias);
      expect(m.to).toEqual(g.to);
      expect(m.body.toString('utf8')).toBe(g.body);
    }), { numRuns: 300 });
  });

  it('mutated, truncated and extended torture messages never throw anything but SipParseError', () => {
    const corpus = loadCorpus();
    fc.assert(fc.property(fc.integer({ min: 0, max: corpus.length - 1 }), fc.integer(), (i, seed) => {
      const input = mutate(corpus[i]!, rng(seed));
      try {
        const m = parseMessage(input);
        void [m.callId, m.cseq, m.from, m.to, m.vias];
        for (const view of [() => m.contentType, () => m.maxForwards]) {
          try { view(); } catch (err) { expect(err).toBeInstanceOf(SipParseError); }
        }
        expect(() => parseMessage(m.toBuffer())).not.toThrow();
      } catch (err) {
        expect(err).toBeInstanceOf(SipParseError);
      }
    }), { numRuns: 3000 });
  });

  it('every prefix of a valid message is either rejected with SipParseError or parsed', () => {
    for (const msg of loadCorpus()) {
      for (let n = 0; n < msg.length; n += 7) {
        try { parseMessage(msg.subarray(0, n)); } catch (err) { expect(err).toBeInstanceOf(SipParseError); }
      }
    }
  });
});
