/**
 * The same calls as pipecat.test.ts with real Pipecat: examples/pipecat/echo_bot.py run by the
 * Python of a venv holding Pipecat (PIPECAT_PYTHON=/path/to/venv/bin/python). Pipecat cannot be
 * installed in CI (its dependencies come from PyPI), so without PIPECAT_PYTHON this is skipped;
 * docs/websocket-agent.md records how and when it was run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../helpers/ports.js';
import { startTestGateway, type TestGateway } from '../../../gateway/helpers/gateway.js';
import { byeFromCaller, byeFromGateway, pause } from '../../../gateway/helpers/scenarios.js';
import { call, correlation, rtpBack, warnings } from './pipecat-helpers.js';

const python = process.env.PIPECAT_PYTHON;
const botFile = fileURLToPath(new URL('../../../../examples/pipecat/echo_bot.py', import.meta.url));

let gw: TestGateway | undefined;
let bot: ChildProcess | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  if (bot && bot.exitCode === null) {
    const b = bot;
    await new Promise<void>((resolve) => { b.once('exit', () => resolve()); b.kill('SIGTERM'); });
  }
  bot = undefined;
});

/** Starts the Python bot; resolves once uvicorn says it listens. `log()` is its output so far. */
async function startRealBot(args: string[], env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(python!, [botFile, '--port', String(port), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  bot = child;
  let log = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => { log += d.toString(); for (const l of listeners) l(); };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const until = (pattern: RegExp, timeoutMs = 30_000): Promise<void> => new Promise((resolve, reject) => {
    const check = (): void => { if (pattern.test(log)) { done(); resolve(); } };
    const timer = setTimeout(() => { done(); reject(new Error(`bot never logged ${pattern}:\n${log}`)); }, timeoutMs);
    const exited = (): void => { done(); reject(new Error(`bot exited:\n${log}`)); };
    const done = (): void => { clearTimeout(timer); listeners.delete(check); child.off('exit', exited); };
    listeners.add(check);
    child.once('exit', exited);
    check();
  });
  await until(new RegExp(`Uvicorn running on http://127\\.0\\.0\\.1:${port}`));
  return { url: `ws://127.0.0.1:${port}/ws`, log: () => log, until };
}

async function gateway(format: 'twilio' | 'vobiz', url: string, restPort?: number) {
  const out: Buffer[] = [];
  gw = await startTestGateway({
    agent: 'bot',
    agents: { bot: { type: 'websocket', settings: { url, format, ...(restPort ? { rest_api_port: restPort } : {}) } } },
    mediaTap: () => (dir, pkt) => { if (dir === 'out') out.push(Buffer.from(pkt)); },
  });
  return out;
}

describe.skipIf(!python)('real Pipecat (PIPECAT_PYTHON) behind the websocket agent', () => {
  it('Twilio format with base_url: Pipecat echoes the caller and its REST hang-up ends the call with a BYE', async () => {
    const restPort = await freePort();
    const b = await startRealBot(['--twilio-base-url', `http://127.0.0.1:${restPort}`, '--end-after-frames', '350'], { TWILIO_ACCOUNT_SID: 'ACtest', TWILIO_AUTH_TOKEN: 'token' });
    const out = await gateway('twilio', b.url, restPort);
    await call(gw!, byeFromGateway);
    await b.until(/Successfully terminated Twilio call CA[0-9a-f]{32}/);
    expect(b.log()).toMatch(/transport twilio/);
    expect(correlation(rtpBack(out))).toBeGreaterThanOrEqual(0.9);
    await gw!.waitIdle();
    expect(warnings(gw!)).toEqual([]);
  }, 90_000);

  it('Twilio format: the caller hangs up first; a racing hang-up by Pipecat\'s own serializer reads the 404 as "already terminated"', async () => {
    const restPort = await freePort();
    const b = await startRealBot(['--twilio-base-url', `http://127.0.0.1:${restPort}`], { TWILIO_ACCOUNT_SID: 'ACtest', TWILIO_AUTH_TOKEN: 'token' });
    await gateway('twilio', b.url, restPort);
    await call(gw!, `${pause(3000)}${byeFromCaller()}`);
    await b.until(/echo bot: pipeline finished/);
    // Pipecat's transport skips the serializer once the socket is closed: no hang-up request here.
    expect(b.log()).not.toMatch(/terminate(d)? Twilio call/);
    // The request an EndFrame racing the close makes, by TwilioFrameSerializer itself.
    const callSid = /transport twilio, call (CA[0-9a-f]{32})/.exec(b.log())![1]!;
    const script = [
      'import asyncio, sys',
      'from pipecat.frames.frames import EndFrame',
      'from pipecat.serializers.twilio import TwilioFrameSerializer',
      `s = TwilioFrameSerializer(stream_sid="MZ0", call_sid="${callSid}", account_sid="ACtest", auth_token="token", base_url="http://127.0.0.1:${restPort}")`,
      'asyncio.run(s.serialize(EndFrame()))',
    ].join('\n');
    // Asynchronously: the REST endpoint answering it lives in this process.
    const stderr = await new Promise<string>((resolve) => {
      const p = spawn(python!, ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      p.once('close', () => resolve(err));
    });
    expect(stderr).toMatch(new RegExp(`Twilio call ${callSid} was already terminated`));
    expect(stderr).not.toMatch(/Failed to terminate/);
  }, 90_000);

  it('Plivo format (Vobiz): Pipecat\'s hang-up cannot reach api.plivo.com, its normal close ends the call with a BYE', async () => {
    const b = await startRealBot(['--end-after-frames', '350'], { PLIVO_AUTH_ID: 'MAtest', PLIVO_AUTH_TOKEN: 'token' });
    const out = await gateway('vobiz', b.url);
    await call(gw!, byeFromGateway);
    await b.until(/echo bot: pipeline finished/);
    expect(b.log()).toMatch(/transport plivo/);
    expect(correlation(rtpBack(out))).toBeGreaterThanOrEqual(0.9);
    await gw!.waitIdle();
    expect(warnings(gw!)).toEqual([]);
  }, 90_000);
});
