/**
 * SIPp calls with audio through the real gateway to a bot that reads and writes exactly what
 * Pipecat 1.7's telephony code does (pipecat-bot.ts): its provider detection, its Twilio and
 * Plivo serializers, its REST hang-ups and the transport's close code.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../helpers/ports.js';
import { startTestGateway, type TestGateway } from '../../../gateway/helpers/gateway.js';
import { byeFromCaller, byeFromGateway, pause } from '../../../gateway/helpers/scenarios.js';
import { startPipecatBot, type PipecatBotOptions } from './pipecat-bot.js';
import { call, correlation, rtpBack, warnings, wireAudio } from './pipecat-helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

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

describe('a Pipecat-shaped bot behind the websocket agent', () => {
  it('Twilio format: detected as twilio, hears the caller, is heard, and its REST hang-up (base_url) ends the call with a BYE', async () => {
    const restPort = await freePort();
    const { bot, out } = await setup('twilio', { twilioBaseUrl: `http://127.0.0.1:${restPort}`, accountSid: 'ACfromtheenvironment', authToken: 'token', endAfterFrames: 350 }, restPort);
    await call(gw!, byeFromGateway);
    await bot.until(() => bot.runs[0]?.closeCode !== undefined && bot.runs[0].hangup !== undefined);
    const run = bot.runs[0]!;
    expect(run.provider).toBe('twilio');
    expect(run.call.call_id).toMatch(/^CA[0-9a-f]{32}$/);
    expect(run.call.from).toBe('+919000000001');
    expect(run.errors).toEqual([]);
    expect(run.hangup).toBe('terminated');
    expect(run.hangupStatus).toBe(200);
    expect(run.closeCode).toBe(1000); // whichever side closed first (the gateway after the REST call, or Pipecat's transport)
    // The REST hang-up ended the call: the gateway said goodbye with a stop before closing.
    expect(run.received.map((r) => (JSON.parse(r) as { event: string }).event).at(-1)).toBe('stop');
    expect(run.heard.length).toBe(run.received.filter((r) => r.includes('"event":"media"')).length);
    expect(correlation(wireAudio(run.received))).toBeGreaterThanOrEqual(0.9);
    expect(correlation(rtpBack(out))).toBeGreaterThanOrEqual(0.9);
    await gw!.waitIdle();
    expect(warnings(gw!)).toEqual([]);
  }, 60_000);

  it('Twilio format: a caller digit reaches the bot; the caller hangs up first: stop, close 1000, no hang-up request; one racing the close gets 404 code 20404 ("already terminated")', async () => {
    const restPort = await freePort();
    const { bot } = await setup('twilio', { twilioBaseUrl: `http://127.0.0.1:${restPort}`, accountSid: 'ACx', authToken: 't', endAfterFrames: 0 }, restPort);
    await call(gw!, `${pause(1500)}  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_7.pcap"/></action></nop>
${pause(1500)}${byeFromCaller()}`);
    await bot.until(() => bot.runs[0]?.closeCode !== undefined);
    const run = bot.runs[0]!;
    expect(run.dtmf).toEqual(['7']); // RFC 4733 from SIPp → the bot's `dtmf` event, as Pipecat reads it
    expect(run.closedBy).toBe('gateway');
    expect(run.closeCode).toBe(1000);
    expect(run.received.map((r) => (JSON.parse(r) as { event: string }).event).at(-1)).toBe('stop');
    expect(run.hangup).toBeUndefined();
    await run.hangUp!();
    expect(run.hangupStatus).toBe(404);
    expect(run.hangup).toBe('already_terminated');
  }, 60_000);

  it('Plivo format (Vobiz): detected as plivo, its hang-up to api.plivo.com fails, and its close (1000) ends the call with a BYE, not an error', async () => {
    const { bot, out } = await setup('vobiz', { accountSid: 'MAxxxx', authToken: 't', endAfterFrames: 350 });
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
