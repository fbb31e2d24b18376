/**
 * The client side of TLS (RFC 3261 §26.3.1, RFC 5922 §7.3): a request the stack sends over TLS
 * goes only to a server whose certificate chains to a trusted CA and names the host of the URI
 * (SNI set for names). The servers are real TLS listeners on 127.0.0.1 with certificates made by
 * openssl for each run.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type TLSSocket } from 'node:tls';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  SipRequest, SipStack, createResponse, generateCallId, generateTag, parseMessage, resolveUri, resolveUriSync, type TransactionError, type TlsClientOptions,
} from '../../../src/sip/index.js';
import { serverIdentityError, sipUriIdentities } from '../../../src/sip/transport/tls-identity.js';
import { issueCert, makeTestCa, type TestCa, type TestCert } from '../../helpers/tls-certs.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let ca: TestCa;
const certs: Record<'ip' | 'localhost' | 'other' | 'carrier' | 'sipUri' | 'selfSigned', TestCert> = {} as never;
beforeAll(() => {
  ca = makeTestCa();
  certs.ip = issueCert(ca, ca.dir, 'ip', 'IP:127.0.0.1');
  certs.localhost = issueCert(ca, ca.dir, 'localhost', 'DNS:localhost');
  certs.other = issueCert(ca, ca.dir, 'other', 'DNS:other.example');
  certs.carrier = issueCert(ca, ca.dir, 'carrier', 'DNS:sbc.carrier.example');
  certs.sipUri = issueCert(ca, ca.dir, 'sip-uri', 'URI:sip:carrier.example');
  certs.selfSigned = issueCert(undefined, ca.dir, 'self-signed', 'IP:127.0.0.1');
});

interface TlsSipServer {
  port: number;
  /** TCP connections accepted (a client that refuses the certificate closes before the server's handshake ends). */
  connections: number;
  /** The SNI server_names sent, in order (a connection without SNI adds none). */
  servernames: string[];
  requests: SipRequest[];
}

/** A bare node:tls server that answers every request 200 on the connection it came on. */
async function tlsSipServer(cert: TestCert): Promise<TlsSipServer> {
  const out: TlsSipServer = { port: 0, connections: 0, servernames: [], requests: [] };
  const server = createServer({
    cert: readFileSync(cert.cert), key: readFileSync(cert.key),
    SNICallback: (name, cb) => { out.servernames.push(name); cb(null, undefined); },
  }, (socket: TLSSocket) => {
    let buf = '';
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      let end: number;
      // The test's requests carry no body.
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const req = parseMessage(Buffer.from(buf.slice(0, end + 4), 'latin1')) as SipRequest;
        buf = buf.slice(end + 4);
        out.requests.push(req);
        socket.write(createResponse(req, 200).toBuffer());
      }
    });
    socket.on('error', () => undefined);
  });
  server.on('connection', () => { out.connections++; });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  out.port = (server.address() as { port: number }).port;
  cleanups.push(() => new Promise<void>((r) => { server.close(() => r()); }));
  return out;
}

/** A stack with a TLS listener (TLS requests leave from it) and the given client options; its log lines collected. */
async function client(tlsClient?: TlsClientOptions, extra: { idleConnectionTimeout?: number } = {}): Promise<{ stack: SipStack; logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { for (const l of chunk.toString().split('\n')) if (l) logs.push(JSON.parse(l) as Record<string, unknown>); cb(); } });
  const stack = new SipStack({
    listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0, tls: { cert: readFileSync(certs.ip.cert), key: readFileSync(certs.ip.key) } }],
    logger: pino({ level: 'info' }, sink),
    ...(tlsClient ? { tlsClient } : {}),
    ...extra,
  });
  await stack.start();
  cleanups.push(() => stack.close());
  return { stack, logs };
}

function options(uri: string): SipRequest {
  return new SipRequest({ method: 'OPTIONS', uri, headers: [
    { name: 'From', value: `<sip:a@127.0.0.1>;tag=${generateTag()}` }, { name: 'To', value: `<${uri}>` },
    { name: 'Call-ID', value: generateCallId() }, { name: 'CSeq', value: '1 OPTIONS' }, { name: 'Max-Forwards', value: '70' },
  ] });
}

/** Sends OPTIONS to `uri`: the final status, and the transport error under a synthetic 503. */
async function send(stack: SipStack, uri: string): Promise<{ status: number; code?: string; message?: string; warning?: string }> {
  let transportError: TransactionError | undefined;
  const tx = stack.sendRequest(options(uri), { onTransportError: (e) => { transportError = e; } });
  const res = await tx.response;
  const cause = transportError?.cause as { code?: string; message?: string } | undefined;
  return { status: res.status, ...(cause ? { code: cause.code, message: cause.message } : {}), ...(res.headers.get('warning') ? { warning: res.headers.get('warning') } : {}) };
}

const withCa = (o: Partial<TlsClientOptions> = {}): TlsClientOptions => ({ verifyServer: true, ca: readFileSync(ca.cert), ...o });

describe('TLS client: the server certificate (RFC 5922 §7.3)', () => {
  it('a server whose certificate the configured CA signed, for IP 127.0.0.1, is reached at sip:…@127.0.0.1;transport=tls (no SNI for an address)', async () => {
    const server = await tlsSipServer(certs.ip);
    const { stack, logs } = await client(withCa());
    expect(await send(stack, `sip:b@127.0.0.1:${server.port};transport=tls`)).toEqual({ status: 200 });
    expect(server.connections).toBe(1);
    expect(server.servernames).toEqual([]);
    expect(logs.filter((l) => l.event === 'tls_server_refused')).toEqual([]);
  });

  it('without the CA the send fails with TRANSPORT_TLS_VERIFY_FAILED naming the host and OpenSSL\'s reason; the transaction gets a 503 with a Warning, the server gets nothing, one tls_server_refused line', async () => {
    const server = await tlsSipServer(certs.ip);
    const { stack, logs } = await client({ verifyServer: true });
    const r = await send(stack, `sip:b@127.0.0.1:${server.port};transport=tls`);
    expect(r).toMatchObject({ status: 503, code: 'TRANSPORT_TLS_VERIFY_FAILED' });
    expect(r.message).toContain('127.0.0.1');
    expect(r.message).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(r.warning).toMatch(/^399 trunkgate ".*UNABLE_TO_VERIFY_LEAF_SIGNATURE.*"$/);
    expect(server.requests).toEqual([]);
    const refused = logs.filter((l) => l.event === 'tls_server_refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ level: 40, host: '127.0.0.1', remote: `127.0.0.1:${server.port}`, code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(stack.counters().connections).toBe(0);
  });

  it('a self-signed certificate is refused as DEPTH_ZERO_SELF_SIGNED_CERT unless that certificate is the CA given', async () => {
    const server = await tlsSipServer(certs.selfSigned);
    const refused = await client(withCa());
    expect(await send(refused.stack, `sip:b@127.0.0.1:${server.port};transport=tls`)).toMatchObject({ status: 503, code: 'TRANSPORT_TLS_VERIFY_FAILED', message: expect.stringContaining('DEPTH_ZERO_SELF_SIGNED_CERT') });
    const trusting = await client({ verifyServer: true, ca: readFileSync(certs.selfSigned.cert) });
    expect(await send(trusting.stack, `sip:b@127.0.0.1:${server.port};transport=tls`)).toEqual({ status: 200 });
  });

  it('a certificate for another name (DNS:other.example) is refused for sip:…@localhost: ERR_TLS_CERT_ALTNAME_INVALID, the reason naming both', async () => {
    const server = await tlsSipServer(certs.other);
    const { stack, logs } = await client(withCa());
    const r = await send(stack, `sip:b@localhost:${server.port};transport=tls`);
    expect(r).toMatchObject({ status: 503, code: 'TRANSPORT_TLS_VERIFY_FAILED' });
    expect(r.message).toMatch(/localhost.*ERR_TLS_CERT_ALTNAME_INVALID.*other\.example/);
    expect(logs.find((l) => l.event === 'tls_server_refused')).toMatchObject({ host: 'localhost', code: 'ERR_TLS_CERT_ALTNAME_INVALID', reason: expect.stringContaining('DNS:other.example') });
    expect(server.requests).toEqual([]);
    // SNI carried the name the URI gave (RFC 5922 §7.8).
    expect(server.servernames).toEqual(['localhost']);
  });

  it('a certificate for DNS:localhost serves sip:…@localhost (SNI localhost), but not sip:…@127.0.0.1 at the same port: each identity gets its own connection and check', async () => {
    const server = await tlsSipServer(certs.localhost);
    const { stack } = await client(withCa());
    expect(await send(stack, `sip:b@localhost:${server.port};transport=tls`)).toEqual({ status: 200 });
    expect(await send(stack, `sip:b@localhost:${server.port};transport=tls`)).toEqual({ status: 200 });
    // The second request reused the verified connection.
    expect(server.connections).toBe(1);
    expect(server.servernames).toEqual(['localhost']);
    expect(await send(stack, `sip:b@127.0.0.1:${server.port};transport=tls`)).toMatchObject({ status: 503, code: 'TRANSPORT_TLS_VERIFY_FAILED', message: expect.stringContaining('ERR_TLS_CERT_ALTNAME_INVALID') });
    expect(server.connections).toBe(2);
    expect(server.servernames).toEqual(['localhost']);
    expect(server.requests).toHaveLength(2);
  });

  it('a server at an address whose namesFor lists its certificate\'s name (a trunk\'s tls.server_names) is reached at its IP address', async () => {
    const server = await tlsSipServer(certs.carrier);
    const { stack } = await client(withCa({ namesFor: (address) => (address === '127.0.0.1' ? ['sbc.carrier.example'] : []) }));
    expect(await send(stack, `sip:b@127.0.0.1:${server.port};transport=tls`)).toEqual({ status: 200 });
    const strict = await client(withCa());
    expect(await send(strict.stack, `sip:b@127.0.0.1:${server.port};transport=tls`)).toMatchObject({ status: 503, code: 'TRANSPORT_TLS_VERIFY_FAILED' });
  });

  it('verifyServer: false accepts an untrusted certificate for another name', async () => {
    const server = await tlsSipServer(certs.other);
    const { stack, logs } = await client({ verifyServer: false });
    expect(await send(stack, `sip:b@localhost:${server.port};transport=tls`)).toEqual({ status: 200 });
    expect(logs.filter((l) => l.event === 'tls_server_refused')).toEqual([]);
  });

  it('without tlsClient options the stack verifies against Node\'s roots: the test CA\'s certificate is refused', async () => {
    const server = await tlsSipServer(certs.ip);
    const { stack } = await client();
    expect(await send(stack, `sip:b@127.0.0.1:${server.port};transport=tls`)).toMatchObject({ status: 503, code: 'TRANSPORT_TLS_VERIFY_FAILED' });
  });

  it('a refused connection is not kept: the next request to the same server connects and checks again', async () => {
    const server = await tlsSipServer(certs.ip);
    const { stack, logs } = await client({ verifyServer: true });
    await send(stack, `sip:b@127.0.0.1:${server.port};transport=tls`);
    await send(stack, `sip:b@127.0.0.1:${server.port};transport=tls`);
    expect(server.connections).toBe(2);
    expect(logs.filter((l) => l.event === 'tls_server_refused')).toHaveLength(2);
  });
});

describe('TLS client inside a dialog', () => {
  it('requests to the IP address in the peer\'s Contact are checked against the name the INVITE went to (Dialog.peerHost), also on a new connection', async () => {
    // B: a stack whose TLS certificate names only DNS:localhost; its Contact gives 127.0.0.1.
    const b = new SipStack({ listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0, tls: { cert: readFileSync(certs.localhost.cert), key: readFileSync(certs.localhost.key) } }] });
    b.onRequest((r) => b.respond(r.transaction, createResponse(r.message, 200, 'OK', { headers: [{ name: 'Contact', value: b.contact('tls', 'b', undefined, 'sip') }] })));
    await b.start();
    cleanups.push(() => b.close());
    const port = b.localEndpoint('tls')!.port;
    const { stack: a } = await client(withCa(), { idleConnectionTimeout: 150 });

    const callId = generateCallId();
    const fromTag = generateTag();
    const invite = new SipRequest({ method: 'INVITE', uri: `sip:b@localhost:${port};transport=tls`, headers: [
      { name: 'From', value: `<sip:a@127.0.0.1>;tag=${fromTag}` }, { name: 'To', value: `<sip:b@localhost:${port}>` },
      { name: 'Call-ID', value: callId }, { name: 'CSeq', value: '1 INVITE' }, { name: 'Contact', value: a.contact('tls', 'a', undefined, 'sip') },
    ] });
    const res = await a.sendRequest(invite).response;
    expect(res.status).toBe(200);
    const dialog = a.findDialog(callId, fromTag, res.to.params.tag!)!;
    expect(dialog.remoteTarget).toMatch(/^sip:b@127\.0\.0\.1:\d+;transport=tls$/);
    expect(dialog.peerHost).toBe('localhost');
    await a.sendAck(dialog);
    // Let the idle timer close the connection: the BYE opens a new one and checks it for "localhost".
    while (a.counters().connections > 0) await new Promise((r) => setTimeout(r, 25));
    let transportError: TransactionError | undefined;
    const bye = await a.sendRequest(dialog.createRequest('BYE'), { dialog, onTransportError: (e) => { transportError = e; } }).response;
    expect(transportError).toBeUndefined();
    expect(bye.status).toBe(200);
    // The same address with no name to go by is refused: the certificate does not name 127.0.0.1.
    expect(await send(a, `sip:b@127.0.0.1:${port};transport=tls`)).toMatchObject({ status: 503, code: 'TRANSPORT_TLS_VERIFY_FAILED' });
  });
});

describe('the name an endpoint stands for (Endpoint.host)', () => {
  it('is the URI\'s host when it is a name (lower case), absent for an IP literal; maddr moves the address, not the name', async () => {
    expect(resolveUriSync('sips:desk@LocalHost:5071')).toEqual({ protocol: 'tls', address: '127.0.0.1', port: 5071, host: 'localhost' });
    expect(resolveUriSync('sip:desk@127.0.0.1;transport=tls')).toEqual({ protocol: 'tls', address: '127.0.0.1', port: 5061 });
    expect(resolveUriSync('sip:desk@[::1]:5062;transport=tls')).toEqual({ protocol: 'tls', address: '::1', port: 5062 });
    expect(await resolveUri('sips:desk@pbx.example.com;maddr=127.0.0.1')).toEqual({ protocol: 'tls', address: '127.0.0.1', port: 5061, host: 'pbx.example.com' });
  });
});

describe('serverIdentityError (RFC 5922 §7.1 / RFC 6125 matching)', () => {
  const peer = (subjectaltname: string, CN = 'leaf'): Parameters<typeof serverIdentityError>[1] =>
    ({ subject: { CN }, subjectaltname } as unknown as Parameters<typeof serverIdentityError>[1]);

  it('accepts a DNS SAN, a left-most wildcard and an IP SAN for an address; refuses others with ERR_TLS_CERT_ALTNAME_INVALID', () => {
    expect(serverIdentityError(['pbx.example.com'], peer('DNS:pbx.example.com'))).toBeUndefined();
    expect(serverIdentityError(['PBX.Example.com'], peer('DNS:pbx.example.com'))).toBeUndefined();
    expect(serverIdentityError(['sbc.carrier.example'], peer('DNS:*.carrier.example'))).toBeUndefined();
    expect(serverIdentityError(['127.0.0.1'], peer('IP Address:127.0.0.1'))).toBeUndefined();
    expect((serverIdentityError(['127.0.0.1'], peer('DNS:127.0.0.1')) as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect((serverIdentityError(['pbx.example.com'], peer('DNS:other.example')) as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('accepts the subject CN only when the certificate has no DNS SAN', () => {
    expect(serverIdentityError(['pbx.example.com'], peer('', 'pbx.example.com'))).toBeUndefined();
    expect(serverIdentityError(['pbx.example.com'], peer('DNS:other.example', 'pbx.example.com'))).toBeInstanceOf(Error);
  });

  it('RFC 5922 §7.1: a URI:sip:<domain> SAN without a user part names its host; one with a user part or another scheme does not', () => {
    expect(sipUriIdentities(peer('URI:sip:Carrier.Example, DNS:x.example, URI:sip:alice@carrier.example, URI:https://carrier.example'))).toEqual(['carrier.example']);
    expect(serverIdentityError(['carrier.example'], peer('URI:sip:carrier.example'))).toBeUndefined();
    expect(serverIdentityError(['carrier.example'], peer('URI:sip:alice@carrier.example'))).toBeInstanceOf(Error);
  });

  it('with several names, one match is enough; the error is the first name\'s', () => {
    expect(serverIdentityError(['127.0.0.1', 'sbc.carrier.example'], peer('DNS:sbc.carrier.example'))).toBeUndefined();
    expect(serverIdentityError(['127.0.0.1', 'x.example'], peer('DNS:sbc.carrier.example'))!.message).toContain('127.0.0.1');
  });

  it('a real certificate with only URI:sip:carrier.example is read the same way', () => {
    const x = new X509Certificate(readFileSync(certs.sipUri.cert));
    expect(sipUriIdentities({ subjectaltname: x.subjectAltName ?? '' })).toEqual(['carrier.example']);
  });
});
