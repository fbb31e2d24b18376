/**
 * End to end: a SIPp caller through the real gateway (embedded drachtio server + drachtio-srf app)
 * to the websocket agent, with a Twilio-format bot in this test that echoes media back.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { readWav } from '../../../../src/agents/builtin/wav.js';
import { createCodec } from '../../../../src/media/codecs/index.js';
import { freePort, sippMediaPort } from '../../../helpers/ports.js';
import { runSipp } from '../../../helpers/sipp.js';
import { median, speechWav, windowedCorrelation } from '../../../gateway/helpers/audio.js';
import { startTestGateway, type TestGateway } from '../../../gateway/helpers/gateway.js';
import { byeFromCaller, expectAnswer, invite, pause, scenario, scenarioFile } from '../../../gateway/helpers/scenarios.js';

let gw: TestGateway | undefined;
let wss: WebSocketServer | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  for (const c of wss?.clients ?? []) c.terminate();
  await new Promise<void>((resolve) => { if (wss) wss.close(() => resolve()); else resolve(); });
  wss = undefined;
});

type Msg = { event: string; start?: { callSid: string; customParameters: Record<string, string> }; media?: { payload: string } };

describe('a SIP call to the websocket agent through the gateway', () => {
  it('streams the caller audio to a Twilio-format bot, plays the bot media back, and sends stop when the caller hangs up', async () => {
    const botPort = await freePort();
    wss = new WebSocketServer({ host: '127.0.0.1', port: botPort });
    await new Promise<void>((resolve) => wss!.once('listening', resolve));
    const received: Msg[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as Msg;
        received.push(m);
        if (m.event === 'media') ws.send(JSON.stringify({ event: 'media', media: { payload: m.media!.payload } }));
      });
    });
    const out: Buffer[] = [];
    gw = await startTestGateway({
      agent: 'bot',
      agents: { bot: { type: 'websocket', settings: { url: `ws://127.0.0.1:${botPort}/ws`, format: 'twilio' } } },
      mediaTap: () => (dir, pkt) => { if (dir === 'out') out.push(Buffer.from(pkt)); },
    });
    const sentWav = speechWav('ws-agent', 'The quick brown fox jumps over the lazy dog. One two three four five.', 8000, 'u-law');
    const scn = scenarioFile('uac-ws-agent', scenario('uac-ws-agent', `${invite()}${expectAnswer}  <nop><action><exec rtp_stream="${sentWav},1,0"/></action></nop>
${pause(6500)}${byeFromCaller()}`));
    const sipPort = await freePort();
    const mediaPort = await sippMediaPort();
    const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(sipPort), '-mp', String(mediaPort), '-m', '1'], timeoutMs: 30_000 });
    expect(r.code, r.errors).toBe(0);
    await gw.waitFor(() => received.some((m) => m.event === 'stop'));

    expect(received.slice(0, 2).map((m) => m.event)).toEqual(['connected', 'start']);
    expect(received[1]!.start!.callSid).toMatch(/^CA/);
    expect(received[1]!.start!.customParameters.from_number).toBeTruthy();

    const codec = createCodec('PCMU');
    const ref = readWav(execFileSync('sox', [sentWav, '-t', 'wav', '-e', 'signed-integer', '-b', '16', '-'])).samples;
    const atBot = Buffer.concat(received.filter((m) => m.event === 'media').map((m) => Buffer.from(m.media!.payload, 'base64')));
    const botWindows = windowedCorrelation(ref, codec.decode(atBot), 4000, 8000 * 2);
    expect(botWindows.length).toBeGreaterThanOrEqual(4);
    expect(median(botWindows.map((w) => w.ncc)), JSON.stringify(botWindows)).toBeGreaterThanOrEqual(0.9);

    const rtp = out.filter((p) => p.length > 12 && (p[0]! >> 6) === 2 && (p[1]! & 0x7f) === 0)
      .sort((a, b) => ((a.readUInt16BE(2) - b.readUInt16BE(2) + 65536 + 32768) % 65536) - 32768);
    const back = new Int16Array(rtp.length * 160);
    const dec = createCodec('PCMU');
    rtp.forEach((p, i) => back.set(dec.decode(p.subarray(12)), i * 160));
    const backWindows = windowedCorrelation(ref, back, 4000, 8000 * 2);
    expect(median(backWindows.map((w) => w.ncc)), JSON.stringify(backWindows)).toBeGreaterThanOrEqual(0.9);

    await gw.waitIdle();
    expect(gw.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
  }, 60_000);
});
