import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/agents/builtin/wav.js';
import { freePort } from '../../helpers/ports.js';
import { correlateWithLag, median, speechWav, windowedCorrelation } from '../helpers/audio.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { baresipCall } from '../helpers/baresip-call.js';

const TMP = resolve('.tmp');
let cert = '';
let key = '';

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI for this run. */
beforeAll(() => {
  mkdirSync(TMP, { recursive: true });
  const dir = mkdtempSync(join(TMP, 'tls-'));
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
});

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function tlsGateway(trunk: Record<string, unknown>): Promise<{ gw: TestGateway; tlsPort: number }> {
  const udpPort = await freePort();
  const tlsPort = await freePort();
  const g = await startTestGateway({
    trunk,
    extra: { sip: { listen: [{ address: '127.0.0.1', port: udpPort, transport: 'udp' }, { address: '127.0.0.1', port: tlsPort, transport: 'tls', cert, key }] } },
  });
  return { gw: g, tlsPort };
}

describe('baresip over TLS with SRTP mandatory (mediaenc=srtp-mand) to the echo agent', () => {
  const cases = [
    { codec: 'G722', baresipCodec: 'G722/16000/1', rate: 16000 },
    { codec: 'PCMU', baresipCodec: 'PCMU/8000/1', rate: 8000 },
  ] as const;
  for (const c of cases) {
    it(`${c.codec}: answered with SRTP, and what baresip hears correlates with what it sent (median NCC per 250 ms window ≥ 0.9)`, async () => {
      const source = speechWav(`srtp-${c.codec}`, 'Secure media test. One two three four five six seven.', c.rate, 'signed-integer', 2);
      const started = await tlsGateway({ codecs: [c.codec], srtp: 'mandatory' });
      gw = started.gw;
      const r = await baresipCall(`sip:919876543210@127.0.0.1:${started.tlsPort};transport=tls`, source, c.baresipCodec, 'srtp-mand', 12, cert);
      await gw.waitIdle();
      const answered = gw.logs().find((l) => l.event === 'call_answered');
      expect(answered, r.output).toMatchObject({ codec: c.codec });
      const end = gw.logs().find((l) => l.event === 'call_end');
      expect(end).toMatchObject({ hangupBy: 'caller' });
      // Every packet counted in was authenticated and decrypted; an RTT means baresip's SRTCP reports of our SRTCP arrived.
      expect((end as { packetsIn: number }).packetsIn).toBeGreaterThan(200);
      expect(end).toHaveProperty('rttMs');
      // baresip's srtp module says so once its keys are set.
      expect(r.output).toMatch(/SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_(80|32)\)/);

      const rec = readdirSync(join(r.dir, 'rec')).find((f) => f.endsWith('-dec.wav'));
      expect(rec, r.output).toBeDefined();
      const heard = readWav(readFileSync(join(r.dir, 'rec', rec!)));
      const sent = readWav(readFileSync(source));
      expect(heard.sampleRate).toBe(c.rate);
      const whole = correlateWithLag(sent.samples, heard.samples, c.rate * 2);
      const windows = windowedCorrelation(sent.samples, heard.samples, c.rate / 4, c.rate * 2);
      const detail = JSON.stringify({ whole, windows: windows.map((w) => Math.round(w.ncc * 1000) / 1000) });
      expect(windows.length).toBeGreaterThanOrEqual(4);
      expect(median(windows.map((w) => w.ncc)), detail).toBeGreaterThanOrEqual(0.9);
    }, 60_000);
  }

  it('a plain-RTP offer over TLS on that trunk gets 488 (call_refused srtp_required)', async () => {
    const source = speechWav('srtp-plain', 'Plain.', 8000, 'signed-integer', 1);
    const started = await tlsGateway({ codecs: ['PCMU'], srtp: 'mandatory' });
    gw = started.gw;
    const r = await baresipCall(`sip:919876543210@127.0.0.1:${started.tlsPort};transport=tls`, source, 'PCMU/8000/1', undefined, 4, cert);
    const refused = gw.logs().find((l) => l.event === 'call_refused');
    expect(refused, r.output).toMatchObject({ reason: 'srtp_required', status: 488, code: 'SDP_SRTP_REQUIRED' });
    expect(r.output).toMatch(/488/);
  }, 30_000);

  it('an SRTP offer that arrives over UDP on a mandatory trunk gets 488: keys are only taken over TLS', async () => {
    const source = speechWav('srtp-plain', 'Plain.', 8000, 'signed-integer', 1);
    const started = await tlsGateway({ codecs: ['PCMU'], srtp: 'mandatory' });
    gw = started.gw;
    const udpPort = (gw.config.sip.listen[0]!).port;
    const r = await baresipCall(`sip:919876543210@127.0.0.1:${udpPort}`, source, 'PCMU/8000/1', 'srtp-mand', 4, cert);
    const refused = gw.logs().find((l) => l.event === 'call_refused');
    expect(refused, r.output).toMatchObject({ reason: 'srtp_required', status: 488 });
  }, 30_000);
});
