/**
 * The Realtime agent's audio through the whole gateway (its own process, trusting the stand-in's
 * certificate through NODE_EXTRA_CA_CERTS) with baresip as the caller: a G.711 call passes through
 * as audio/pcmu untouched both ways; a G.722 call goes as audio/pcm at 24 kHz through trunkgate's
 * resampler. The agent speaks first (greeting) and the caller hears it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../../../src/agents/builtin/wav.js';
import { encodeUlaw } from '../../../../src/media/codecs/g711.js';
import { freePort, sippMediaPort } from '../../../helpers/ports.js';
import { runSipp } from '../../../helpers/sipp.js';
import { median, windowedCorrelation } from '../../../gateway/helpers/audio.js';
import { REPO, repoTmp, startChildGateway, type ChildGateway } from './helpers/gateway-child.js';
import { baresipCall, pcmBytes, speechFile, tone, toneShare } from './helpers/phones.js';
import { decodeInput, startStandIn, type StandIn } from './helpers/standin.js';

let dir: string;
let standIn: StandIn;
let gw: ChildGateway | undefined;

beforeAll(async () => {
  dir = repoTmp('realtime-audio-');
  standIn = await startStandIn(join(dir, 'tls'));
});
afterAll(async () => {
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

const speech = (rate: number, leadIn: number, tail: number): string => speechFile(dir, rate, leadIn, tail);

const agent = { type: 'openai-realtime', settings: { instructions: 'You answer calls for {to}; the caller is {from}.', greeting: 'Say hello.', voice: 'marin' } };
const env = (): Record<string, string> => ({ OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: standIn.baseUrl, NODE_EXTRA_CA_CERTS: standIn.caFile });

describe('openai-realtime audio through the gateway', () => {
  it('a PCMU call is declared audio/pcmu both ways, arrives in 20 ms µ-law appends, and the caller hears the greeting', async () => {
    gw = await startChildGateway({ agent, env: env(), codecs: ['PCMU', 'G722'], dir });
    const source = speech(8000, 2.5, 3);
    const greeting = tone(1500, 8000, 440);
    const answered = (async () => {
      const s = await standIn.session(standIn.sessions.length + 1);
      await s.next('response.create');
      s.respondWithAudio(Buffer.from(encodeUlaw(greeting)), { chunkBytes: 1600, transcript: 'Hello!' });
      return s;
    })();
    const call = await baresipCall(`sip:919876543210@127.0.0.1:${gw.sipPort}`, source, 'PCMU/8000/1', 14);
    const s = await answered;
    await gw.line((l) => l.event === 'call_end');

    // Declared formats, model, key, and the instructions with {from}/{to} filled in.
    expect(s.model).toBe('gpt-realtime');
    expect(s.authorization).toBe('Bearer sk-test-key');
    expect(s.session?.audio?.input?.format).toEqual({ type: 'audio/pcmu' });
    expect(s.session?.audio?.output?.format).toEqual({ type: 'audio/pcmu' });
    // {to} is the dialled number as the gateway normalises it (with or without the +).
    expect(s.session?.instructions).toMatch(/^You answer calls for \+?919876543210; the caller is caller\.$/);

    // Every append is one 20 ms frame of µ-law (octet-exactness: the SIPp test below).
    expect(s.input.every((c) => c.length === 160)).toBe(true);

    // The caller heard the greeting: ≥ 1.2 s of 20 ms windows that are the 440 Hz tone.
    expect(call.heard, call.output).toBeDefined();
    const toneWindows = toneShare(call.heard!.samples, call.heard!.sampleRate, 440).filter((x) => x > 0.8).length;
    expect(toneWindows).toBeGreaterThanOrEqual(60);
    // Per-turn figure: the greeting's first delta to its first frame on the wire was logged.
    expect(gw.logs().find((l) => l.event === 'realtime_turn')).toMatchObject({ turn: 1, deltaToRtpMs: expect.any(Number) });
    expect(gw.logs().find((l) => l.event === 'realtime_transcript')).toMatchObject({ role: 'assistant', text: 'Hello!' });
    expect(gw.logs().find((l) => l.event === 'realtime_usage')).toMatchObject({ totals: { totalTokens: 200 } });
  }, 60_000);

  it('PCMU passthrough is exact: the octets SIPp streams from a µ-law WAV reach the server unchanged', async () => {
    gw = await startChildGateway({ agent: { type: 'openai-realtime', settings: {} }, env: env(), codecs: ['PCMU'], dir });
    const session = standIn.session(standIn.sessions.length + 1);
    const r = await runSipp({
      args: ['-sf', join(REPO, 'sipp-scenarios/uac-pcmu-caller-hangs-up-expect-200.xml'), `127.0.0.1:${gw.sipPort}`, '-s', '919876543210',
        '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1', '-d', '4000'],
      cwd: join(REPO, 'sipp-scenarios'),
    });
    expect(r.code, r.errors).toBe(0);
    await gw.line((l) => l.event === 'call_end');
    const s = await session;
    expect(s.session?.audio?.input?.format).toEqual({ type: 'audio/pcmu' });
    // SIPp's rtp_stream sends the file's bytes as they are — its RIFF header too — and loops it:
    // a frame may span its end and its start.
    const file = readFileSync(join(REPO, 'sipp-scenarios/media/hello-pcmu.wav'));
    const looped = Buffer.concat([file, file]);
    // Every frame the server got is a verbatim slice of the file, except frames the jitter buffer
    // had to fill (a late or lost packet under load: µ-law silence, 0xFF).
    const frames = s.input.filter((f) => !f.every((b) => b === 0xff));
    expect(frames.length).toBeGreaterThanOrEqual(100);
    const foreign = frames.filter((f) => looped.indexOf(f) < 0);
    expect(foreign.map((f) => s.input.indexOf(f))).toEqual([]);
  }, 60_000);

  it('a G.722 call goes as audio/pcm at 24 kHz: 20 ms appends of the caller\'s speech resampled, and the 24 kHz answer reaches the caller', async () => {
    gw = await startChildGateway({ agent, env: env(), codecs: ['G722', 'PCMU'], dir });
    const source = speech(16000, 2.5, 3);
    const greeting = tone(1500, 24000, 440);
    const answered = (async () => {
      const s = await standIn.session(standIn.sessions.length + 1);
      await s.next('response.create');
      s.respondWithAudio(pcmBytes(greeting), { chunkBytes: 9600 });
      return s;
    })();
    const call = await baresipCall(`sip:919876543210@127.0.0.1:${gw.sipPort}`, source, 'G722/16000/1', 14);
    const s = await answered;
    await gw.line((l) => l.event === 'call_end');
    expect(gw.logs().find((l) => l.event === 'call_answered')).toMatchObject({ codec: 'G722' });

    expect(s.session?.audio?.input?.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(s.session?.audio?.output?.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    // 20 ms at 24 kHz, 16-bit: 960 bytes per append.
    expect(s.input.every((c) => c.length === 960)).toBe(true);
    const got = decodeInput(s.inputBytes(), s.session?.audio?.input?.format);
    const ref = join(dir, 'speech-24k.wav');
    execFileSync('sox', [source, '-r', '24000', ref]);
    const want = readWav(readFileSync(ref)).samples;
    const windows = windowedCorrelation(want.subarray(0, 24000 * 6), got, 24000 / 4, 24000 * 2);
    expect(windows.length).toBeGreaterThanOrEqual(4);
    expect(median(windows.map((w) => w.ncc))).toBeGreaterThanOrEqual(0.9);

    expect(call.heard, call.output).toBeDefined();
    expect(call.heard!.sampleRate).toBe(16000);
    const toneWindows = toneShare(call.heard!.samples, 16000, 440).filter((x) => x > 0.8).length;
    expect(toneWindows).toBeGreaterThanOrEqual(60);
  }, 60_000);
});
