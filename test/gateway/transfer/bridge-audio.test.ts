import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/agents/builtin/wav.js';
import { readFileSync } from 'node:fs';
import { startBaresip, type Baresip } from '../helpers/baresip.js';
import { median, speechWav, windowedCorrelation } from '../helpers/audio.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const AGENT = join(import.meta.dirname, '../fixtures/transfer-agent.ts');
let gw: TestGateway | undefined;
const phones: Baresip[] = [];
afterEach(async () => {
  for (const p of phones.splice(0)) p.kill();
  await gw?.stop();
  gw = undefined;
});

/** Median NCC per 250 ms window of `sent` against what was heard (each window with its own lag). */
function heardScore(sent: Int16Array, heard: Int16Array, rate: number): { median: number; windows: number } {
  const w = windowedCorrelation(sent, heard, rate / 4, rate * 6);
  return { median: median(w.map((x) => x.ncc)), windows: w.length };
}

describe('a blind transfer bridged by the gateway (transfer.media relay)', () => {
  it('G.722 caller ↔ PCMU human: the caller hears the human and the human hears the caller (recorded-audio correlation)', async () => {
    // Silence first so the bridge is up before anyone speaks; then speech; then silence for the tail.
    const callerText = 'This is the caller speaking on a wideband line. One two three four five.';
    const humanText = 'Support desk, this is the human agent. Six seven eight nine ten.';
    const callerSrc = speechWav('xfer-caller', callerText, 16000, 'signed-integer', 3, undefined, 2);
    const humanSrc = speechWav('xfer-human', humanText, 8000, 'signed-integer', 8);
    const human = await startBaresip({ source: humanSrc, codecs: 'PCMU/8000/1', user: 'human', seconds: 20 });
    phones.push(human);
    gw = await startTestGateway({
      trunk: { codecs: ['G722', 'PCMU'], transfer: { method: 'bridge' }, routes: [{ pattern: '*', agent: 'xfer' }] },
      agents: { xfer: { type: 'module', module: AGENT, settings: { target: human.uri, after_ms: 100 } } },
    });
    const caller = await startBaresip({ source: callerSrc, codecs: 'G722/16000/1', user: 'caller', seconds: 14, dial: `sip:919876543210@127.0.0.1:${gw.sipPort}` });
    phones.push(caller);
    const out = await caller.done;
    await gw.waitIdle(20_000);
    await human.done;
    const logs = gw.logs();
    const transfer = logs.find((l) => l.event === 'transfer');
    expect(transfer, out.output).toMatchObject({ result: 'transferred', method: 'bridge', sipStatus: 200 });
    expect(logs.find((l) => l.event === 'bridged')).toMatchObject({ callerCodec: 'G722', humanCodec: 'PCMU' });
    expect(logs.find((l) => l.event === 'call_end')).toMatchObject({ answered: true, hangupBy: 'caller', transfer: { result: 'transferred' } });

    // The caller hears the human (8 kHz speech through PCMU → 16 kHz → G.722): compare at 16 kHz.
    const callerHeard = caller.heard();
    expect(callerHeard?.sampleRate).toBe(16000);
    const humanRef16 = readWav(readFileSync(speechWav('xfer-human', humanText, 16000, 'signed-integer', 8, 3400))).samples;
    const toCaller = heardScore(humanRef16, callerHeard!.samples, 16000);
    // The human hears the caller (16 kHz speech through G.722 → PCMU): compare with the 8 kHz rendering.
    const humanHeard = human.heard();
    expect(humanHeard?.sampleRate).toBe(8000);
    // The human joined the call after it started: drop 1 s of the caller's 2 s lead-in so that what the
    // human heard lags the reference (the correlation searches positive lags only).
    const callerRef8 = readWav(readFileSync(speechWav('xfer-caller', callerText, 8000, 'signed-integer', 3, 3000, 2))).samples.subarray(8000);
    const toHuman = heardScore(callerRef8, humanHeard!.samples, 8000);
    const detail = JSON.stringify({ toCaller, toHuman, dirs: [caller.dir, human.dir] });
    expect(toCaller.windows, detail).toBeGreaterThanOrEqual(4);
    expect(toHuman.windows, detail).toBeGreaterThanOrEqual(4);
    expect(toCaller.median, detail).toBeGreaterThanOrEqual(0.8);
    expect(toHuman.median, detail).toBeGreaterThanOrEqual(0.8);
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 60_000);
});
