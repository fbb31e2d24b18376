import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let dir = '';
const pem = (name: string): string => join(dir, name);

/** A CA, the gateway's certificate, and two client certificates signed by the CA (openssl CLI). */
beforeAll(() => {
  mkdirSync(resolve('.tmp'), { recursive: true });
  dir = mkdtempSync(join(resolve('.tmp'), 'mtls-'));
  const ossl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'ignore', cwd: dir }); };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  ossl('req', '-x509', ...ec, '-keyout', 'server-key.pem', '-out', 'server.pem', '-days', '1', '-subj', '/CN=127.0.0.1');
  for (const name of ['carrier.example', 'intruder.example']) {
    ossl('req', ...ec, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1');
  }
});

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function mtlsGateway(): Promise<number> {
  const udpPort = await freePort();
  const tlsPort = await freePort();
  gw = await startTestGateway({
    trunk: { tls: { verify_peer: true, allowed_names: ['carrier.example'] } },
    extra: { sip: { listen: [{ address: '127.0.0.1', port: udpPort, transport: 'udp' }, { address: '127.0.0.1', port: tlsPort, transport: 'tls', cert: pem('server.pem'), key: pem('server-key.pem'), ca: pem('ca.pem') }] } },
  });
  return tlsPort;
}

/** OPTIONS over TLS (optionally with a client certificate): the status line of the answer, or undefined once `until` resolves. */
function options(port: number, client: string | undefined, until: Promise<void>): Promise<string | undefined> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(pem('server.pem')), checkServerIdentity: () => undefined,
      ...(client ? { cert: readFileSync(pem(`${client}.pem`)), key: readFileSync(pem(`${client}-key.pem`)) } : {}) }, () => {
      const local = `${socket.localAddress}:${socket.localPort}`;
      socket.write([
        'OPTIONS sip:919876543210@127.0.0.1 SIP/2.0', `Via: SIP/2.0/TLS ${local};branch=z9hG4bK-${Math.random().toString(36).slice(2)}`,
        'Max-Forwards: 70', 'From: <sip:carrier@127.0.0.1>;tag=1', 'To: <sip:919876543210@127.0.0.1>', `Call-ID: mtls-${Date.now()}-${Math.random()}`,
        'CSeq: 1 OPTIONS', `Contact: <sip:carrier@${local};transport=tls>`, 'Content-Length: 0', '', '',
      ].join('\r\n'));
    });
    let data = '';
    socket.on('data', (d: Buffer) => {
      data += d.toString();
      const line = /^SIP\/2\.0 \d{3}[^\r]*/m.exec(data)?.[0];
      if (line) { socket.destroy(); resolvePromise(line); }
    });
    socket.on('error', reject);
    void until.then(() => { socket.destroy(); resolvePromise(undefined); });
  });
}

describe('a trunk with tls.verify_peer and allowed_names', () => {
  it('answers a client whose CA-signed certificate names an allowed peer', async () => {
    const port = await mtlsGateway();
    const never = new Promise<void>(() => {});
    expect(await options(port, 'carrier.example', never)).toMatch(/^SIP\/2\.0 \d{3}/);
    expect(gw!.logs().some((l) => l.event === 'tls_peer_refused')).toBe(false);
  });

  for (const [client, reason] of [['intruder.example', 'certificate name not in allowed_names'], [undefined, 'no client certificate']] as const) {
    it(`drops the requests of a client ${client ? `with a certificate for ${client}` : 'without a certificate'} and logs why (${reason})`, async () => {
      const port = await mtlsGateway();
      const refused = gw!.waitFor(() => gw!.logs().some((l) => l.event === 'tls_peer_refused'));
      expect(await options(port, client, refused)).toBeUndefined();
      const line = gw!.logs().find((l) => l.event === 'tls_peer_refused');
      expect(line).toMatchObject({ trunk: 'test', protocol: 'tls', reason: client ? reason : expect.any(String) });
      if (client) expect(line).toMatchObject({ names: [client] });
    });
  }

  it('drops requests from the trunk over UDP', async () => {
    await mtlsGateway();
    const udpPort = gw!.config.sip.listen[0]!.port;
    const { createSocket } = await import('node:dgram');
    const s = createSocket('udp4');
    const msg = ['OPTIONS sip:x@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-udp1', 'Max-Forwards: 70', 'From: <sip:a@127.0.0.1>;tag=1',
      'To: <sip:x@127.0.0.1>', 'Call-ID: mtls-udp', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n');
    s.send(msg, udpPort, '127.0.0.1');
    await gw!.waitFor(() => gw!.logs().some((l) => l.event === 'tls_peer_refused'));
    expect(gw!.logs().find((l) => l.event === 'tls_peer_refused')).toMatchObject({ protocol: 'udp', reason: 'not over TLS' });
    s.close();
  });
});
