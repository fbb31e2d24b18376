/**
 * The gateway checks the certificate of the TLS server it places a leg to (sip.tls_client,
 * docs/security.md): a bridged transfer to a human (a real baresip listening over TLS with a
 * certificate from a test CA) whose certificate is not trusted, or names another host, fails
 * cleanly — outcome `failed` with the reason, a `tls_server_refused` line naming the host, the
 * caller kept by the agent — and the same human is reached once the CA is configured, by name
 * (SNI and the name checked on the dialog's later requests too).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { issueCert, makeTestCa, type TestCa, type TestCert } from '../../helpers/tls-certs.js';
import { api, apiConfig } from '../helpers/api.js';
import { startBaresip, type Baresip } from '../helpers/baresip.js';
import { startCallbackServer, type CallbackServer } from '../helpers/callback-server.js';
import { speechWav } from '../helpers/audio.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { runSippCaller, TRANSFER_AGENT } from './helpers.js';

let gw: TestGateway | undefined;
/** The gateway's UDP port, where the (SIPp) caller calls. */
let gwPort = 0;
const phones: Baresip[] = [];
let callbacks: CallbackServer | undefined;
afterEach(async () => {
  for (const p of phones.splice(0)) p.kill();
  await gw?.stop();
  gw = undefined;
  await callbacks?.close();
  callbacks = undefined;
});

let ca: TestCa;
/** The gateway's own TLS listener (it places TLS legs from it). */
let listener: TestCert;
/** The human's certificates: for IP 127.0.0.1, and for DNS:localhost only. */
let humanIp: TestCert;
let humanName: TestCert;
beforeAll(() => {
  ca = makeTestCa('tls-legs-');
  listener = issueCert(ca, ca.dir, 'gateway', 'IP:127.0.0.1');
  humanIp = issueCert(ca, ca.dir, 'human-ip', 'IP:127.0.0.1');
  humanName = issueCert(ca, ca.dir, 'human-name', 'DNS:localhost');
});

async function human(cert: TestCert, seconds: number, user = 'human'): Promise<Baresip> {
  const h = await startBaresip({ source: speechWav('tls-leg-human', 'Desk speaking.', 8000, 'signed-integer', 2), codecs: 'PCMU/8000/1', user, seconds, tlsCertificate: cert.pem });
  phones.push(h);
  return h;
}

/** A gateway whose agent transfers every call (bridge) to `uri`, trusting `trust` on top of Node's roots; callers use `gwPort`. */
async function gatewayTransferringTo(uri: string, trust: string | undefined): Promise<TestGateway> {
  const udpPort = await freePort();
  const tlsPort = await freePort();
  gwPort = udpPort;
  return startTestGateway({
    trunk: { codecs: ['PCMU'], transfer: { method: 'bridge' }, routes: [{ pattern: '*', agent: 'xfer' }] },
    agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: 'desk', after_ms: 200, timeout_s: 10 } } },
    extra: {
      transfer_targets: { desk: { uri } },
      sip: {
        listen: [{ address: '127.0.0.1', port: udpPort, transport: 'udp' }, { address: '127.0.0.1', port: tlsPort, transport: 'tls', cert: listener.cert, key: listener.key }],
        ...(trust ? { tls_client: { ca: trust } } : {}),
      },
    },
  });
}

const event = (g: TestGateway, name: string): Record<string, unknown> | undefined => g.logs().find((l) => l.event === name);

describe('TLS legs the gateway places: the server certificate is checked (RFC 5922 §7.3)', () => {
  it('a human whose certificate no trusted CA signed: the transfer fails at once (503 with the reason), tls_server_refused names the host, the agent keeps the caller', async () => {
    const h = await human(humanIp, 10);
    gw = await gatewayTransferringTo(h.uri, undefined);
    const caller = await runSippCaller('uac-pcmu-caller-hangs-up-expect-200.xml', gwPort, ['-d', '3000']);
    expect(caller.code, caller.errors).toBe(0);
    await gw.waitIdle();
    const refused = event(gw, 'tls_server_refused');
    expect(refused).toMatchObject({ level: 40, host: '127.0.0.1', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    const outcome = event(gw, 'test_transfer_outcome') as { result: string; sipStatus: number; reason: string; ms: number };
    expect(outcome).toMatchObject({ result: 'failed', method: 'bridge', sipStatus: 503 });
    expect(outcome.reason).toMatch(/^503 Service Unavailable: TLS certificate of 127\.0\.0\.1 \(127\.0\.0\.1:\d+\) not verified: UNABLE_TO_VERIFY_LEAF_SIGNATURE$/);
    // Promptly: no ring time, no timer.
    expect(outcome.ms).toBeLessThan(2000);
    expect(event(gw, 'transfer')).toMatchObject({ result: 'failed', sipStatus: 503, reason: outcome.reason });
    expect(event(gw, 'call_end')).toMatchObject({ answered: true, hangupBy: 'caller', transfer: { result: 'failed', sipStatus: 503 } });
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
    // Nothing reached the human: the INVITE was never written to the connection.
    h.kill();
    expect((await h.done).output).not.toMatch(/answering call/);
  }, 60_000);

  it('a human reached by name (sip:…@localhost) whose certificate names 127.0.0.1 only: ERR_TLS_CERT_ALTNAME_INVALID, transfer failed', async () => {
    const h = await human(humanIp, 10);
    gw = await gatewayTransferringTo(h.uri.replace('@127.0.0.1:', '@localhost:'), ca.cert);
    const caller = await runSippCaller('uac-pcmu-caller-hangs-up-expect-200.xml', gwPort, ['-d', '3000']);
    expect(caller.code, caller.errors).toBe(0);
    await gw.waitIdle();
    expect(event(gw, 'tls_server_refused')).toMatchObject({ host: 'localhost', code: 'ERR_TLS_CERT_ALTNAME_INVALID', reason: expect.stringContaining('localhost') });
    expect(event(gw, 'test_transfer_outcome')).toMatchObject({ result: 'failed', sipStatus: 503, reason: expect.stringContaining('ERR_TLS_CERT_ALTNAME_INVALID') });
    expect(event(gw, 'call_end')).toMatchObject({ hangupBy: 'caller', transfer: { result: 'failed' } });
  }, 60_000);

  it('with sip.tls_client.ca the same kind of human, reached by name, is transferred to; the BYE to its Contact (an IP address) is checked for that name and goes through', async () => {
    const h = await human(humanName, 12);
    gw = await gatewayTransferringTo(h.uri.replace('@127.0.0.1:', '@localhost:'), ca.cert);
    const caller = await runSippCaller('uac-pcmu-caller-hangs-up-expect-200.xml', gwPort, ['-d', '4000']);
    expect(caller.code, caller.errors).toBe(0);
    await gw.waitIdle(20_000);
    expect(event(gw, 'test_transfer_outcome')).toMatchObject({ result: 'transferred', method: 'bridge', sipStatus: 200 });
    expect(event(gw, 'call_end')).toMatchObject({ answered: true, hangupBy: 'caller', transfer: { result: 'transferred' } });
    expect(gw.logs().filter((l) => l.event === 'tls_server_refused')).toEqual([]);
    // The caller's hang-up reached the human: baresip's call ended by the gateway's BYE (its words for a BYE
    // received), long before its own -t.
    const out = await h.done;
    expect(out.output).toMatch(/answering call/);
    expect(out.output).toMatch(/session closed: Connection reset by peer/);
  }, 60_000);
});

describe('an outbound call through the trunk\'s outbound.proxy over TLS (POST /v1/calls)', () => {
  /** A gateway whose trunk sends outbound calls to `proxy` (baresip playing the carrier's TLS server). */
  async function outboundGateway(proxy: string, trust: string | undefined): Promise<TestGateway> {
    const udpPort = await freePort();
    const tlsPort = await freePort();
    return startTestGateway({
      trunk: { codecs: ['PCMU'], outbound: { proxy } },
      extra: {
        ...apiConfig,
        sip: {
          listen: [{ address: '127.0.0.1', port: udpPort, transport: 'udp' }, { address: '127.0.0.1', port: tlsPort, transport: 'tls', cert: listener.cert, key: listener.key }],
          ...(trust ? { tls_client: { ca: trust } } : {}),
        },
      },
    });
  }

  it('a carrier whose certificate is not trusted: the call completes at once as failed, 503, the reason naming the host and OpenSSL\'s code', async () => {
    const carrier = await human(humanName, 10);
    const port = /:(\d+);transport=tls$/.exec(carrier.uri)![1]!;
    callbacks = await startCallbackServer();
    gw = await outboundGateway(`sips:localhost:${port}`, undefined);
    const placed = await api(gw, 'POST', '/v1/calls', { to: '+919876543210', trunk: 'test', agent: 'echo', status_callback: callbacks.url });
    expect(placed.status).toBe(202);
    const bodies = await callbacks.until('completed');
    expect(bodies.map((b) => b.event)).toEqual(['completed']);
    expect(bodies[0]).toMatchObject({ result: 'failed', sip_status: 503, reason: expect.stringMatching(/^503 Service Unavailable: TLS certificate of localhost \(127\.0\.0\.1:\d+\) not verified: UNABLE_TO_VERIFY_LEAF_SIGNATURE$/) });
    expect(event(gw, 'tls_server_refused')).toMatchObject({ host: 'localhost', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    await gw.waitIdle();
  }, 60_000);

  it('with sip.tls_client.ca the same carrier answers the call', async () => {
    const carrier = await human(humanName, 10, '+919876543210');
    const port = /:(\d+);transport=tls$/.exec(carrier.uri)![1]!;
    callbacks = await startCallbackServer();
    gw = await outboundGateway(`sips:localhost:${port}`, ca.cert);
    const placed = await api(gw, 'POST', '/v1/calls', { to: '+919876543210', trunk: 'test', agent: 'echo', status_callback: callbacks.url });
    expect(placed.status).toBe(202);
    const bodies = await callbacks.until('answered');
    expect(bodies.map((b) => b.event)).toContain('answered');
    expect(gw.logs().filter((l) => l.event === 'tls_server_refused')).toEqual([]);
    carrier.kill();
  }, 60_000);
});
