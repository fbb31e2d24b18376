/**
 * SIPp calls with audio through the real gateway to a bot that reads and writes exactly what
 * Pipecat 1.7's telephony code does (pipecat-bot.ts): its provider detection, its Twilio and
 * Plivo serializers, its REST hang-ups and the transport's close code.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { readWav } from '../../../../src/agents/builtin/wav.js';
import { createCodec } from '../../../../src/media/codecs/index.js';
import { freePort, sippMediaPort } from '../../../helpers/ports.js';
import { runSipp } from '../../../helpers/sipp.js';
import { median, speechWav, windowedCorrelation } from '../../../gateway/helpers/audio.js';
import { startTestGateway, type TestGateway } from '../../../gateway/helpers/gateway.js';
import { byeFromCaller, byeFromGateway, expectAnswer, invite, pause, scenario, scenarioFile } from '../../../gateway/helpers/scenarios.js';
import { startPipecatBot, type PipecatBotOptions } from './pipecat-bot.js';

const cleanups: (() => Promise<void> | void)[] = [];
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sentWav = (): string => speechWav('pipecat-bot', 'The quick brown fox jumps over the lazy dog. One two three four five six.', 8000, 'u-law');

async function setup(format: 'twilio' | 'vobiz', bot: Omit<PipecatBotOptions, 'plivoApiRoot'>, restPort?: number) {
  const plivoApiRoot = `http://127.0.0.1:${await freePort()}`; // nobody listens: api.plivo.com is out of reach
  const b = await startPipecatBot({ ...bot, plivoApiRoot });
  cleanups.push(() => b.close());
  const out: Buffer[] = [];
  gw = await startTestGateway({
    agent: 'bot',
    agents: { bot: { type: 'websocket', settings: { url: b.url, format, ...(restPort ? { rest_api_port: restPort } : {}) } } },
    mediaTap: () => (dir, pkt) => { if (dir === 'out') out.push(Buffer.from(pkt)); },
  });
  return { bot: b, out };
}

async function call(gateway: TestGateway, body: string): Promise<void> {
  const scn = scenarioFile('uac-pipecat', scenario('uac-pipecat', `${invite()}${expectAnswer}  <nop><action><exec rtp_stream="${sentWav()},1,0"/></action></nop>
${body}`));
  const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gateway.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'], timeoutMs: 30_000 });
  expect(r.code, r.errors).toBe(0);
}

function reference(): Int16Array {
  return readWav(execFileSync('sox', [sentWav(), '-t', 'wav', '-e', 'signed-integer', '-b', '16', '-'])).samples;
}

/** Median windowed correlation of what the caller sent with `pcm`. */
function correlation(pcm: Int16Array): number {
  const windows = windowedCorrelation(reference(), pcm, 4000, 8000 * 2);
  expect(windows.length).toBeGreaterThanOrEqual(3);
  return median(windows.map((w) => w.ncc));
}

function rtpBack(out: Buffer[]): Int16Array {
  const rtp = out.filter((p) => p.length > 12 && (p[0]! >> 6) === 2 && (p[1]! & 0x7f) === 0)
    .sort((a, b) => ((a.readUInt16BE(2) - b.readUInt16BE(2) + 65536 + 32768) % 65536) - 32768);
  const dec = createCodec('PCMU');
  const back = new Int16Array(rtp.length * 160);
  rtp.forEach((p, i) => back.set(dec.decode(p.subarray(12)), i * 160));
  return back;
}

/** The caller audio on the wire to the bot (the runner's handshake read included). */
function wireAudio(received: string[]): Int16Array {
  const payloads = received.map((r) => JSON.parse(r) as { event: string; media?: { payload: string } })
    .filter((m) => m.event === 'media').map((m) => Buffer.from(m.media!.payload, 'base64'));
  return createCodec('PCMU').decode(Buffer.concat(payloads));
}

const warnings = (g: TestGateway) => g.logs().filter((l) => typeof l.msg === 'string' && l.msg.includes('stream failed'));

describe('a Pipecat-shaped bot behind the websocket agent', () => {
  it('Twilio format: detected as twilio, hears the caller, is heard, and its REST hang-up (base_url) ends the call with a BYE', async () => {
    const restPort = await freePort();
    const { bot, out } = await setup('twilio', { twilioBaseUrl: `http://127.0.0.1:${restPort}`, accountSid: 'ACfromtheenvironment', authToken: 'token', endAfterFrames: 250 }, restPort);
    await call(gw!, byeFromGateway);
    await bot.until(() => bot.runs[0]?.closeCode !== undefined && bot.runs[0].hangup !== undefined);
    const run = bot.runs[0]!;
    expect(run.provider).toBe('twilio');
    expect(run.call.call_id).toMatch(/^CA[0-9a-f]{32}$/);
    expect(run.call.from).toBe('+919000000001');
    expect(run.errors).toEqual([]);
    expect(run.hangup).toBe('terminated');
    expect(run.hangupStatus).toBe(200);
    expect(run.closedBy).toBe('gateway'); // the REST hang-up ended the call, the gateway closed with a stop
    expect(run.received.map((r) => (JSON.parse(r) as { event: string }).event).at(-1)).toBe('stop');
    expect(run.heard.length).toBe(run.received.filter((r) => r.includes('"event":"media"')).length);
    expect(correlation(wireAudio(run.received))).toBeGreaterThanOrEqual(0.9);
    expect(correlation(rtpBack(out))).toBeGreaterThanOrEqual(0.9);
    await gw!.waitIdle();
    expect(warnings(gw!)).toEqual([]);
  }, 60_000);

  it('Twilio format: when the caller hangs up first, the bot\'s hang-up gets 404 code 20404 ("already terminated")', async () => {
    const restPort = await freePort();
    const { bot } = await setup('twilio', { twilioBaseUrl: `http://127.0.0.1:${restPort}`, accountSid: 'ACx', authToken: 't', endAfterFrames: 0 }, restPort);
    await call(gw!, `${pause(3000)}${byeFromCaller()}`);
    await bot.until(() => bot.runs[0]?.hangup !== undefined);
    const run = bot.runs[0]!;
    expect(run.closedBy).toBe('gateway');
    expect(run.closeCode).toBe(1000);
    expect(run.hangupStatus).toBe(404);
    expect(run.hangup).toBe('already_terminated');
  }, 60_000);

  it('Plivo format (Vobiz): detected as plivo, its hang-up to api.plivo.com fails, and its close (1000) ends the call with a BYE, not an error', async () => {
    const { bot, out } = await setup('vobiz', { accountSid: 'MAxxxx', authToken: 't', endAfterFrames: 250 });
    await call(gw!, byeFromGateway);
    await bot.until(() => bot.runs[0]?.closeCode !== undefined);
    const run = bot.runs[0]!;
    expect(run.provider).toBe('plivo');
    expect(run.call.call_id).toBeTruthy();
    expect(run.hangup).toBe('error');
    expect(run.closedBy).toBe('bot');
    expect(run.closeCode).toBe(1000);
    // Plivo sends one handshake message: the runner's second read consumes the first media event.
    expect(run.heard.length).toBe(run.received.filter((r) => r.includes('"event":"media"')).length - 1);
    expect(correlation(wireAudio(run.received))).toBeGreaterThanOrEqual(0.9);
    expect(correlation(rtpBack(out))).toBeGreaterThanOrEqual(0.9);
    await gw!.waitIdle();
    expect(warnings(gw!)).toEqual([]);
    const end = gw!.logs().find((l) => l.msg === 'call_end' || l.event === 'call_end');
    expect(end, JSON.stringify(gw!.logs().slice(-5))).toBeDefined();
  }, 60_000);
});
