/**
 * RFC 4475 (SIP torture test messages, as shipped by the npm package `sip` in
 * node_modules/sip/test/messages) and RFC 5118 §4 (IPv6 torture messages, in fixtures/rfc5118).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatUri, parseMessage, SipParseError, type SipParseErrorCode } from '../../../src/sip/message/index.js';
import { views } from './views.js';

const require = createRequire(import.meta.url);
const TORTURE_DIR = join(dirname(require.resolve('sip/package.json')), 'test', 'messages');
const RFC5118_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'rfc5118');

type Verdict =
  | { accept: true; section: string; note?: string }
  | { accept: false; section: string; code: SipParseErrorCode; note?: string };

/**
 * Classification of every .dat file. `accept: true` with a note = syntactically valid, the
 * problem is semantic and answered by a higher layer (RFC 4475 §3.2 / §3.3).
 */
const RFC4475: Record<string, Verdict> = {
  // §3.1.1 valid messages
  wsinv: { accept: true, section: '3.1.1.1' },
  intmeth: { accept: true, section: '3.1.1.2' },
  esc01: { accept: true, section: '3.1.1.3' },
  escnull: { accept: true, section: '3.1.1.4' },
  esc02: { accept: true, section: '3.1.1.5' },
  lwsdisp: { accept: true, section: '3.1.1.6' },
  longreq: { accept: true, section: '3.1.1.7' },
  dblreq: { accept: true, section: '3.1.1.8', note: 'bytes after Content-Length are discarded (§18.3)' },
  semiuri: { accept: true, section: '3.1.1.9' },
  transports: { accept: true, section: '3.1.1.10' },
  mpart01: { accept: true, section: '3.1.1.11' },
  unreason: { accept: true, section: '3.1.1.12' },
  noreason: { accept: true, section: '3.1.1.13' },
  // §3.1.2 invalid messages
  badinv01: { accept: false, section: '3.1.2.1', code: 'BAD_VIA', note: 'empty Via params ";;,;,,"' },
  clerr: { accept: false, section: '3.1.2.2', code: 'CONTENT_LENGTH_MISMATCH' },
  ncl: { accept: false, section: '3.1.2.3', code: 'BAD_CONTENT_LENGTH', note: 'negative' },
  scalar02: { accept: false, section: '3.1.2.4', code: 'BAD_CSEQ', note: 'CSeq beyond 2**31' },
  scalarlg: { accept: false, section: '3.1.2.5', code: 'BAD_CSEQ' },
  quotbal: { accept: false, section: '3.1.2.6', code: 'BAD_NAME_ADDR' },
  ltgtruri: { accept: false, section: '3.1.2.7', code: 'BAD_REQUEST_URI' },
  lwsruri: { accept: false, section: '3.1.2.8', code: 'BAD_START_LINE' },
  lwsstart: { accept: false, section: '3.1.2.9', code: 'BAD_START_LINE' },
  trws: { accept: false, section: '3.1.2.10', code: 'BAD_START_LINE' },
  escruri: { accept: false, section: '3.1.2.11', code: 'BAD_REQUEST_URI', note: 'headers not allowed in Request-URI (§19.1.1)' },
  baddate: { accept: false, section: '3.1.2.12', code: 'BAD_HEADER_VALUE', note: 'Date must be GMT' },
  regbadct: { accept: false, section: '3.1.2.13', code: 'BAD_NAME_ADDR', note: 'addr-spec with ? outside <>' },
  badaspec: { accept: false, section: '3.1.2.14', code: 'BAD_URI', note: 'LWS inside <>' },
  baddn: { accept: false, section: '3.1.2.15', code: 'BAD_NAME_ADDR', note: 'the .dat lacks its final CRLF; the test restores it' },
  badvers: { accept: false, section: '3.1.2.16', code: 'BAD_VERSION' },
  mismatch01: { accept: false, section: '3.1.2.17', code: 'CSEQ_METHOD_MISMATCH' },
  mismatch02: { accept: false, section: '3.1.2.18', code: 'CSEQ_METHOD_MISMATCH' },
  bigcode: { accept: false, section: '3.1.2.19', code: 'BAD_STATUS' },
  // §3.2 transaction layer semantics
  badbranch: { accept: true, section: '3.2.1', note: 'branch without magic cookie: the transaction layer uses RFC 2543 matching' },
  // §3.3 application layer semantics
  insuf: { accept: false, section: '3.3.1', code: 'MISSING_HEADER', note: 'RFC 4475 asks for a 400 — done here' },
  unkscm: { accept: true, section: '3.3.2', note: 'unknown To scheme: the UA answers 416' },
  novelsc: { accept: true, section: '3.3.3', note: 'unknown Request-URI scheme: 416 at the UA' },
  unksm2: { accept: true, section: '3.3.4', note: 'unknown URI schemes in headers are opaque' },
  bext01: { accept: true, section: '3.3.5', note: 'unknown Require option tag: 420 at the UA' },
  invut: { accept: true, section: '3.3.6', note: 'unknown Content-Type: 415 at the UA' },
  regaut01: { accept: true, section: '3.3.7', note: 'unknown auth scheme: registrar answers 401/403' },
  multi01: { accept: false, section: '3.3.8', code: 'DUPLICATE_HEADER', note: 'two Call-ID/To/From/CSeq' },
  mcl01: { accept: false, section: '3.3.9', code: 'DUPLICATE_HEADER', note: 'two Content-Length' },
  bcast: { accept: true, section: '3.3.10', note: 'broadcast Via host: the transport drops it' },
  zeromf: { accept: true, section: '3.3.11', note: 'Max-Forwards 0: OPTIONS/other answered 483 by the UA' },
  cparam01: { accept: true, section: '3.3.12' },
  cparam02: { accept: true, section: '3.3.13' },
  regescrt: { accept: true, section: '3.3.14', note: 'escaped Route in Contact URI: registrar decides' },
  sdp01: { accept: true, section: '3.3.15', note: 'unacceptable Accept: 406/488 at the UA' },
  inv2543: { accept: true, section: '3.4.1', note: 'RFC 2543 style INVITE (no branch, no Max-Forwards) is still parsed' },
  // extras of the npm package, not from RFC 4475
  badcseq: { accept: false, section: 'npm sip extra', code: 'BAD_CSEQ' },
  test: { accept: false, section: 'npm sip extra', code: 'BAD_START_LINE', note: 'no SIP version in the request line' },
  baddn_sep: { accept: false, section: 'npm sip extra', code: 'EMPTY', note: 'only a CRLF' },
};

function load(name: string): Buffer {
  const raw = readFileSync(join(TORTURE_DIR, `${name}.dat`));
  if (name === 'baddn') return Buffer.concat([raw, Buffer.from('\r\n')]);
  return raw;
}

function reject(data: Buffer): SipParseError {
  try {
    parseMessage(data);
  } catch (err) {
    expect(err).toBeInstanceOf(SipParseError);
    return err as SipParseError;
  }
  throw new Error('expected a SipParseError');
}

describe('RFC 4475 torture messages', () => {
  const files = readdirSync(TORTURE_DIR).filter((f) => f.endsWith('.dat')).map((f) => f.slice(0, -4)).sort();

  it('every shipped message is classified in the table', () => {
    expect(files.filter((f) => !(f in RFC4475))).toEqual([]);
    expect(files.length).toBeGreaterThanOrEqual(49);
  });

  for (const name of Object.keys(RFC4475)) {
    const v = RFC4475[name]!;
    if (v.accept) {
      it(`${name} (§${v.section}) parses and re-serializes to an equivalent message`, () => {
        const m = parseMessage(load(name));
        const again = parseMessage(m.toBuffer());
        expect(views(again)).toEqual(views(m));
        expect(again.toBuffer().equals(m.toBuffer())).toBe(true);
      });
    } else {
      it(`${name} (§${v.section}) is rejected with ${v.code}`, () => {
        const err = reject(load(name));
        expect(err.code).toBe(v.code);
        expect(err.reason.length).toBeGreaterThan(0);
      });
    }
  }

  it('agrees with the npm sip parser on the .json sidecars for the fields both model', () => {
    const sidecars = readdirSync(TORTURE_DIR).filter((f) => f.endsWith('.json'));
    let compared = 0;
    for (const file of sidecars) {
      const name = file.slice(0, -5);
      if (!RFC4475[name]?.accept) continue;
      const expected = JSON.parse(readFileSync(join(TORTURE_DIR, file), 'utf8')) as {
        method?: string; uri?: string; status?: number; headers: Record<string, any>; content?: string;
      };
      // esc02 (§3.1.1.5): "RE%47IST%45R" is a method token, not an escaped REGISTER; npm sip unescapes it
      if (name === 'esc02') {
        expected.method = 'RE%47IST%45R';
        expected.headers.cseq.method = 'RE%47IST%45R';
      }
      const m = parseMessage(load(name));
      if (m.kind === 'request') {
        expect(m.method).toBe(expected.method);
        expect(m.uri).toBe(expected.uri);
      } else {
        expect(m.status).toBe(expected.status);
      }
      expect(m.callId).toBe(expected.headers['call-id']);
      expect(m.cseq).toEqual(expected.headers.cseq);
      // parameter names are lower-cased (types.ts: Params), so URIs compare case-insensitively
      expect(formatUri(m.from.uri).toLowerCase()).toBe(expected.headers.from.uri.toLowerCase());
      expect(m.from.params.tag).toBe(expected.headers.from.params.tag);
      expect(formatUri(m.to.uri).toLowerCase()).toBe(expected.headers.to.uri.toLowerCase());
      expect(m.vias.map((v) => v.host)).toEqual(expected.headers.via.map((v: { host: string }) => v.host));
      // dblreq: npm sip keeps the second request as body; §18.3 discards bytes beyond Content-Length
      // mpart01: the sidecar stored the binary part lossily (U+FFFD), so only lossless sidecars are compared
      if (expected.content !== undefined && name !== 'dblreq' && !expected.content.includes('\ufffd')) expect(m.body.toString('latin1')).toBe(expected.content);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(8);
  });

  it('typed views of wsinv survive folded lines, LWS around / : = and compact forms', () => {
    const m = parseMessage(load('wsinv'));
    expect(m.to.params.tag).toBe('1918181833n');
    expect(m.from.displayName).toBe('J Rosenberg \\"');
    expect(m.maxForwards).toBe(68);
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.vias).toHaveLength(3);
    expect(m.topVia).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: '192.0.2.2' });
  });

  it('a rejected request keeps the headers needed for the 400 (partialHeaders, isRequest)', () => {
    const err = reject(load('mismatch01'));
    expect(err.isRequest).toBe(true);
    expect(err.partialHeaders?.get('call-id')).toBeDefined();
    expect(err.partialHeaders?.getAll('via').length).toBeGreaterThan(0);
    expect(reject(load('bigcode')).isRequest).toBe(false);
  });
});

describe('RFC 5118 IPv6 torture messages', () => {
  const fixture = (name: string): Buffer => readFileSync(join(RFC5118_DIR, `${name}.sip`));
  const valid: Record<string, (m: ReturnType<typeof parseMessage>) => void> = {
    'ipv6-good': (m) => {
      expect(m.kind === 'request' && m.uri).toBe('sip:[2001:db8::10]');
      expect(m.topVia.host).toBe('[2001:db8::9:1]');
    },
    'port-ambiguous': (m) => expect(m.kind === 'request' && m.uri).toBe('sip:[2001:db8::10:5070]'),
    'port-unambiguous': (m) => expect(m.kind === 'request' && m.uri).toBe('sip:[2001:db8::10]:5070'),
    'via-received-param-with-delim': (m) => expect(m.topVia.params.received).toBe('[2001:db8::9:255]'),
    'via-received-param-no-delim': (m) => expect(m.topVia.params.received).toBe('2001:db8::9:255'),
    'ipv6-in-sdp': (m) => expect(m.body.toString()).toContain('IN IP6 2001:db8::20'),
    'mult-ip-in-header': (m) => {
      expect(m.vias.map((v) => [v.host, v.port])).toEqual([
        ['[2001:db8::9:1]', 6050], ['192.0.2.1', undefined], ['[2001:db8::9:255]', undefined]]);
      expect(m.vias[2]!.params.received).toBe('192.0.2.200');
    },
    'mult-ip-in-sdp': (m) => expect(m.contentType?.mediaType).toBe('application/sdp'),
    'ipv4-mapped-ipv6': (m) => expect(m.vias.map((v) => v.host)).toEqual(['[::ffff:192.0.2.10]', '[::ffff:192.0.2.2]']),
    'ipv6-correct-abnf-2-colons': (m) => expect(m.to.uri.host).toBe('[2001:db8::192.0.2.1]'),
  };
  for (const [name, check] of Object.entries(valid)) {
    it(`${name} parses, re-serializes equivalently and exposes the IPv6 references with brackets`, () => {
      const m = parseMessage(fixture(name));
      check(m);
      expect(views(parseMessage(m.toBuffer()))).toEqual(views(m));
    });
  }
  it('ipv6-bad (§4.2: IPv6 Request-URI host without brackets) is rejected with BAD_REQUEST_URI', () => {
    expect(reject(fixture('ipv6-bad')).code).toBe('BAD_REQUEST_URI');
  });
  it('ipv6-bug-abnf-3-colons (§4.10: "2001:db8:::192.0.2.1") is rejected with BAD_REQUEST_URI', () => {
    expect(reject(fixture('ipv6-bug-abnf-3-colons')).code).toBe('BAD_REQUEST_URI');
  });
});
