import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestServer, parseDigestParams, type DigestServerOptions } from '../../src/digest/index.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** What a client computes (RFC 7616 §3.4.1, qop=auth). */
function answer(challenge: { values: string[] }, user: string, password: string, method = 'INVITE', uri = 'sip:1@gw'): string {
  const c = parseDigestParams(challenge.values[0]!)!;
  const ha1 = md5(`${user}:${c.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${c.nonce}:00000001:abc:auth:${ha2}`);
  return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", qop=auth, nc=00000001, cnonce="abc", algorithm=MD5`;
}

/** The gateway's use: one user per trunk, MD5 as carriers answer it. */
const carrier = (o: Partial<DigestServerOptions> = {}): DigestServer =>
  new DigestServer({ realm: 'tg', lookup: (u) => (u === 'carrier' ? 'pw' : undefined), algorithms: ['MD5'], ...o });

describe('DigestServer (RFC 7616 / RFC 3261 §22.4)', () => {
  it('accepts the right password', () => {
    const s = carrier();
    expect(s.verify('INVITE', answer(s.challenge(), 'carrier', 'pw'))).toEqual({ ok: true, username: 'carrier' });
  });
  it('rejects a wrong password, a wrong user and a missing header with distinct codes', () => {
    const s = carrier();
    expect(s.verify('INVITE', answer(s.challenge(), 'carrier', 'nope'))).toEqual({ ok: false, code: 'AUTH_WRONG_RESPONSE' });
    expect(s.verify('INVITE', answer(s.challenge(), 'mallory', 'pw'))).toEqual({ ok: false, code: 'AUTH_WRONG_USER' });
    expect(s.verify('INVITE', undefined)).toEqual({ ok: false, code: 'AUTH_MISSING' });
  });
  it('rejects a nonce it did not issue', () => {
    const a = carrier();
    const b = carrier();
    expect(b.verify('INVITE', answer(a.challenge(), 'carrier', 'pw'))).toEqual({ ok: false, code: 'AUTH_BAD_NONCE' });
  });
  it('reports an expired nonce as stale and challenges again with stale=true', () => {
    let now = 0;
    const s = carrier({ nonceTtlMs: 1000, now: () => now });
    const auth = answer(s.challenge(), 'carrier', 'pw');
    now = 2000;
    expect(s.verify('INVITE', auth)).toEqual({ ok: false, code: 'AUTH_STALE' });
    expect(parseDigestParams(s.challenge({ stale: true }).values[0]!)!.stale).toBe('true');
  });
  it('binds the response to the method', () => {
    const s = carrier();
    expect(s.verify('BYE', answer(s.challenge(), 'carrier', 'pw', 'INVITE'))).toEqual({ ok: false, code: 'AUTH_WRONG_RESPONSE' });
  });
});
