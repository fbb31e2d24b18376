import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/agents/builtin/wav.js';
import { RtpengineError } from '../../../src/media/anchor/rtpengine.js';
import { freePort } from '../../helpers/ports.js';
import { startRtpengine, type RtpengineDaemon } from '../../helpers/rtpengine.js';
import { correlateWithLag, median, speechWav, windowedCorrelation } from '../helpers/audio.js';
import { baresipCall } from '../helpers/baresip-call.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let daemon: RtpengineDaemon;
beforeAll(async () => { daemon = await startRtpengine(); });
afterAll(async () => { await daemon?.stop(); });
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

describe('media.anchor: rtpengine (the real daemon, userspace, loopback)', () => {
  it('a baresip PCMU call to the echo agent is anchored: the echo correlates and call_end carries rtpengine\'s counters', async () => {
    const source = speechWav('anchor-pcmu', 'Anchored media test. One two three four five six seven.', 8000, 'signed-integer', 2);
    gw = await startTestGateway({ trunk: { codecs: ['PCMU'] }, media: { anchor: 'rtpengine', rtpengine: { ng: [daemon.ng] } } });
    const r = await baresipCall(`sip:919876543210@127.0.0.1:${gw.sipPort}`, source, 'PCMU/8000/1', undefined, 12);
    await gw.waitIdle();
    const end = gw.logs().find((l) => l.event === 'call_end') as { hangupBy?: string; rtpengine?: { daemon: string; rtp: { packets: number } } } | undefined;
    expect(end, r.output).toMatchObject({ hangupBy: 'caller' });
    expect(end?.rtpengine?.daemon).toBe(daemon.ng);
    // Both directions went through rtpengine: ≈ 2 × 50 packets/s for the call.
    expect(end!.rtpengine!.rtp.packets).toBeGreaterThan(400);
    // baresip's RTP came from rtpengine's port range, not from one of our media ports.
    const from = Number(/incoming rtp for 'audio' established, receiving from 127\.0\.0\.1:(\d+)/.exec(r.output)?.[1]);
    expect(from >= daemon.ports.min && from <= daemon.ports.max, r.output).toBe(true);

    const rec = readdirSync(join(r.dir, 'rec')).find((f) => f.endsWith('-dec.wav'));
    expect(rec, r.output).toBeDefined();
    const heard = readWav(readFileSync(join(r.dir, 'rec', rec!)));
    const sent = readWav(readFileSync(source));
    const whole = correlateWithLag(sent.samples, heard.samples, 8000 * 2);
    const windows = windowedCorrelation(sent.samples, heard.samples, 2000, 8000 * 2);
    const detail = JSON.stringify({ whole, windows: windows.map((w) => Math.round(w.ncc * 1000) / 1000) });
    expect(windows.length).toBeGreaterThanOrEqual(4);
    expect(median(windows.map((w) => w.ncc)), detail).toBeGreaterThanOrEqual(0.9);
  }, 60_000);

  it('a baresip call over TLS with SRTP mandatory is anchored: rtpengine does SRTP for the caller, the echo correlates', async () => {
    mkdirSync(resolve('.tmp'), { recursive: true });
    const dir = mkdtempSync(join(resolve('.tmp'), 'anchor-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const source = speechWav('anchor-pcmu', 'Anchored media test. One two three four five six seven.', 8000, 'signed-integer', 2);
    const udpPort = await freePort();
    const tlsPort = await freePort();
    gw = await startTestGateway({
      trunk: { codecs: ['PCMU'], srtp: 'mandatory' },
      media: { anchor: 'rtpengine', rtpengine: { ng: [daemon.ng] } },
      extra: { sip: { listen: [{ address: '127.0.0.1', port: udpPort, transport: 'udp' }, { address: '127.0.0.1', port: tlsPort, transport: 'tls', cert, key }] } },
    });
    const r = await baresipCall(`sip:919876543210@127.0.0.1:${tlsPort};transport=tls`, source, 'PCMU/8000/1', 'srtp-mand', 12, cert);
    await gw.waitIdle();
    expect(r.output).toMatch(/SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_(80|32)\)/);
    const end = gw.logs().find((l) => l.event === 'call_end') as { hangupBy?: string; rtpengine?: { rtp: { packets: number } } } | undefined;
    expect(end, r.output).toMatchObject({ hangupBy: 'caller' });
    expect(end!.rtpengine!.rtp.packets).toBeGreaterThan(400);
    const rec = readdirSync(join(r.dir, 'rec')).find((f) => f.endsWith('-dec.wav'));
    const heard = readWav(readFileSync(join(r.dir, 'rec', rec!)));
    const sent = readWav(readFileSync(source));
    const windows = windowedCorrelation(sent.samples, heard.samples, 2000, 8000 * 2);
    expect(windows.length).toBeGreaterThanOrEqual(4);
    expect(median(windows.map((w) => w.ncc)), JSON.stringify(windows.map((w) => w.ncc))).toBeGreaterThanOrEqual(0.9);
  }, 60_000);

  it('the gateway refuses to start, naming the address, when the ng port does not answer', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const err = await startTestGateway({ media: { anchor: 'rtpengine', rtpengine: { ng: [dead], timeout_ms: 300 } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtpengineError);
    expect((err as RtpengineError).code).toBe('RTPENGINE_UNAVAILABLE');
    expect((err as Error).message).toContain(dead);
  }, 30_000);
});
