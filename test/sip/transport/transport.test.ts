import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SipStack, createResponse, parseMessage, type IncomingRequest, type SipResponse, type SipStackOptions, type Endpoint } from '../../../src/sip/index.js';
import { TcpPeer, UdpPeer } from '../fixtures/udp-peer.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function stackWith(options: Partial<SipStackOptions> & { listen: SipStackOptions['listen'] }): Promise<{ stack: SipStack; requests: IncomingRequest[] }> {
  const stack = new SipStack(options);
  const requests: IncomingRequest[] = [];
  stack.onRequest((r) => {
    requests.push(r);
    stack.respond(r.transaction, createResponse(r.message, 200));
  });
  await stack.start();
  cleanups.push(() => stack.close());
  return { stack, requests };
}

function options(via: string, extra = ''): string {
  return [
    'OPTIONS sip:gw@127.0.0.1 SIP/2.0',
    `Via: ${via}`,
    'Max-Forwards: 70',
    'From: <sip:a@127.0.0.1>;tag=1',
    'To: <sip:gw@127.0.0.1>',
    `Call-ID: ${Math.random().toString(36).slice(2)}`,
    'CSeq: 1 OPTIONS',
    extra,
    'Content-Length: 0',
    '',
    '',
  ].filter((l, i, a) => l !== '' || i >= a.length - 2).join('\r\n');
}

async function udpPeer(): Promise<UdpPeer> {
  const p = await UdpPeer.open();
  cleanups.push(() => p.close());
  return p;
}

const udpListen = [{ protocol: 'udp' as const, address: '127.0.0.1', port: 0 }];
const tcpListen = [{ protocol: 'tcp' as const, address: '127.0.0.1', port: 0 }];

describe('UDP transport', () => {
  it('adds received and fills rport on the top Via (RFC 3581 §4) and answers to the source port, not sent-by', async () => {
    const { stack, requests } = await stackWith({ listen: udpListen });
    const peer = await udpPeer();
    const port = stack.localEndpoint('udp')!.port;
    peer.send(options('SIP/2.0/UDP uac.invalid:9999;rport;branch=z9hG4bK-r1'), port);
    const [res] = await peer.waitFor(1);
    const r = parseMessage(res!) as SipResponse;
    expect(r.status).toBe(200);
    expect(r.vias[0]!.params).toMatchObject({ received: '127.0.0.1', rport: String(peer.port) });
    expect(requests[0]!.source).toEqual<Endpoint>({ protocol: 'udp', address: '127.0.0.1', port: peer.port });
    expect(requests[0]!.local).toEqual<Endpoint>({ protocol: 'udp', address: '127.0.0.1', port });
    expect(requests[0]!.raw.toString()).toContain('uac.invalid:9999');
    expect(typeof requests[0]!.receivedAt).toBe('number');
  });

  it('adds received without rport when sent-by differs from the source, and routes the response to received + sent-by port (§18.2.2)', async () => {
    const { stack } = await stackWith({ listen: udpListen });
    const peer = await udpPeer();
    peer.send(options(`SIP/2.0/UDP uac.invalid:${peer.port};branch=z9hG4bK-r2`), stack.localEndpoint('udp')!.port);
    const [res] = await peer.waitFor(1);
    const r = parseMessage(res!) as SipResponse;
    expect(r.vias[0]!.params.received).toBe('127.0.0.1');
    expect(r.vias[0]!.params.rport).toBeUndefined();
  });

  it('answers a message larger than maxMessageSize with 513 and never hands it to the TU', async () => {
    const { stack, requests } = await stackWith({ listen: udpListen, maxMessageSize: 1000 });
    const peer = await udpPeer();
    peer.send(options('SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK-big', `X-Pad: ${'x'.repeat(1200)}`), stack.localEndpoint('udp')!.port);
    const [res] = await peer.waitFor(1);
    expect((parseMessage(res!) as SipResponse).status).toBe(513);
    expect(requests).toHaveLength(0);
  });

  it('runs the source policy on the raw bytes before parsing, and a dropped packet gets no answer', async () => {
    const seen: { source: Endpoint; raw: string }[] = [];
    const { stack, requests } = await stackWith({
      listen: udpListen,
      sourcePolicy: (source, raw) => {
        seen.push({ source, raw: raw.toString() });
        return raw.includes('drop-me') ? 'drop' : 'accept';
      },
    });
    const peer = await udpPeer();
    const port = stack.localEndpoint('udp')!.port;
    peer.send('drop-me: this is not even SIP', port);
    peer.send(options('SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK-drop', 'X-Tag: drop-me'), port);
    peer.send(options('SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK-keep'), port);
    const [res] = await peer.waitFor(1);
    expect((parseMessage(res!) as SipResponse).vias[0]!.params.branch).toBe('z9hG4bK-keep');
    expect(seen.map((s) => s.raw.startsWith('drop-me'))).toEqual([true, false, false]);
    expect(seen[0]!.source).toEqual({ protocol: 'udp', address: '127.0.0.1', port: peer.port });
    expect(requests).toHaveLength(1);
    expect(peer.received).toHaveLength(1);
  });

  it('drops a malformed response without answering or crashing', async () => {
    const { stack } = await stackWith({ listen: udpListen });
    const peer = await udpPeer();
    const port = stack.localEndpoint('udp')!.port;
    peer.send('SIP/2.0 2000 Nonsense\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-x\r\n\r\n', port);
    peer.send(options('SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK-after'), port);
    const [res] = await peer.waitFor(1);
    expect((parseMessage(res!) as SipResponse).status).toBe(200);
    expect(stack.transport.stats.parseErrors).toBe(1);
  });
});

/** The top Via branch of a response, or undefined when it does not parse (a 400 echoes the junk it refuses). */
function topBranch(datagram: Buffer): string | null | undefined {
  try { return (parseMessage(datagram) as SipResponse).vias[0]?.params.branch; } catch { return undefined; }
}

describe('UDP transport robustness', () => {
  it('survives random and truncated datagrams (property) and still answers a valid request after each batch', async () => {
    const { stack, requests } = await stackWith({ listen: udpListen });
    const peer = await udpPeer();
    const port = stack.localEndpoint('udp')!.port;
    // Every mutated sample carries its own branch, never the valid request's: a sample answered 400
    // with the valid branch would satisfy the wait below, or become the server transaction that
    // absorbs the valid request as a retransmission (§17.2.3).
    const template = options('SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bK-fuzz-sample');
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
      fc.integer({ min: 0, max: template.length }).map((n) => Buffer.from(template.slice(0, n))),
      fc.tuple(fc.integer({ min: 0, max: template.length - 1 }), fc.string({ maxLength: 8 }))
        .map(([i, junk]) => Buffer.from(template.slice(0, i) + junk + template.slice(i))),
    );
    let run = 0;
    // fc.assert reports the seed and the shrunk batch of a failing run (fc.sample would not).
    await fc.assert(fc.asyncProperty(fc.array(datagram, { maxLength: 60 }), async (batch) => {
      const branch = `z9hG4bK-fuzz-ok-${++run}`;
      for (const d of batch) peer.send(d, port);
      peer.send(options(`SIP/2.0/UDP 127.0.0.1;rport;branch=${branch}`), port);
      const answer = await peer.waitForMatch((m) => topBranch(m) === branch, 5000);
      expect((parseMessage(answer) as SipResponse).status).toBe(200);
      expect(requests.filter((r) => r.message.vias[0]!.params.branch === branch)).toHaveLength(1);
    }), { numRuns: 10 });
  });
});

describe('RFC 4475 invalid torture requests over UDP (npm sip test/messages)', () => {
  const dir = join(process.cwd(), 'node_modules/sip/test/messages');
  // §3.1.2 messages that are requests and that a conforming parser must refuse.
  const invalid = ['badinv01', 'clerr', 'ncl', 'scalar02', 'quotbal', 'ltgtruri', 'lwsruri', 'lwsstart', 'regbadct', 'badvers', 'mismatch01', 'mismatch02'];
  it('has the torture files on disk', () => {
    const files = readdirSync(dir);
    for (const name of invalid) expect(files).toContain(`${name}.dat`);
  });
  for (const name of invalid) {
    it(`answers ${name}.dat with 400 (reason from the parser) and never reaches the TU`, async () => {
      const { stack, requests } = await stackWith({ listen: udpListen });
      const peer = await udpPeer();
      peer.send(readFileSync(join(dir, `${name}.dat`)), stack.localEndpoint('udp')!.port);
      const [res] = await peer.waitFor(1);
      const text = res!.toString('latin1');
      expect(text).toMatch(/^SIP\/2\.0 (400|505) /);
      expect(requests).toHaveLength(0);
    });
  }
});

describe('TCP transport', () => {
  it('frames two messages arriving in one chunk and one message split across chunks, answering on the same connection', async () => {
    const { stack, requests } = await stackWith({ listen: tcpListen });
    const peer = await TcpPeer.open(stack.localEndpoint('tcp')!.port);
    cleanups.push(() => peer.close());
    const m1 = options('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-t1');
    const m2 = options('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-t2');
    const m3 = options('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-t3', 'Content-Type: text/plain').replace('Content-Length: 0', 'Content-Length: 5') + 'hello';
    peer.write(m1 + m2);
    peer.write(m3.slice(0, 40));
    await new Promise((r) => setTimeout(r, 50));
    peer.write(m3.slice(40, m3.length - 2));
    await new Promise((r) => setTimeout(r, 50));
    peer.write(m3.slice(m3.length - 2));
    await peer.waitUntil((p) => (p.data.match(/SIP\/2\.0 200/g) ?? []).length === 3);
    expect(requests.map((r) => r.message.vias[0]!.params.branch)).toEqual(['z9hG4bK-t1', 'z9hG4bK-t2', 'z9hG4bK-t3']);
    expect(requests[2]!.message.body.toString()).toBe('hello');
    expect(requests[0]!.connectionId).toBeDefined();
    expect(requests[0]!.source).toEqual({ protocol: 'tcp', address: '127.0.0.1', port: peer.localPort });
  });

  it('answers a CRLF keep-alive ping with a CRLF pong (RFC 5626 §3.5.1)', async () => {
    const { stack } = await stackWith({ listen: tcpListen });
    const peer = await TcpPeer.open(stack.localEndpoint('tcp')!.port);
    cleanups.push(() => peer.close());
    peer.write('\r\n\r\n');
    await peer.waitUntil((p) => p.data === '\r\n');
    expect(stack.transport.stats.keepalives).toBe(1);
  });

  it('closes a connection whose message exceeds maxMessageSize, counting it as oversize', async () => {
    const { stack, requests } = await stackWith({ listen: tcpListen, maxMessageSize: 1000 });
    const peer = await TcpPeer.open(stack.localEndpoint('tcp')!.port);
    cleanups.push(() => peer.close());
    peer.write(options('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-big', `X-Pad: ${'x'.repeat(1200)}`));
    await peer.waitUntil((p) => p.closed);
    expect(requests).toHaveLength(0);
    expect(stack.transport.stats.oversize).toBe(1);
    expect(stack.counters().connections).toBe(0);
  });

  it('closes a connection whose message has no Content-Length (mandatory on streams, §18.3) and never hands it to the TU', async () => {
    const { stack, requests } = await stackWith({ listen: tcpListen });
    const peer = await TcpPeer.open(stack.localEndpoint('tcp')!.port);
    cleanups.push(() => peer.close());
    peer.write(options('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-nocl').replace('Content-Length: 0\r\n', ''));
    await peer.waitUntil((p) => p.closed);
    expect(requests).toHaveLength(0);
    expect(stack.transport.stats.parseErrors).toBe(1);
    expect(stack.counters().connections).toBe(0);
  });

  it('closes idle connections after idleConnectionTimeout', async () => {
    const { stack } = await stackWith({ listen: tcpListen, idleConnectionTimeout: 200 });
    const peer = await TcpPeer.open(stack.localEndpoint('tcp')!.port);
    cleanups.push(() => peer.close());
    await peer.waitUntil((p) => p.closed, 5000);
    expect(stack.counters().connections).toBe(0);
  });

  it('reuses the open connection for a request to the same host:port (connection reuse)', async () => {
    const a = await stackWith({ listen: tcpListen });
    const b = await stackWith({ listen: tcpListen });
    const bPort = b.stack.localEndpoint('tcp')!.port;
    const send = async (n: number): Promise<SipResponse> => {
      const req = parseMessage(Buffer.from(options(`SIP/2.0/TCP ${a.stack.viaSentBy('tcp')};branch=z9hG4bK-reuse${n}`).replace('sip:gw@127.0.0.1', `sip:gw@127.0.0.1:${bPort};transport=tcp`)));
      if (req.kind !== 'request') throw new Error('not a request');
      return a.stack.sendRequest(req).response;
    };
    expect((await send(1)).status).toBe(200);
    expect((await send(2)).status).toBe(200);
    expect(a.stack.counters().connections).toBe(1);
    expect(b.requests[0]!.connectionId).toBe(b.requests[1]!.connectionId);
  });
});

const hasIpv6Loopback = Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === '::1'));

describe('IPv6', () => {
  it.skipIf(!hasIpv6Loopback)('listens on ::1 and answers with received=::1 (skipped when the machine has no IPv6 loopback)', async () => {
    const { stack } = await stackWith({ listen: [{ protocol: 'udp', address: '::1', port: 0 }] });
    const peer = await UdpPeer.open('::1');
    cleanups.push(() => peer.close());
    expect(stack.viaSentBy('udp')).toMatch(/^\[::1\]:\d+$/);
    peer.send(options('SIP/2.0/UDP [::1]:9;rport;branch=z9hG4bK-v6'), stack.localEndpoint('udp')!.port, '::1');
    const [res] = await peer.waitFor(1);
    expect((parseMessage(res!) as SipResponse).vias[0]!.params).toMatchObject({ received: '::1', rport: String(peer.port) });
  });
});

describe('TLS transport', () => {
  it('accepts SIP over TLS with a certificate generated by openssl, answering on the same connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    const key = readFileSync(join(dir, 'key.pem'));
    const { stack, requests } = await stackWith({ listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0, tls: { cert, key } }] });
    const socket = tlsConnect({ host: '127.0.0.1', port: stack.localEndpoint('tls')!.port, ca: cert, servername: 'localhost' });
    cleanups.push(() => { socket.destroy(); });
    await new Promise<void>((r, j) => { socket.once('secureConnect', () => r()); socket.once('error', j); });
    let data = '';
    socket.on('data', (d: Buffer) => { data += d.toString(); });
    socket.write(options('SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK-tls'));
    const deadline = Date.now() + 5000;
    while (!data.includes('\r\n\r\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(data).toMatch(/^SIP\/2\.0 200 /);
    expect(requests[0]!.source.protocol).toBe('tls');
    expect(stack.contact('tls')).toMatch(/^<sips:trunkgate@127\.0\.0\.1:\d+;transport=tls>$/);
    // RFC 3261 §12.1.1: a sip: request over TLS gets a sip: Contact with transport=tls.
    expect(stack.contact('tls', 'trunkgate', undefined, 'sip')).toMatch(/^<sip:trunkgate@127\.0\.0\.1:\d+;transport=tls>$/);
  });
});
