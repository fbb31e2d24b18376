import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createCodec } from '../../../src/media/codecs/index.js';
import { writeRtpPacket } from '../../../src/media/rtp/header.js';
import { RemoteMediaSession } from '../../../src/media/worker/remote-session.js';
import { median, seededNoise, windowedCorrelation } from '../../gateway/helpers/audio.js';
import { startTestGateway, type TestGateway } from '../../gateway/helpers/gateway.js';
import { byeFromCaller, byeFromGateway, expectAnswer, invite, pause, scenario, scenarioFile, sdp } from '../../gateway/helpers/scenarios.js';
import { freePort, freePortRange } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';

let gw: TestGateway | undefined;
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  for (const c of closers.splice(0)) await c();
});


describe('the gateway with media.workers: 2', () => {
  it('answers a SIPp call whose MediaSession runs on a worker thread, and the echo agent returns the caller\'s audio (median NCC per 500 ms window ≥ 0.9)', async () => {
    const media = await freePortRange(40);
    gw = await startTestGateway({ extra: { media: { address: '127.0.0.1', port_min: media.min, port_max: media.max, workers: 2 } } });
    expect(gw.logs().some((l) => l.mediaWorkers === 2)).toBe(true);

    // The caller's RTP is this socket (the INVITE's SDP names it); SIPp does the signalling.
    const rtpPort = (await freePortRange(2)).min;
    const rtp = createSocket('udp4');
    const echoed: Buffer[] = [];
    rtp.on('message', (m) => { if (m.length > 12 && (m[1]! & 0x7f) === 0) echoed.push(m); });
    await new Promise<void>((r) => rtp.bind(rtpPort, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => rtp.close(() => r())));

    const body = sdp(`m=audio ${rtpPort} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-16\na=ptime:20`);
    const scn = scenarioFile('uac-worker-echo', scenario('uac-worker-echo', `${invite({}, body)}${expectAnswer}${pause(4500)}${byeFromCaller()}`));
    const sipPort = await freePort();
    const call = runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(sipPort), '-m', '1'], timeoutMs: 60_000 });
    closers.push(() => call.kill());
    await gw.waitFor(() => gw!.logs().some((l) => l.event === 'call_answered'));
    const session = [...gw.proc.gateway.app.calls.values()][0]!.session;
    expect(session).toBeInstanceOf(RemoteMediaSession);

    const codec = createCodec('PCMU');
    const sent = seededNoise(8000 * 2, 4242);
    const start = performance.now();
    for (let i = 0; i < sent.length / 160; i++) {
      rtp.send(writeRtpPacket(0, i === 0, 7000 + i, 160 * i, 0x5151, codec.encode(sent.subarray(i * 160, (i + 1) * 160))), session.localPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, Math.max(0, start + (i + 1) * 20 - performance.now())));
    }
    const r = await call;
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();

    const ordered = echoed.sort((a, b) => ((a.readUInt16BE(2) - b.readUInt16BE(2) + 65536 + 32768) % 65536) - 32768);
    const received = new Int16Array(ordered.length * 160);
    ordered.forEach((p, i) => received.set(codec.decode(p.subarray(12)), i * 160));
    // Per 500 ms window (a late tick under load conceals a frame and shifts what follows).
    const windows = windowedCorrelation(sent, received, 4000, 8000 * 2);
    expect(windows.length).toBeGreaterThanOrEqual(3);
    expect(median(windows.map((w) => w.ncc)), JSON.stringify(windows)).toBeGreaterThanOrEqual(0.9);

    // call_end carries the worker's final counters: Call.end() reads stats() after close(), and the
    // pool delivers the final counters before `close`, so every frame that left is counted.
    const end = gw.logs().find((l) => l.event === 'call_end') as { framesSent: number; packetsIn: number };
    expect(end.packetsIn).toBe(100);
    expect(end.framesSent).toBe(ordered.length);
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 60_000);

  it('a media worker that dies mid-call: the gateway sends BYE, logs call_end with the reason, releases the port, and the next call is served', async () => {
    const media = await freePortRange(40);
    gw = await startTestGateway({ extra: { media: { address: '127.0.0.1', port_min: media.min, port_max: media.max, workers: 2 } } });
    const pool = gw.proc.gateway.app.mediaSessions.pool!;
    const scn = scenarioFile('uac-expect-bye', scenario('uac-expect-bye', `${invite()}${expectAnswer}${byeFromGateway}`));
    const first = runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-m', '1'], timeoutMs: 60_000 });
    await gw.waitFor(() => gw!.logs().some((l) => l.event === 'call_answered'));
    const busy = pool.workers().find((w) => w.sessions > 0)!;
    await pool.terminateWorker(busy.index);
    const r = await first;
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    const end = gw.logs().find((l) => l.event === 'call_end') as { hangupBy?: string; reason?: string };
    expect(end.hangupBy).toBe('gateway');
    expect(end.reason).toMatch(/media ended: media worker exited/);
    expect(gw.logs().some((l) => l.event === 'media_lost')).toBe(true);
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);

    // The same gateway takes the next call on the replacement worker (or the other one).
    const again = scenarioFile('uac-after-crash', scenario('uac-after-crash', `${invite()}${expectAnswer}${pause(300)}${byeFromCaller()}`));
    const second = await runSipp({ args: ['-sf', again, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-m', '1'], timeoutMs: 60_000 });
    expect(second.code, second.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.logs().filter((l) => l.event === 'call_end')).toHaveLength(2);
    expect(pool.workers().every((w) => w.sessions === 0)).toBe(true);
  }, 90_000);
});
