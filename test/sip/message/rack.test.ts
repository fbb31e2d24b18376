/** RFC 3262 §7.1 RSeq and §7.2 RAck: round trips (fast-check) and rejections by error code. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RSEQ, SipParseError, formatRAck, formatRSeq, parseRAck, parseRSeq, type RAck } from '../../../src/sip/message/index.js';

const METHOD_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`\'~';
const method = fc.array(fc.constantFrom(...METHOD_CHARS.split('')), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
const rack: fc.Arbitrary<RAck> = fc.record({
  rseq: fc.integer({ min: 1, max: MAX_RSEQ }),
  cseq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  method,
});
const lws = fc.constantFrom(' ', '  ', '\t', ' \t ');

function expectParseError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SipParseError);
    expect((err as SipParseError).code).toBe('BAD_HEADER_VALUE');
    return;
  }
  throw new Error('expected a SipParseError');
}

describe('RSeq (RFC 3262 §7.1)', () => {
  it('formatRSeq → parseRSeq is the identity on 1 … 2**32 − 1', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: MAX_RSEQ }), (n) => parseRSeq(formatRSeq(n)) === n));
  });

  it('accepts surrounding whitespace', () => {
    expect(parseRSeq('  988789 ')).toBe(988789);
  });

  it.each(['', '0', '-1', '4294967296', '12a', '1 2', '0x10'])('rejects %j with SipParseError BAD_HEADER_VALUE', (v) => {
    expectParseError(() => parseRSeq(v));
  });

  it('rejects everything that is not 1*DIGIT in range, and never throws anything but SipParseError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 14 }), (v) => {
      try {
        const n = parseRSeq(v);
        return /^[ \t]*\d{1,10}[ \t]*$/.test(v) && n >= 1 && n <= MAX_RSEQ;
      } catch (err) {
        return err instanceof SipParseError;
      }
    }));
  });
});

describe('RAck (RFC 3262 §7.2)', () => {
  it('parses the example of §7.2: "RAck: 776656 1 INVITE"', () => {
    expect(parseRAck('776656 1 INVITE')).toEqual({ rseq: 776656, cseq: 1, method: 'INVITE' });
  });

  it('formatRAck → parseRAck is the identity', () => {
    fc.assert(fc.property(rack, (r) => { expect(parseRAck(formatRAck(r))).toEqual(r); }));
  });

  it('reads any linear whitespace between the three parts', () => {
    fc.assert(fc.property(rack, lws, lws, lws, lws, (r, a, b, c, d) => {
      expect(parseRAck(`${a}${r.rseq}${b}${r.cseq}${c}${r.method}${d}`)).toEqual(r);
    }));
  });

  it('ignores tokens after the method, as sofia-sip does (SIPp: "RAck: 350402750 1 INVITE INVITE")', () => {
    expect(parseRAck('350402750 1 INVITE INVITE')).toEqual({ rseq: 350402750, cseq: 1, method: 'INVITE' });
    expect(parseRAck('7 2 INVITE ;x=y "z"')).toEqual({ rseq: 7, cseq: 2, method: 'INVITE' });
  });

  it('reads any trailing text after a valid RAck without changing it', () => {
    fc.assert(fc.property(rack, fc.string({ maxLength: 20 }), (r, tail) => {
      expect(parseRAck(`${formatRAck(r)} ${tail}`)).toEqual(r);
    }));
  });

  it('parses a response-num of 0 (it can match no RSeq: the PRACK gets 481, RFC 3262 §3)', () => {
    expect(parseRAck('0 1 INVITE')).toEqual({ rseq: 0, cseq: 1, method: 'INVITE' });
  });

  it.each(['', '1', '1 2', 'a 1 INVITE', '1 b INVITE', '1 2147483648 INVITE', '4294967296 1 INVITE', '1 2 IN"VITE'])(
    'rejects %j with SipParseError BAD_HEADER_VALUE', (v) => {
      expectParseError(() => parseRAck(v));
    });

  it('only ever throws SipParseError on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (v) => {
      try {
        parseRAck(v);
        return true;
      } catch (err) {
        return err instanceof SipParseError;
      }
    }));
  });
});
