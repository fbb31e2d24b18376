/** SIPp calls with audio to a gateway whose agent is a Pipecat(-shaped) bot, and what to measure. */
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { readWav } from '../../../../src/agents/builtin/wav.js';
import { createCodec } from '../../../../src/media/codecs/index.js';
import { freePort, sippMediaPort } from '../../../helpers/ports.js';
import { runSipp } from '../../../helpers/sipp.js';
import { median, speechWav, windowedCorrelation } from '../../../gateway/helpers/audio.js';
import type { TestGateway } from '../../../gateway/helpers/gateway.js';
import { expectAnswer, invite, scenario, scenarioFile } from '../../../gateway/helpers/scenarios.js';

/** Speech then 2 s of silence: all the speech (5.8 s) is heard and echoed before the bot's 350-frame (7 s) end, and the stream outlasts that end. */
export const sentWav = (): string => speechWav('pipecat-bot', 'The quick brown fox jumps over the lazy dog. One two three four five six.', 8000, 'u-law', 2);

export async function call(gateway: TestGateway, body: string): Promise<void> {
  const scn = scenarioFile('uac-pipecat', scenario('uac-pipecat', `${invite()}${expectAnswer}  <nop><action><exec rtp_stream="${sentWav()},1,0"/></action></nop>
${body}`));
  const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gateway.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'], timeoutMs: 30_000 });
  expect(r.code, r.errors).toBe(0);
}

export function reference(): Int16Array {
  return readWav(execFileSync('sox', [sentWav(), '-t', 'wav', '-e', 'signed-integer', '-b', '16', '-'])).samples;
}

/** Median windowed correlation of what the caller sent with `pcm`. */
export function correlation(pcm: Int16Array): number {
  const windows = windowedCorrelation(reference(), pcm, 4000, 8000 * 2);
  expect(windows.length).toBeGreaterThanOrEqual(3);
  return median(windows.map((w) => w.ncc));
}

export function rtpBack(out: Buffer[]): Int16Array {
  const rtp = out.filter((p) => p.length > 12 && (p[0]! >> 6) === 2 && (p[1]! & 0x7f) === 0)
    .sort((a, b) => ((a.readUInt16BE(2) - b.readUInt16BE(2) + 65536 + 32768) % 65536) - 32768);
  const dec = createCodec('PCMU');
  const back = new Int16Array(rtp.length * 160);
  rtp.forEach((p, i) => back.set(dec.decode(p.subarray(12)), i * 160));
  return back;
}

/** The caller audio on the wire to the bot (the runner's handshake read included). */
export function wireAudio(received: string[]): Int16Array {
  const payloads = received.map((r) => JSON.parse(r) as { event: string; media?: { payload: string } })
    .filter((m) => m.event === 'media').map((m) => Buffer.from(m.media!.payload, 'base64'));
  return createCodec('PCMU').decode(Buffer.concat(payloads));
}

export const warnings = (g: TestGateway) => g.logs().filter((l) => typeof l.msg === 'string' && l.msg.includes('stream failed'));

