import { afterEach, describe, expect, it } from 'vitest';
import { createWebSocketAgent } from '../../../../src/agents/builtin/websocket-stream/index.js';
import { decodeUlaw, encodeUlaw } from '../../../../src/media/codecs/index.js';
import { rootLogger } from '../../../../src/log.js';
import type { Agent } from '../../../../src/agents/types.js';
import { freePort } from '../../../helpers/ports.js';
import { callInfo } from '../../helpers.js';
import { startBot, type BotMessage } from './bot.js';
import { markingIO } from './fake-io.js';

const ctx = { transferTargets: {}, log: rootLogger };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

async function twilioCall(extra: Record<string, unknown> = {}) {
  const bot = await startBot();
  cleanups.push(() => bot.close());
  const agent: Agent = await createWebSocketAgent({ url: bot.url, format: 'twilio', custom_parameters: { lang: 'hi' }, ...extra }, ctx);
  const r = markingIO(8000);
  cleanups.push(() => agent.stop?.('test over'));
  await agent.start({ ...callInfo, customParameters: { trunk_param: 'x', url: bot.url, format: 'twilio' } }, r.io);
  await bot.waitFor('start');
  return { bot, agent, r };
}

const ramp = (n: number, from = 0) => Int16Array.from({ length: n }, (_, i) => ((from + i) * 97) % 16000 - 8000);
const field = (m: BotMessage, k: string) => m[k] as Record<string, unknown>;

describe('websocket agent, Twilio Media Streams format', () => {
  it('sends connected, then a start Pipecat recognises (streamSid, callSid, accountSid, tracks, customParameters with the numbers, mediaFormat)', async () => {
    const { bot } = await twilioCall();
    const [connected, start] = bot.messages;
    expect(connected).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(start!.event).toBe('start');
    expect(start!.sequenceNumber).toBe('1');
    const s = field(start!, 'start');
    expect(start!.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(s.streamSid).toBe(start!.streamSid);
    expect(s.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(s.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(s.tracks).toEqual(['inbound']);
    expect(s.customParameters).toEqual({ trunk_param: 'x', lang: 'hi', from_number: callInfo.from, to_number: callInfo.to });
    expect(s.mediaFormat).toEqual({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 });
  });

  it('streams caller audio as 20 ms media events whose µ-law decodes to the PCM fed in', async () => {
    const { bot, r } = await twilioCall();
    const pcm = ramp(480);
    r.feed(pcm.subarray(0, 100));
    r.feed(pcm.subarray(100, 480)); // 480 samples = three 160-sample chunks, whatever the input framing
    const media = await bot.waitFor('media', 3);
    const payloads = media.map((m) => Buffer.from(field(m, 'media').payload as string, 'base64'));
    expect(payloads.map((p) => p.length)).toEqual([160, 160, 160]);
    expect(Array.from(decodeUlaw(Buffer.concat(payloads)))).toEqual(Array.from(decodeUlaw(encodeUlaw(pcm))));
    expect(media.map((m) => field(m, 'media').chunk)).toEqual(['1', '2', '3']);
    expect(media.map((m) => field(m, 'media').timestamp)).toEqual(['0', '20', '40']);
    expect(media.map((m) => m.sequenceNumber)).toEqual(['2', '3', '4']);
    expect(media.every((m) => field(m, 'media').track === 'inbound' && m.streamSid === bot.messages[1]!.streamSid)).toBe(true);
  });

  it('plays bot media as the decoded PCM at 8000 Hz', async () => {
    const { bot, r } = await twilioCall();
    const pcm = ramp(320, 5);
    const payload = Buffer.from(encodeUlaw(pcm)).toString('base64');
    bot.send({ event: 'media', streamSid: bot.messages[1]!.streamSid, media: { payload } });
    bot.send({ event: 'mark', streamSid: bot.messages[1]!.streamSid, mark: { name: 'sync' } });
    await expect.poll(() => r.queuedMarks.length).toBe(1);
    expect(r.played).toHaveLength(1);
    expect(r.played[0]!.rate).toBe(8000);
    expect(Array.from(r.played[0]!.pcm)).toEqual(Array.from(decodeUlaw(encodeUlaw(pcm))));
  });

  it('echoes a mark with the same name once the audio queued before it has played', async () => {
    const { bot, r } = await twilioCall();
    bot.send({ event: 'media', media: { payload: Buffer.from(encodeUlaw(ramp(160))).toString('base64') } });
    bot.send({ event: 'mark', mark: { name: 'greeting-done' } });
    await expect.poll(() => r.queuedMarks).toEqual(['greeting-done']);
    expect(bot.events('mark')).toHaveLength(0);
    r.playedAll();
    const [mark] = await bot.waitFor('mark');
    expect(field(mark!, 'mark')).toEqual({ name: 'greeting-done' });
    expect(mark!.streamSid).toBe(bot.messages[1]!.streamSid);
  });

  it('clear calls io.clear and returns the pending marks', async () => {
    const { bot, r } = await twilioCall();
    bot.send({ event: 'mark', mark: { name: 'a' } });
    bot.send({ event: 'mark', mark: { name: 'b' } });
    bot.send({ event: 'clear', streamSid: bot.messages[1]!.streamSid });
    const marks = await bot.waitFor('mark', 2);
    expect(r.cleared).toBe(1);
    expect(marks.map((m) => field(m, 'mark').name)).toEqual(['a', 'b']);
  });

  it('forwards caller DTMF as dtmf events on inbound_track', async () => {
    const { bot, r } = await twilioCall();
    r.press('5');
    r.press('#');
    const dtmf = await bot.waitFor('dtmf', 2);
    expect(dtmf.map((m) => field(m, 'dtmf'))).toEqual([{ track: 'inbound_track', digit: '5' }, { track: 'inbound_track', digit: '#' }]);
  });

  it('sends stop with the accountSid and callSid at call end, then closes the socket', async () => {
    const { bot, agent, r } = await twilioCall();
    agent.stop?.('caller hung up');
    await bot.waitClosed();
    const stop = bot.events('stop');
    expect(stop).toHaveLength(1);
    const s = field(bot.messages[1]!, 'start');
    expect(field(stop[0]!, 'stop')).toEqual({ accountSid: s.accountSid, callSid: s.callSid });
    expect(r.hangups).toEqual([]); // the call was already ending: no second BYE
  });

  it('a POST Status=completed to the Twilio Calls REST path hangs up the matching call', async () => {
    const port = await freePort();
    const { bot, r } = await twilioCall({ rest_api_port: port });
    const s = field(bot.messages[1]!, 'start');
    const base = `http://127.0.0.1:${port}/2010-04-01/Accounts/${String(s.accountSid)}/Calls`;
    const other = await fetch(`${base}/CA00000000000000000000000000000000.json`, { method: 'POST', body: new URLSearchParams({ Status: 'completed' }) });
    expect(other.status).toBe(404);
    expect(r.hangups).toEqual([]);
    const res = await fetch(`${base}/${String(s.callSid)}.json`, { method: 'POST', body: new URLSearchParams({ Status: 'completed' }) });
    expect(res.status).toBe(200);
    expect(await r.hangup).toMatch(/REST/);
    await bot.waitClosed();
    expect(bot.events('stop')).toHaveLength(1);
  });
});
