import { describe, expect, it } from 'vitest';
import { AuthError, DigestClient, DigestServer, buildCredentials, digestResponse, parseAuthCredentials, readChallenge, type DigestAlgorithm } from '../../../src/sip/index.js';
import { request } from '../fixtures/messages.js';
import { SipResponse, type SipRequest } from '../../../src/sip/index.js';

describe('digest computation against published vectors', () => {
  it('RFC 2617 §3.5: MD5, qop=auth (Mufasa / testrealm@host.com)', () => {
    expect(digestResponse({
      algorithm: 'MD5', username: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life', method: 'GET',
      uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', nc: '00000001', cnonce: '0a4f113b',
    })).toBe('6629fae49393a05397450978507c4ef1');
  });

  const rfc7616 = {
    username: 'Mufasa', realm: 'http-auth@example.org', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', qop: 'auth' as const, nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };
  it('RFC 7616 §3.9.1: MD5', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });
  it('RFC 7616 §3.9.1: SHA-256', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-256' })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('buildCredentials reproduces the RFC 7616 SHA-256 Authorization parameters', () => {
    const value = buildCredentials({
      challenge: readChallenge('Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'),
      username: 'Mufasa', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html', cnonce: rfc7616.cnonce, nc: 1,
    });
    const p = parseAuthCredentials(value).params;
    expect(p).toMatchObject({ response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1', nc: '00000001', qop: 'auth', opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS' });
  });
});

function challengeResponse(server: DigestServer, status: 401 | 407, stale = false): SipResponse {
  const ch = server.challenge({ proxy: status === 407, stale });
  return new SipResponse({ status, headers: ch.values.map((value) => ({ name: ch.name, value })) });
}

describe('DigestClient against DigestServer', () => {
  const users: Record<string, string> = { alice: 'secret-1' };
  const lookup = (u: string): string | undefined => users[u];
  const verify = (server: DigestServer, req: SipRequest, proxy = false) =>
    server.verify(req.method, req.headers.getFields(proxy ? 'proxy-authorization' : 'authorization'));

  for (const algorithm of ['MD5', 'SHA-256', 'MD5-sess', 'SHA-256-sess'] as DigestAlgorithm[]) {
    it(`authenticates a REGISTER with ${algorithm} and qop=auth`, () => {
      const server = new DigestServer({ realm: 'trunkgate', lookup, secret: 'k'.repeat(32), algorithms: [algorithm] });
      const req = request('REGISTER');
      req.headers.append(...Object.values(new DigestClient({ username: 'alice', password: 'secret-1' }).authorize(challengeResponse(server, 401), req)) as [string, string]);
      expect(verify(server, req)).toEqual({ ok: true, username: 'alice' });
    });
  }

  it('authenticates without qop (RFC 2069 form) and through Proxy-Authorization for a 407', () => {
    const server = new DigestServer({ realm: 'trunkgate', lookup, secret: 'k'.repeat(32), qop: false, algorithms: ['MD5'] });
    const req = request('INVITE');
    const h = new DigestClient({ username: 'alice', password: 'secret-1' }).authorize(challengeResponse(server, 407), req);
    expect(h.name).toBe('Proxy-Authorization');
    expect(parseAuthCredentials(h.value).params.qop).toBeUndefined();
    req.headers.append(h.name, h.value);
    expect(verify(server, req, true)).toEqual({ ok: true, username: 'alice' });
  });

  it('prefers SHA-256 when offered alongside MD5 and counts nonce uses (nc)', () => {
    const server = new DigestServer({ realm: 'trunkgate', lookup, secret: 'k'.repeat(32) });
    const client = new DigestClient({ username: 'alice', password: 'secret-1' });
    const ch = challengeResponse(server, 401);
    const first = parseAuthCredentials(client.authorize(ch, request('REGISTER')).value).params;
    const second = parseAuthCredentials(client.authorize(ch, request('REGISTER', { cseq: 2 })).value).params;
    expect(first.algorithm).toBe('SHA-256');
    expect([first.nc, second.nc]).toEqual(['00000001', '00000002']);
  });

  it('rejects a wrong password, an unknown user, a forged nonce and a missing header', () => {
    const server = new DigestServer({ realm: 'trunkgate', lookup, secret: 'k'.repeat(32) });
    const sign = (user: string, pass: string): ReturnType<typeof request> => {
      const req = request('REGISTER');
      const h = new DigestClient({ username: user, password: pass }).authorize(challengeResponse(server, 401), req);
      req.headers.append(h.name, h.value);
      return req;
    };
    expect(verify(server, sign('alice', 'wrong'))).toEqual({ ok: false, code: 'AUTH_WRONG_RESPONSE' });
    expect(verify(server, sign('mallory', 'x'))).toEqual({ ok: false, code: 'AUTH_WRONG_USER' });
    const other = new DigestServer({ realm: 'trunkgate', lookup, secret: 'another-secret-of-32-bytes-.....' });
    const forged = request('REGISTER');
    const h = new DigestClient({ username: 'alice', password: 'secret-1' }).authorize(challengeResponse(other, 401), forged);
    forged.headers.append(h.name, h.value);
    expect(verify(server, forged)).toEqual({ ok: false, code: 'AUTH_BAD_NONCE' });
    expect(verify(server, request('REGISTER'))).toEqual({ ok: false, code: 'AUTH_MISSING' });
  });

  it('reports an expired nonce as stale, and its new challenge carries stale=true', () => {
    let now = 1_000_000;
    const server = new DigestServer({ realm: 'trunkgate', lookup, secret: 'k'.repeat(32), nonceTtlMs: 60_000, now: () => now });
    const req = request('REGISTER');
    const h = new DigestClient({ username: 'alice', password: 'secret-1' }).authorize(challengeResponse(server, 401), req);
    req.headers.append(h.name, h.value);
    now += 59_000;
    expect(verify(server, req).ok).toBe(true);
    now += 2_000;
    expect(verify(server, req)).toEqual({ ok: false, code: 'AUTH_STALE' });
    expect(readChallenge(server.challenge({ stale: true }).values[0]!).stale).toBe(true);
  });

  it('throws AuthError AUTH_NO_CHALLENGE for a 401 without WWW-Authenticate', () => {
    const client = new DigestClient({ username: 'alice', password: 'x' });
    expect(() => client.authorize(new SipResponse({ status: 401 }), request('REGISTER'))).toThrow(AuthError);
    expect(() => client.authorize(new SipResponse({ status: 401 }), request('REGISTER'))).toThrow(expect.objectContaining({ code: 'AUTH_NO_CHALLENGE' }));
  });
});
