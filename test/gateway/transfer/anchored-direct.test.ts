/**
 * `transfer.media: direct` while anchored in rtpengine (media.anchor: rtpengine, the real daemon in
 * userspace): once caller and human are bridged, the human is re-INVITEd to rtpengine's inner side
 * and rtpengine relays caller ↔ human alone. Shown by counters — rtpengine's (`query`) keep rising
 * while no packet of the call passes trunkgate's media engine (its packet tap) — and by the audio
 * each side hears (recorded-audio correlation).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'rtpengine-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/agents/builtin/wav.js';
import { startRtpengine, type RtpengineDaemon } from '../../helpers/rtpengine.js';
import { startBaresip, type Baresip } from '../helpers/baresip.js';
import { median, speechWav, windowedCorrelation } from '../helpers/audio.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../../helpers/ports.js';
import { TRANSFER_AGENT } from './helpers.js';

let daemon: RtpengineDaemon;
let ng: Client;
beforeAll(async () => {
  daemon = await startRtpengine();
  ng = new Client({ localAddress: '127.0.0.1', timeout: 2000 });
  await new Promise<void>((r) => ng.on('listening', () => r()));
});
afterAll(async () => {
  ng?.close();
  await daemon?.stop();
});
let gw: TestGateway | undefined;
const phones: Baresip[] = [];
afterEach(async () => {
  for (const p of phones.splice(0)) p.kill();
  await gw?.stop();
  gw = undefined;
});

async function rtpengineRtpPackets(callId: string): Promise<number> {
  const [host, port] = daemon.ng.split(':') as [string, string];
  const q = await ng.query(Number(port), host, { 'call-id': callId });
  return Number(((q.totals as Record<string, Record<string, unknown>> | undefined)?.RTP?.packets) ?? 0);
}

function heardScore(sent: Int16Array, heard: Int16Array | undefined, rate: number): { median: number; windows: number } {
  const w = windowedCorrelation(sent, heard ?? new Int16Array(0), rate / 4, rate * 6);
  return { median: median(w.map((x) => x.ncc)), windows: w.length };
}

describe('transfer.media: direct while anchored in rtpengine', () => {
  it('after the bridge, caller ↔ human audio flows through rtpengine alone: its counters rise, trunkgate\'s media engine sees no packet, both sides hear each other', async () => {
    const callerText = 'This is the caller speaking through the anchor. One two three four five.';
    const humanText = 'Support desk, this is the human agent. Six seven eight nine ten.';
    const callerSrc = speechWav('anchored-direct-caller', callerText, 8000, 'signed-integer', 3, undefined, 3);
    const humanSrc = speechWav('anchored-direct-human', humanText, 8000, 'signed-integer', 6, undefined, 2);
    // After the hand-over the human receives the caller's own stream as rtpengine forwards it (a new
    // SSRC, unrelated sequence numbers): a phone without baresip 1.0's buffer quirk (helpers/baresip.ts).
    const human = await startBaresip({ source: humanSrc, codecs: 'PCMU/8000/1', user: 'human', seconds: 20, jitterBuffer: false });
    phones.push(human);
    // Every packet through trunkgate's media engine, with the time it passed.
    const tapped: number[] = [];
    gw = await startTestGateway({
      trunk: { codecs: ['PCMU'], transfer: { method: 'bridge', media: 'direct' }, routes: [{ pattern: '*', agent: 'xfer' }] },
      agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: human.uri, after_ms: 100 } } },
      media: { anchor: 'rtpengine', rtpengine: { ng: [daemon.ng] } },
      mediaTap: () => () => { tapped.push(Date.now()); },
    });
    const caller = await startBaresip({ source: callerSrc, codecs: 'PCMU/8000/1', user: 'caller', seconds: 14, dial: `sip:919876543210@127.0.0.1:${gw.sipPort}` });
    phones.push(caller);

    await gw.waitFor(() => gw!.logs().some((l) => l.event === 'media_offloaded'), 20_000);
    const offloadedAt = Date.now();
    const callId = gw.logs().find((l) => l.event === 'media_offloaded')!.callId as string;
    expect(gw.logs().find((l) => l.event === 'direct_media')).toMatchObject({ via: 'rtpengine' });
    expect(gw.proc.gateway.stats()).toMatchObject({ activeCalls: 1, mediaPortsInUse: 0 });
    const before = await rtpengineRtpPackets(callId);
    // rtpengine counts on (≥ 100 more packets: about a second, ~50/s each way), polled every 100 ms.
    let after = before;
    while (after - before < 100 && Date.now() - offloadedAt < 10_000) {
      await new Promise((r) => setTimeout(r, 100));
      after = await rtpengineRtpPackets(callId);
    }
    expect(after - before).toBeGreaterThanOrEqual(100);
    const tappedAfter = tapped.filter((t) => t > offloadedAt).length;
    expect(tappedAfter).toBe(0);
    expect(tapped.length).toBeGreaterThan(0);

    const out = await caller.done;
    await gw.waitIdle(20_000);
    await human.done;
    const end = gw.logs().find((l) => l.event === 'call_end') as { hangupBy?: string; packetsIn: number; human: { packetsIn: number }; transfer?: { result: string }; rtpengine?: { rtp: { packets: number } } };
    expect(end, out.output).toMatchObject({ hangupBy: 'caller', transfer: { result: 'transferred' } });
    expect(end.rtpengine!.rtp.packets).toBeGreaterThanOrEqual(after);
    // Our media engine's counters stopped at the hand-over (the ring time's packets): a tenth of rtpengine's at most.
    expect(end.packetsIn + end.human.packetsIn, JSON.stringify(end)).toBeLessThan(end.rtpengine!.rtp.packets / 10);

    // Both ways, with the speech after the hand-over (3 s and 2 s of silence lead in).
    const callerRef = readWav(readFileSync(callerSrc)).samples.subarray(8000);
    const toHuman = heardScore(callerRef, human.heard()?.samples, 8000);
    const toCaller = heardScore(readWav(readFileSync(humanSrc)).samples, caller.heard()?.samples, 8000);
    const detail = JSON.stringify({ toCaller, toHuman, dirs: [caller.dir, human.dir] });
    expect(toCaller.windows, detail).toBeGreaterThanOrEqual(4);
    expect(toHuman.windows, detail).toBeGreaterThanOrEqual(4);
    expect(toCaller.median, detail).toBeGreaterThanOrEqual(0.8);
    expect(toHuman.median, detail).toBeGreaterThanOrEqual(0.8);
  }, 60_000);

  it('a human whose leg is SRTP stays in SRTP after the hand-over: rtpengine re-keys the leg (RFC 4568 §7.1.4) and does SRTP toward it; the caller hears its own voice echoed by the human', async () => {
    mkdirSync(resolve('.tmp'), { recursive: true });
    const dir = mkdtempSync(join(resolve('.tmp'), 'anchored-srtp-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const tls = (port: number): Record<string, unknown> => ({ address: '127.0.0.1', port, transport: 'tls', cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
    // The human: a second trunkgate answering over TLS with SRTP mandatory and echoing what it hears.
    // (baresip 1.0 keeps its first SRTP key when a re-INVITE brings a new one — "failed to decrypt" —
    // so it cannot be this human; a peer that re-keys as RFC 4568 §7.1.4 asks is.)
    const humanTls = await freePort();
    const desk = await startTestGateway({
      trunk: { codecs: ['PCMU'], srtp: 'mandatory' },
      extra: { sip: { listen: [{ address: '127.0.0.1', port: await freePort(), transport: 'udp' }, tls(humanTls)] } },
    });
    try {
      const callerSrc = speechWav('anchored-direct-caller', 'This is the caller speaking through the anchor. One two three four five.', 8000, 'signed-integer', 3, undefined, 3);
      const udpPort = await freePort();
      gw = await startTestGateway({
        trunk: { codecs: ['PCMU'], transfer: { method: 'bridge', media: 'direct' }, routes: [{ pattern: '*', agent: 'xfer' }] },
        agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: 'desk', after_ms: 100 } } },
        media: { anchor: 'rtpengine', rtpengine: { ng: [daemon.ng] } },
        extra: {
          transfer_targets: { desk: { uri: `sip:desk@127.0.0.1:${humanTls};transport=tls`, srtp: 'mandatory' } },
          sip: { listen: [{ address: '127.0.0.1', port: udpPort, transport: 'udp' }, tls(await freePort())], tls_client: { ca: join(dir, 'cert.pem') } },
        },
      });
      const caller = await startBaresip({ source: callerSrc, codecs: 'PCMU/8000/1', user: 'caller', seconds: 14, dial: `sip:919876543210@127.0.0.1:${udpPort}`, jitterBuffer: false });
      phones.push(caller);
      await gw.waitFor(() => gw!.logs().some((l) => l.event === 'media_offloaded'), 20_000);
      expect(gw.logs().find((l) => l.event === 'direct_media')).toMatchObject({ via: 'rtpengine', srtp: expect.stringMatching(/^AES_CM_128_HMAC_SHA1_(80|32)$/) });
      const out = await caller.done;
      await gw.waitIdle(20_000);
      await desk.waitIdle(20_000);
      expect(gw.logs().find((l) => l.event === 'call_end'), out.output).toMatchObject({ hangupBy: 'caller', transfer: { result: 'transferred' } });
      // The desk's leg: SRTP throughout, re-keyed by the hand-over's re-INVITE, nothing rejected after it.
      const deskEnd = desk.logs().find((l) => l.event === 'call_end') as { packetsIn: number; packetsRejected?: number } | undefined;
      expect(desk.logs().some((l) => l.event === 'reinvite'), JSON.stringify(desk.logs().map((l) => l.event))).toBe(true);
      expect(deskEnd!.packetsIn).toBeGreaterThan(300);
      const toCaller = heardScore(readWav(readFileSync(callerSrc)).samples.subarray(8000), caller.heard()?.samples, 8000);
      expect(toCaller.windows, JSON.stringify({ toCaller, dir: caller.dir })).toBeGreaterThanOrEqual(4);
      expect(toCaller.median, JSON.stringify({ toCaller, dir: caller.dir })).toBeGreaterThanOrEqual(0.8);
    } finally {
      await desk.stop();
    }
  }, 60_000);
});
