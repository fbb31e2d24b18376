import { afterEach, describe, expect, it } from 'vitest';
import { createWebSocketAgent } from '../../../../src/agents/builtin/websocket-stream/index.js';
import { decodeUlaw, encodeUlaw } from '../../../../src/media/codecs/index.js';
import { rootLogger } from '../../../../src/log.js';
import type { Agent } from '../../../../src/agents/types.js';
import { callInfo } from '../../helpers.js';
import { startBot, type BotMessage } from './bot.js';
import { markingIO } from './fake-io.js';

const ctx = { transferTargets: {}, log: rootLogger };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

async function vobizCall(encoding: string) {
  const bot = await startBot();
  cleanups.push(() => bot.close());
  const agent: Agent = await createWebSocketAgent({ url: bot.url, format: 'vobiz', encoding }, ctx);
  const r = markingIO(8000);
  cleanups.push(() => agent.stop?.('test over'));
  await agent.start(callInfo, r.io);
  await bot.waitFor('start');
  return { bot, agent, r };
}

const ramp = (n: number) => Int16Array.from({ length: n }, (_, i) => (i * 389) % 60000 - 30000);
const field = (m: BotMessage, k: string) => m[k] as Record<string, unknown>;

describe('websocket agent, Vobiz (Plivo) format', () => {
  it('sends a Plivo start: streamId, callId and mediaFormat nested under start, no Twilio streamSid', async () => {
    const { bot } = await vobizCall('audio/x-l16;rate=16000');
    expect(bot.messages[0]!.event).toBe('start');
    const s = field(bot.messages[0]!, 'start');
    expect(s.streamId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.callId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.mediaFormat).toEqual({ encoding: 'audio/x-l16', sampleRate: 16000 });
    expect(bot.messages[0]!.streamSid).toBeUndefined();
    expect(s.streamSid).toBeUndefined();
    expect(bot.events('connected')).toHaveLength(0);
  });

  it('sets the call audio rate to the L16 rate and streams 20 ms of caller audio as big-endian L16', async () => {
    const { bot, r } = await vobizCall('audio/x-l16;rate=16000');
    expect(r.io.audioRate).toBe(16000);
    const pcm = ramp(640);
    r.feed(pcm);
    const media = await bot.waitFor('media', 2);
    const bytes = media.map((m) => Buffer.from(field(m, 'media').payload as string, 'base64'));
    expect(bytes.map((b) => b.length)).toEqual([640, 640]);
    const all = Buffer.concat(bytes);
    expect(Array.from({ length: 640 }, (_, i) => all.readInt16BE(i * 2))).toEqual(Array.from(pcm));
    expect(media[0]!.streamId).toBe(field(bot.messages[0]!, 'start').streamId);
  });

  it('plays playAudio L16 as little-endian PCM at its sampleRate', async () => {
    const { bot, r } = await vobizCall('audio/x-l16;rate=8000');
    const pcm = ramp(480);
    const le = Buffer.alloc(960);
    pcm.forEach((v, i) => le.writeInt16LE(v, i * 2));
    bot.send({ event: 'playAudio', media: { contentType: 'audio/x-l16', sampleRate: 24000, payload: le.toString('base64') } });
    await expect.poll(() => r.played.length).toBe(1);
    expect(r.played[0]!.rate).toBe(24000);
    expect(Array.from(r.played[0]!.pcm)).toEqual(Array.from(pcm));
  });

  it('plays playAudio µ-law as the decoded PCM at 8000 Hz', async () => {
    const { bot, r } = await vobizCall('audio/x-mulaw;rate=8000');
    const pcm = ramp(160);
    bot.send({ event: 'playAudio', media: { contentType: 'audio/x-mulaw', sampleRate: 8000, payload: Buffer.from(encodeUlaw(pcm)).toString('base64') } });
    await expect.poll(() => r.played.length).toBe(1);
    expect(r.played[0]!.rate).toBe(8000);
    expect(Array.from(r.played[0]!.pcm)).toEqual(Array.from(decodeUlaw(encodeUlaw(pcm))));
  });

  it('streams caller audio as µ-law when the encoding is audio/x-mulaw;rate=8000', async () => {
    const { bot, r } = await vobizCall('audio/x-mulaw;rate=8000');
    expect(field(bot.messages[0]!, 'start').mediaFormat).toEqual({ encoding: 'audio/x-mulaw', sampleRate: 8000 });
    const pcm = ramp(160);
    r.feed(pcm);
    const [m] = await bot.waitFor('media');
    expect(Array.from(Buffer.from(field(m!, 'media').payload as string, 'base64'))).toEqual(Array.from(encodeUlaw(pcm)));
  });

  it('acknowledges a checkpoint with playedStream once played', async () => {
    const { bot, r } = await vobizCall('audio/x-mulaw;rate=8000');
    bot.send({ event: 'checkpoint', streamId: 'x', name: 'greeting' });
    await expect.poll(() => r.queuedMarks).toEqual(['greeting']);
    expect(bot.events('playedStream')).toHaveLength(0);
    r.playedAll();
    const [played] = await bot.waitFor('playedStream');
    expect(played!.name).toBe('greeting');
    expect(played!.streamId).toBe(field(bot.messages[0]!, 'start').streamId);
  });

  it('answers clearAudio with io.clear and clearedAudio', async () => {
    const { bot, r } = await vobizCall('audio/x-mulaw;rate=8000');
    bot.send({ event: 'checkpoint', name: 'pending' });
    bot.send({ event: 'clearAudio', streamId: 'x' });
    await bot.waitFor('clearedAudio');
    expect(r.cleared).toBe(1);
    expect(bot.events('playedStream')).toHaveLength(0); // the dropped checkpoint is covered by clearedAudio
  });

  it('a bot stop hangs up the call', async () => {
    const { bot, r } = await vobizCall('audio/x-mulaw;rate=8000');
    bot.send({ event: 'stop' });
    expect(await r.hangup).toMatch(/stop/);
    await bot.waitClosed();
  });

  it('closes the socket at call end without an inbound stop', async () => {
    const { bot, agent } = await vobizCall('audio/x-mulaw;rate=8000');
    agent.stop?.('caller hung up');
    await bot.waitClosed();
    expect(bot.events('stop')).toHaveLength(0);
  });
});
