/**
 * SRTP on the legs the gateway places itself (docs/security.md): a bridged transfer to a human, a
 * SIP route, and the new party of a REFER accepted from the trunk. The human is a real baresip with
 * `mediaenc=srtp-mand` listening over TLS (SDES keys only travel over TLS); what each side hears is
 * compared with what the other sent (recorded-audio correlation).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/agents/builtin/wav.js';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startBaresip, type Baresip } from '../helpers/baresip.js';
import { median, speechWav, windowedCorrelation } from '../helpers/audio.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.js';
import { SCENARIOS, TRANSFER_AGENT } from './helpers.js';

let gw: TestGateway | undefined;
let gwPort = 0;
const phones: Baresip[] = [];
afterEach(async () => {
  for (const p of phones.splice(0)) p.kill();
  await gw?.stop();
  gw = undefined;
});

/** baresip's TLS certificate: the certificate and its key in one PEM; the gateway's TLS listener uses the same pair. */
let humanPem: string;
let certDir: string;
beforeAll(() => {
  mkdirSync(resolve('.tmp'), { recursive: true });
  const dir = mkdtempSync(join(resolve('.tmp'), 'srtp-legs-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  certDir = dir;
  humanPem = join(dir, 'human.pem');
  writeFileSync(humanPem, readFileSync(join(dir, 'cert.pem'), 'utf8') + readFileSync(join(dir, 'key.pem'), 'utf8'));
});

/**
 * A gateway with a UDP listener (returned as `port`, for callers) and a TLS one (to place TLS legs
 * from), trusting baresip's self-signed certificate (for IP 127.0.0.1) as a CA: the gateway checks
 * the human's certificate (sip.tls_client, docs/security.md).
 */
async function startTlsGateway(o: TestGatewayOptions): Promise<{ gw: TestGateway; port: number }> {
  const port = await freePort();
  const tlsPort = await freePort();
  const g = await startTestGateway({ ...o, extra: { ...o.extra, sip: { listen: [
    { address: '127.0.0.1', port, transport: 'udp' },
    { address: '127.0.0.1', port: tlsPort, transport: 'tls', cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') },
  ], tls_client: { ca: join(certDir, 'cert.pem') } } } });
  return { gw: g, port };
}

/**
 * Median NCC per 250 ms window of `sent` against what was heard (each window with its own lag). The
 * lag may be up to 0.5 s negative: a recording starts with its own call's media, so the caller's
 * can begin after the endpoint's (a SIP route answers the caller once the endpoint has answered),
 * and then the endpoint's words sit earlier in it than in the endpoint's own file.
 */
function heardScore(sent: Int16Array, heard: Int16Array | undefined, rate: number): { median: number; windows: number } {
  const w = windowedCorrelation(sent, heard ?? new Int16Array(0), rate / 4, rate * 6, -rate / 2);
  return { median: median(w.map((x) => x.ncc)), windows: w.length };
}

const SRTP_ON = /SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_(80|32)\)/;
const CALLER_TEXT = 'This is the caller speaking on a plain line. One two three four five.';
const HUMAN_TEXT = 'Secure desk, this is the human agent. Six seven eight nine ten.';

/** Both ways: the caller hears the human, the human (who joined late) hears the caller. */
async function expectAudioBothWays(caller: Baresip, human: Baresip): Promise<void> {
  const callerRef = readWav(readFileSync(speechWav('srtp-leg-caller', CALLER_TEXT, 8000, 'signed-integer', 3, undefined, 2))).samples.subarray(8000);
  const humanRef = readWav(readFileSync(speechWav('srtp-leg-human', HUMAN_TEXT, 8000, 'signed-integer', 8))).samples;
  const toCaller = heardScore(humanRef, caller.heard()?.samples, 8000);
  const toHuman = heardScore(callerRef, human.heard()?.samples, 8000);
  const detail = JSON.stringify({ toCaller, toHuman, dirs: [caller.dir, human.dir] });
  expect(toCaller.windows, detail).toBeGreaterThanOrEqual(4);
  expect(toHuman.windows, detail).toBeGreaterThanOrEqual(4);
  expect(toCaller.median, detail).toBeGreaterThanOrEqual(0.8);
  expect(toHuman.median, detail).toBeGreaterThanOrEqual(0.8);
}

describe('SRTP on legs the gateway places', () => {
  it('a bridged transfer to a target with srtp: mandatory over TLS: the human (baresip srtp-mand) gets SRTP and both sides hear each other', async () => {
    const human = await startBaresip({ source: speechWav('srtp-leg-human', HUMAN_TEXT, 8000, 'signed-integer', 8), codecs: 'PCMU/8000/1', user: 'human', seconds: 20, mediaenc: 'srtp-mand', tlsCertificate: humanPem });
    phones.push(human);
    ({ gw, port: gwPort } = await startTlsGateway({
      trunk: { codecs: ['PCMU'], transfer: { method: 'bridge' }, routes: [{ pattern: '*', agent: 'xfer' }] },
      agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: 'desk', after_ms: 100 } } },
      extra: { transfer_targets: { desk: { uri: human.uri, srtp: 'mandatory' } } },
    }));
    const caller = await startBaresip({ source: speechWav('srtp-leg-caller', CALLER_TEXT, 8000, 'signed-integer', 3, undefined, 2), codecs: 'PCMU/8000/1', user: 'caller', seconds: 14, dial: `sip:919876543210@127.0.0.1:${gwPort}` });
    phones.push(caller);
    const out = await caller.done;
    await gw.waitIdle(20_000);
    const humanOut = await human.done;
    expect(gw.logs().find((l) => l.event === 'transfer'), out.output).toMatchObject({ result: 'transferred', method: 'bridge', sipStatus: 200 });
    expect(humanOut.output).toMatch(SRTP_ON);
    await expectAudioBothWays(caller, human);
  }, 60_000);

  it('a human without SRTP refuses the RTP/SAVP offer of a mandatory target: the transfer is rejected and the caller stays with the agent', async () => {
    const human = await startBaresip({ source: speechWav('srtp-leg-human', HUMAN_TEXT, 8000, 'signed-integer', 8), codecs: 'PCMU/8000/1', user: 'human', seconds: 20, tlsCertificate: humanPem });
    phones.push(human);
    ({ gw, port: gwPort } = await startTlsGateway({
      trunk: { codecs: ['PCMU'], transfer: { method: 'bridge' }, routes: [{ pattern: '*', agent: 'xfer' }] },
      agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: 'desk', after_ms: 100, hangup_after_failure: true } } },
      extra: { transfer_targets: { desk: { uri: human.uri, srtp: 'mandatory' } } },
    }));
    const caller = await startBaresip({ source: speechWav('srtp-leg-caller', CALLER_TEXT, 8000, 'signed-integer', 3, undefined, 2), codecs: 'PCMU/8000/1', user: 'caller', seconds: 10, dial: `sip:919876543210@127.0.0.1:${gwPort}` });
    phones.push(caller);
    await gw.waitFor(() => gw!.logs().some((l) => l.event === 'transfer'), 20_000);
    const transfer = gw.logs().find((l) => l.event === 'transfer') as { result: string; sipStatus?: number };
    expect(transfer).toMatchObject({ result: 'rejected', sipStatus: 488 });
    await gw.waitIdle(20_000);
  }, 60_000);

  it('a SIP route with srtp: mandatory over TLS: the endpoint gets SRTP and both sides hear each other', async () => {
    const human = await startBaresip({ source: speechWav('srtp-leg-human', HUMAN_TEXT, 8000, 'signed-integer', 8), codecs: 'PCMU/8000/1', user: 'endpoint', seconds: 20, mediaenc: 'srtp-mand', tlsCertificate: humanPem });
    phones.push(human);
    ({ gw, port: gwPort } = await startTlsGateway({ trunk: { codecs: ['PCMU'], routes: [{ pattern: '*', sip: human.uri, srtp: 'mandatory' }] } }));
    const caller = await startBaresip({ source: speechWav('srtp-leg-caller', CALLER_TEXT, 8000, 'signed-integer', 3, undefined, 2), codecs: 'PCMU/8000/1', user: 'caller', seconds: 14, dial: `sip:919876543210@127.0.0.1:${gwPort}` });
    phones.push(caller);
    const out = await caller.done;
    await gw.waitIdle(20_000);
    const humanOut = await human.done;
    expect(gw.logs().find((l) => l.event === 'call_end'), out.output).toMatchObject({ answered: true });
    expect(humanOut.output).toMatch(SRTP_ON);
    // The endpoint answered after the caller's lead-in began: same references as a transfer.
    await expectAudioBothWays(caller, human);
  }, 60_000);

  it('a REFER from the trunk to a target with srtp: mandatory over TLS: the new party gets SRTP and hears the agent (its own voice echoed)', async () => {
    const humanSrc = speechWav('srtp-leg-human', HUMAN_TEXT, 8000, 'signed-integer', 4);
    const desk = await startBaresip({ source: humanSrc, codecs: 'PCMU/8000/1', user: 'desk', seconds: 12, mediaenc: 'srtp-mand', tlsCertificate: humanPem });
    phones.push(desk);
    ({ gw, port: gwPort } = await startTlsGateway({
      trunk: { codecs: ['PCMU'], accept_refer: { allow: ['desk'] } },
      extra: { transfer_targets: { desk: { uri: desk.uri, srtp: 'mandatory' } } },
    }));
    const port = await freePort();
    const media = await sippMediaPort();
    const carrier = await runSipp({
      args: ['-sf', join(SCENARIOS, 'uac-send-refer-expect-notify-200.xml'), `127.0.0.1:${gwPort}`, '-s', '15551234567', '-i', '127.0.0.1', '-p', String(port), '-mp', String(media), '-m', '1', '-set', 'refer_target', desk.uri],
      cwd: SCENARIOS, timeoutMs: 60_000,
    });
    expect(carrier.code, carrier.errors).toBe(0);
    const deskOut = await desk.done;
    await gw.waitIdle(20_000);
    expect(gw.logs().some((l) => l.event === 'refer_completed'), deskOut.output).toBe(true);
    expect(deskOut.output).toMatch(SRTP_ON);
    // The echo agent (200 ms) sends the desk its own voice back, through SRTP both ways.
    const heard = heardScore(readWav(readFileSync(humanSrc)).samples, desk.heard()?.samples, 8000);
    expect(heard.windows, JSON.stringify({ heard, dir: desk.dir })).toBeGreaterThanOrEqual(4);
    expect(heard.median, JSON.stringify({ heard, dir: desk.dir })).toBeGreaterThanOrEqual(0.8);
  }, 60_000);
});
