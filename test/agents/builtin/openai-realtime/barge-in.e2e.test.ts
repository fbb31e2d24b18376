/**
 * Barge-in through the whole gateway: the agent's greeting (5 s of a 440 Hz tone, delivered to
 * the gateway at once) is playing when baresip starts to speak; the stand-in's VAD sends
 * `speech_started`, the agent stops the caller's playback and truncates the item at the position
 * the caller actually heard — which the caller's own recording shows.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUlaw } from '../../../../src/media/codecs/g711.js';
import { repoTmp, startChildGateway, type ChildGateway } from './helpers/gateway-child.js';
import { baresipCall, speechFile, tone, toneShare } from './helpers/phones.js';
import { startStandIn, type StandIn } from './helpers/standin.js';

let dir: string;
let standIn: StandIn;
let gw: ChildGateway | undefined;

beforeAll(async () => {
  dir = repoTmp('realtime-barge-');
  standIn = await startStandIn(join(dir, 'tls'));
});
afterAll(async () => {
  await gw?.stop();
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openai-realtime barge-in', () => {
  it('speech_started stops the caller\'s playback at once, truncates at the heard position, and cancels the response the server left running', async () => {
    gw = await startChildGateway({
      agent: { type: 'openai-realtime', settings: { greeting: 'Say hello.' } },
      env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: standIn.baseUrl, NODE_EXTRA_CA_CERTS: standIn.caFile },
      codecs: ['PCMU'],
      dir,
    });
    // The caller is silent for 2 s, then speaks over the 5 s greeting.
    const source = speechFile(dir, 8000, 2, 2);
    const greeting = tone(5000, 8000, 440);
    const flow = (async () => {
      const s = await standIn.session(standIn.sessions.length + 1);
      await s.next('response.create');
      const { itemId } = s.respondWithAudio(Buffer.from(encodeUlaw(greeting)), { chunkBytes: 2400, open: true });
      const truncate = await s.next('conversation.item.truncate');
      const cancel = await s.next('response.cancel');
      return { s, itemId, truncate, cancel };
    })();
    const call = await baresipCall(`sip:919876543210@127.0.0.1:${gw.sipPort}`, source, 'PCMU/8000/1', 12);
    const { s, itemId, truncate, cancel } = await flow;
    await gw.line((l) => l.event === 'call_end');

    expect(s.speech.started.length).toBeGreaterThanOrEqual(1);
    expect(truncate).toMatchObject({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0 });
    expect(cancel.type).toBe('response.cancel');
    // Heard: more than nothing, less than what was received (5 s).
    expect(truncate.audio_end_ms).toBeGreaterThan(500);
    expect(truncate.audio_end_ms).toBeLessThan(4500);

    // The caller's recording: the tone lasts as long as the truncation says it was heard, and none
    // of it comes after. Tolerance 5 frames: with media workers the queue depth the agent reads is
    // the worker's figure from its last tick, and the clear takes effect at the worker's next batch.
    expect(call.heard, call.output).toBeDefined();
    const shares = toneShare(call.heard!.samples, 8000, 440);
    const toneMs = shares.filter((x) => x > 0.8).length * 20;
    expect(Math.abs(toneMs - truncate.audio_end_ms), JSON.stringify({ toneMs, audioEndMs: truncate.audio_end_ms })).toBeLessThanOrEqual(100);
    const first = shares.findIndex((x) => x > 0.8);
    const last = shares.length - 1 - [...shares].reverse().findIndex((x) => x > 0.8);
    expect((last - first + 1) * 20 - toneMs).toBeLessThanOrEqual(60);
    expect(gw.logs().find((l) => l.event === 'realtime_barge_in')).toMatchObject({ itemId, audioEndMs: truncate.audio_end_ms });
  }, 60_000);
});
