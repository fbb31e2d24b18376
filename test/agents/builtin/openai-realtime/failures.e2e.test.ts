/**
 * Failure is never silence: each way the Realtime side can fail — the WebSocket refused or never
 * answered at call start, an `error` event that ends the session, a rate limit, a drop mid-call —
 * ends in the agent's `on_failure` (logged with the reason as `realtime_failure`) within 2 s, and
 * the SIPp caller gets the gateway's BYE.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUlaw } from '../../../../src/media/codecs/g711.js';
import { byeFromGateway, expectAnswer, invite, scenario, scenarioFile } from '../../../gateway/helpers/scenarios.js';
import { freePort, sippMediaPort } from '../../../helpers/ports.js';
import { runSipp, type SippResult } from '../../../helpers/sipp.js';
import { repoTmp, startChildGateway, type ChildGateway } from './helpers/gateway-child.js';
import { tone } from './helpers/phones.js';
import { startStandIn, type StandIn } from './helpers/standin.js';

let dir: string;
let standIn: StandIn;

beforeAll(async () => {
  dir = repoTmp('realtime-fail-');
  standIn = await startStandIn(join(dir, 'tls'));
});
afterAll(async () => {
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});

const waitForBye = scenario('answered, then the gateway hangs up', [invite(), expectAnswer, byeFromGateway].join(''));

/** The fall-back transfer's target: a SIPp UAS that answers every INVITE 486 Busy Here. */
const busyHuman = scenario('human busy', `  <recv request="INVITE"/>
  <send>
    <![CDATA[
      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>
`);

async function gateway(settings: Record<string, unknown>, supportPort?: number): Promise<ChildGateway> {
  return startChildGateway({
    agent: { type: 'openai-realtime', settings },
    env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: standIn.baseUrl, NODE_EXTRA_CA_CERTS: standIn.caFile },
    codecs: ['PCMU'],
    transferTargets: { support: { uri: `sip:support@127.0.0.1:${supportPort ?? await freePort()}` } },
    dir,
  });
}

async function call(gw: ChildGateway): Promise<SippResult> {
  return runSipp({
    args: ['-sf', scenarioFile('rt-fail', waitForBye), `127.0.0.1:${gw.sipPort}`, '-s', '919876543210', '-i', '127.0.0.1',
      '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'],
    timeoutMs: 40_000,
  });
}

/** Time from `since` until the gateway logged its decision (the log line's arrival here). */
async function decision(gw: ChildGateway, since: () => number | undefined): Promise<{ line: Record<string, unknown>; ms: number }> {
  const line = await gw.line((l) => l.event === 'realtime_failure');
  const at = performance.now();
  return { line, ms: at - (since() ?? at) };
}

describe('openai-realtime on_failure', () => {
  it('a refused WebSocket at call start: hangup after the apology, decided at once', async () => {
    standIn.mode = 'refuse';
    const gw = await gateway({ on_failure: 'hangup', apology: 'Sorry, we cannot take your call right now.' });
    try {
      const r = await call(gw);
      expect(r.code, r.errors).toBe(0);
      const failure = gw.logs().find((l) => l.event === 'realtime_failure');
      expect(failure).toMatchObject({ kind: 'connect', action: { kind: 'hangup' } });
      expect(failure!.decidedInMs as number).toBeLessThanOrEqual(2000);
      expect(gw.logs().find((l) => l.event === 'realtime_apology')).toMatchObject({ ms: expect.any(Number) });
      expect(await gw.line((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'agent' });
    } finally {
      standIn.mode = 'ok';
      await gw.stop();
    }
  }, 60_000);

  it('a WebSocket upgrade that is never answered: the connect timeout decides within 2 s', async () => {
    standIn.mode = 'hang';
    const gw = await gateway({ on_failure: 'hangup', connect_timeout_ms: 1500 });
    try {
      const r = await call(gw);
      expect(r.code, r.errors).toBe(0);
      const failure = gw.logs().find((l) => l.event === 'realtime_failure');
      expect(failure).toMatchObject({ kind: 'connect', action: { kind: 'hangup' }, detail: expect.stringContaining('1500 ms') });
      expect(failure!.decidedInMs as number).toBeLessThanOrEqual(2000);
    } finally {
      standIn.mode = 'ok';
      await gw.stop();
    }
  }, 60_000);

  it('an error event that ends the session: on_failure transfer is attempted, and the caller is not left in silence when it cannot be done', async () => {
    const supportPort = await freePort();
    // The human is busy (or, without the gateway's transfers, the transfer is refused): either way the call is hung up.
    const human = runSipp({ args: ['-sf', scenarioFile('rt-busy', busyHuman), '-i', '127.0.0.1', '-p', String(supportPort), '-m', '1'], timeoutMs: 40_000 });
    const gw = await gateway({ on_failure: { transfer: 'support' } }, supportPort);
    try {
      const sipp = call(gw);
      const s = await standIn.session(standIn.sessions.length + 1);
      await s.next('session.update');
      const sentAt = performance.now();
      s.send({ type: 'error', event_id: 'event_fatal', error: { type: 'server_error', code: 'server_error', message: 'The server had an error' } });
      s.close(1011);
      const d = await decision(gw, () => sentAt);
      expect(d.line).toMatchObject({ kind: 'dropped', action: { kind: 'transfer', target: 'support' } });
      expect(d.ms).toBeLessThanOrEqual(2000);
      expect(await gw.line((l) => l.event === 'realtime_failure_transfer')).toMatchObject({ target: 'support' });
      const r = await sipp;
      expect(r.code, r.errors).toBe(0);
    } finally {
      human.kill();
      await gw.stop();
    }
  }, 60_000);

  it('a rate limit: retry reconnects once with the instructions and the transcript so far; a drop after it hangs up', async () => {
    const gw = await gateway({ on_failure: 'retry', instructions: 'Be brief.', greeting: 'Welcome the caller.' });
    try {
      const sipp = call(gw);
      const first = await standIn.session(standIn.sessions.length + 1);
      const firstNo = standIn.sessions.length;
      await first.next('response.create');
      first.respondWithAudio(Buffer.from(encodeUlaw(tone(300, 8000, 440))), { transcript: 'Welcome to Example.' });
      await gw.line((l) => l.event === 'realtime_transcript');
      let sentAt: number | undefined = performance.now();
      first.send({ type: 'error', event_id: 'event_rl', error: { type: 'rate_limit_exceeded', code: 'rate_limit_exceeded', message: 'Rate limit reached' } });
      const d = await decision(gw, () => sentAt);
      expect(d.line).toMatchObject({ kind: 'rate_limit', action: { kind: 'retry' } });
      expect(d.ms).toBeLessThanOrEqual(2000);

      const second = await standIn.session(firstNo + 1);
      const update = await second.next('session.update');
      const instructions = update.session.type === 'realtime' ? update.session.instructions : '';
      expect(instructions).toContain('Be brief.');
      expect(instructions).toContain('assistant: Welcome to Example.');
      await second.next('response.create');
      await first.closed;

      // Mid-call drop of the retried session: nothing left to retry, so hang up.
      sentAt = performance.now();
      second.close(1011);
      const dropped = await gw.line((l) => l.event === 'realtime_failure' && l.kind === 'dropped');
      expect(performance.now() - sentAt).toBeLessThanOrEqual(2000);
      expect(dropped).toMatchObject({ action: { kind: 'hangup' } });
      const r = await sipp;
      expect(r.code, r.errors).toBe(0);
      expect(await gw.line((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'agent' });
    } finally {
      await gw.stop();
    }
  }, 60_000);
});
