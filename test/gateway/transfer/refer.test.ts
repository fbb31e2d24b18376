/**
 * Blind transfer by REFER (RFC 3515) through the whole gateway: the carrier is a real SIPp UAC that
 * calls in and then plays the REFER recipient as each scenario in sipp-scenarios/ says; the agent is
 * test/gateway/fixtures/transfer-agent.ts, which calls `io.transfer(target)` and logs the outcome;
 * the human, where a fall-back bridge needs one, is a SIPp UAS. Every wait is for a named message:
 * SIPp's exit, or a log line carrying the call's Call-ID.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp, type SippResult } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.js';

const SCENARIOS = fileURLToPath(new URL('../../../sipp-scenarios/', import.meta.url));
const AGENT = fileURLToPath(new URL('../fixtures/transfer-agent.ts', import.meta.url));

let gw: TestGateway | undefined;
const peers: (Promise<SippResult> & { kill(): void })[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.kill();
  await gw?.stop();
  gw = undefined;
});

type Log = Record<string, unknown>;

interface Setup {
  transfer: Record<string, unknown>;
  settings?: Record<string, unknown>;
  trunk?: Record<string, unknown>;
  extra?: TestGatewayOptions['extra'];
}

async function gateway(s: Setup): Promise<TestGateway> {
  gw = await startTestGateway({
    agent: 'xfer',
    agents: { xfer: { type: 'module', module: AGENT, settings: { target: 'sip:human@127.0.0.1:5999', after_ms: 300, ...s.settings } } },
    trunk: { transfer: s.transfer, ...s.trunk },
    ...(s.extra ? { extra: s.extra } : {}),
  });
  return gw;
}

/** The carrier: a SIPp UAC running one of sipp-scenarios/ against the gateway. */
async function carrier(g: TestGateway, scenario: string, extra: string[] = []): Promise<SippResult> {
  const port = await freePort();
  const media = await sippMediaPort();
  return runSipp({
    args: ['-sf', join(SCENARIOS, scenario), `127.0.0.1:${g.sipPort}`, '-s', '15551234567', '-i', '127.0.0.1', '-p', String(port), '-mp', String(media), '-m', '1', ...extra],
    cwd: SCENARIOS, timeoutMs: 60_000,
  });
}

/** The human: a SIPp UAS on its own port; resolves with its result when its one call is over. */
async function human(args: string[]): Promise<{ uri: string; done: Promise<SippResult> }> {
  const port = await freePort();
  const media = await sippMediaPort();
  const done = runSipp({ args: [...args, '-i', '127.0.0.1', '-p', String(port), '-mp', String(media), '-m', '1'], cwd: SCENARIOS, timeoutMs: 60_000 });
  peers.push(done);
  return { uri: `sip:human@127.0.0.1:${port}`, done };
}

/** The one call's Call-ID (each test places one call). */
function callIdOf(g: TestGateway): string | undefined {
  return g.logs().find((l) => l.event === 'call_answered')?.callId as string | undefined;
}

/** The call's `test_transfer_outcome`, `transfer` and `call_end` lines, once all three are logged. */
async function outcomeOf(g: TestGateway): Promise<{ agent: Log; transfer: Log; end: Log; callId: string }> {
  const find = (event: string): Log | undefined => {
    const callId = callIdOf(g);
    return callId === undefined ? undefined : g.logs().find((l) => l.event === event && l.callId === callId);
  };
  await g.waitFor(() => ['test_transfer_outcome', 'transfer', 'call_end'].every((e) => find(e) !== undefined), 30_000);
  const transfers = g.logs().filter((l) => l.event === 'transfer' && l.callId === callIdOf(g));
  expect(transfers, 'one transfer event per transfer').toHaveLength(1);
  return { agent: find('test_transfer_outcome')!, transfer: find('transfer')!, end: find('call_end')!, callId: callIdOf(g)! };
}

describe('blind transfer by REFER (RFC 3515)', () => {
  it.each(['202', '200'])('a carrier that honours the REFER (%s, NOTIFY 100 active, NOTIFY 200 terminated): transferred by refer, and the gateway BYEs the caller', async (status) => {
    const g = await gateway({ transfer: { method: 'refer', refer_timeout_s: 10 } });
    const r = await carrier(g, 'uac-accept-refer-expect-bye.xml', status === '200' ? ['-set', 'refer_status', '200'] : []);
    expect(r.code, r.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(g.logs().some((l) => l.event === 'refer_response' && l.callId === o.callId && l.status === Number(status))).toBe(true);
    expect(o.agent).toMatchObject({ result: 'transferred', method: 'refer', sipStatus: 200 });
    expect(o.transfer).toMatchObject({ result: 'transferred', method: 'refer' });
    expect(o.end).toMatchObject({ hangupBy: 'gateway', transfer: { result: 'transferred', method: 'refer' } });
    await g.waitIdle();
    expect(g.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
  }, 60_000);

  it('a carrier that refuses the REFER (603) with transfer.method refer: outcome rejected, sipStatus 603, and the call is back with the agent (answered, a new transfer possible)', async () => {
    const g = await gateway({ transfer: { method: 'refer', refer_timeout_s: 10 } });
    const r = carrier(g, 'uac-refuse-refer-expect-bye.xml');
    await g.waitFor(() => g.logs().some((l) => l.event === 'test_transfer_outcome' && l.callId === callIdOf(g)));
    const call = g.proc.gateway.app.calls.get(callIdOf(g)!)!;
    expect(call.state).toBe('answered');
    expect(call.transfers).toMatchObject([{ result: 'rejected', method: 'refer', sipStatus: 603 }]);
    // the call goes on until someone ends it: here the gateway, whose BYE the carrier expects
    void call.end('gateway', 'test over');
    const done = await r;
    expect(done.code, done.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(o.agent).toMatchObject({ result: 'rejected', method: 'refer', sipStatus: 603 });
    expect(o.end).toMatchObject({ hangupBy: 'gateway', transfer: { result: 'rejected', method: 'refer', sipStatus: 603 } });
    await g.waitIdle();
    expect(g.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
  }, 60_000);

  it('the gateway ending the call while the REFER waits for its NOTIFY stops the REFER at once: call_end reports the transfer without waiting for refer_timeout_s', async () => {
    const g = await gateway({ transfer: { method: 'refer', refer_timeout_s: 120 } });
    const r = carrier(g, 'uac-refer-no-notify-expect-bye.xml');
    await g.waitFor(() => g.logs().some((l) => l.event === 'refer_response' && l.status === 202 && l.callId === callIdOf(g)));
    void g.proc.gateway.app.calls.get(callIdOf(g)!)!.end('gateway', 'test over');
    const done = await r;
    expect(done.code, done.errors).toBe(0);
    // outcomeOf waits 30 s at most, far less than the 120 s the REFER would otherwise wait
    const o = await outcomeOf(g);
    expect(o.agent).toMatchObject({ method: 'refer' });
    expect(o.agent.result).not.toBe('transferred');
    expect(o.end).toMatchObject({ hangupBy: 'gateway', transfer: { method: 'refer' } });
  }, 60_000);

  it('a carrier that refuses the REFER (603) with transfer.method auto: falls back to a bridge to the target, transferred by bridge', async () => {
    const h = await human(['-sf', join(SCENARIOS, 'peers/uas-hangs-up.xml')]);
    const g = await gateway({ transfer: { method: 'auto', refer_timeout_s: 10 }, settings: { target: h.uri } });
    const r = await carrier(g, 'uac-refuse-refer-expect-bye.xml');
    expect(r.code, r.errors).toBe(0);
    const hr = await h.done;
    expect(hr.code, hr.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(g.logs().some((l) => l.event === 'transfer_fallback' && l.callId === o.callId && l.referStatus === 603)).toBe(true);
    expect(o.agent).toMatchObject({ result: 'transferred', method: 'bridge' });
    expect(o.end).toMatchObject({ hangupBy: 'human', transfer: { result: 'transferred', method: 'bridge' } });
    await g.waitIdle();
    expect(g.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
  }, 60_000);

  it.each([
    ['uac-refer-bye-races-notify-expect-200.xml', 'right behind the BYE, in one TCP write', ['-t', 't1']],
    ['uac-refer-bye-then-notify-expect-200.xml', 'after the BYE was answered, in the dialog that is gone', []],
  ])('a BYE overtaking the final NOTIFY is not a failure: %s (NOTIFY 200 %s) → transferred, the NOTIFY answered 200, call_end reports it', async (scn, _when, args) => {
    const g = await gateway({ transfer: { method: 'refer', refer_timeout_s: 10 } });
    const r = await carrier(g, scn, args);
    expect(r.code, r.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(o.agent).toMatchObject({ result: 'transferred', method: 'refer', sipStatus: 200 });
    expect(o.end).toMatchObject({ hangupBy: 'caller', transfer: { result: 'transferred', method: 'refer' } });
    await g.waitIdle();
    expect(g.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
  }, 60_000);

  it.each(['202', '200'])('NOTIFYs that overtake the REFER\'s answer (NOTIFY 100, NOTIFY 200, then %s): transferred', async (status) => {
    const g = await gateway({ transfer: { method: 'refer', refer_timeout_s: 10 } });
    const r = await carrier(g, 'uac-refer-notify-before-answer-expect-bye.xml', status === '200' ? ['-set', 'refer_status', '200'] : []);
    expect(r.code, r.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(o.agent).toMatchObject({ result: 'transferred', method: 'refer', sipStatus: 200 });
    expect(o.end).toMatchObject({ hangupBy: 'gateway', transfer: { result: 'transferred' } });
  }, 60_000);

  it('Refer-Sub: false in the 202 (RFC 4488, no NOTIFY will come): transferred', async () => {
    const g = await gateway({ transfer: { method: 'refer', refer_timeout_s: 10 } });
    const r = await carrier(g, 'uac-refer-sub-false-expect-bye.xml');
    expect(r.code, r.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(o.agent).toMatchObject({ result: 'transferred', method: 'refer' });
    expect(o.end).toMatchObject({ hangupBy: 'gateway', transfer: { result: 'transferred' } });
  }, 60_000);

  it('a final NOTIFY without a body (Subscription-State: terminated): failed, the call stays with the agent', async () => {
    const g = await gateway({ transfer: { method: 'refer', refer_timeout_s: 10 }, settings: { hangup_after_failure: true } });
    const r = await carrier(g, 'uac-refer-bodiless-notify-expect-bye.xml');
    expect(r.code, r.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(o.agent).toMatchObject({ result: 'failed', method: 'refer' });
    expect(o.agent.sipStatus).toBeUndefined();
    expect(o.end).toMatchObject({ hangupBy: 'agent', transfer: { result: 'failed' } });
  }, 60_000);

  it('no NOTIFY after the 202, transfer.method refer: failed after refer_timeout_s, the call stays with the agent', async () => {
    const g = await gateway({ transfer: { method: 'refer', refer_timeout_s: 2 }, settings: { hangup_after_failure: true } });
    const r = await carrier(g, 'uac-refer-no-notify-expect-bye.xml');
    expect(r.code, r.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(o.agent).toMatchObject({ result: 'failed', method: 'refer' });
    // libuv keeps its loop time in whole milliseconds: a 2,000 ms timer can fire when Date.now() has moved 1,999.
    expect(o.agent.ms as number).toBeGreaterThanOrEqual(1999);
    expect(o.end).toMatchObject({ hangupBy: 'agent', transfer: { result: 'failed', method: 'refer' } });
  }, 60_000);

  it('no NOTIFY after the 202, transfer.method auto: falls back to a bridge after refer_timeout_s, transferred by bridge', async () => {
    const h = await human(['-sf', join(SCENARIOS, 'peers/uas-hangs-up.xml')]);
    const g = await gateway({ transfer: { method: 'auto', refer_timeout_s: 2 }, settings: { target: h.uri } });
    const r = await carrier(g, 'uac-refer-no-notify-expect-bye.xml');
    expect(r.code, r.errors).toBe(0);
    const hr = await h.done;
    expect(hr.code, hr.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(g.logs().some((l) => l.event === 'transfer_fallback' && l.callId === o.callId)).toBe(true);
    expect(o.agent).toMatchObject({ result: 'transferred', method: 'bridge' });
    expect(o.end).toMatchObject({ hangupBy: 'human', transfer: { result: 'transferred', method: 'bridge' } });
  }, 60_000);

  it('a digest challenge (407) to the REFER is answered with the trunk\'s outbound credentials: the second REFER carries a valid Proxy-Authorization', async () => {
    const g = await gateway({
      transfer: { method: 'refer', refer_timeout_s: 10 },
      trunk: { outbound: { proxy: '127.0.0.1:5999', username: 'carrier-user', password: 'carrier-secret' } },
    });
    const log = join(mkdtempSync(join(tmpdir(), 'tg-refer-auth-')), 'sipp.log');
    const r = await carrier(g, 'uac-refer-challenge-expect-bye.xml', ['-trace_logs', '-log_file', log]);
    expect(r.code, r.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(o.agent).toMatchObject({ result: 'transferred', method: 'refer' });
    // RFC 2617 §3.2.2 with qop=auth: the response the carrier would check.
    const header = /Proxy-Authorization:\s*(Digest .*)/.exec(readFileSync(log, 'utf8'))?.[1];
    expect(header, 'the second REFER carries Proxy-Authorization').toBeDefined();
    const p = Object.fromEntries([...header!.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1]!, m[2] ?? m[3]!]));
    expect(p).toMatchObject({ username: 'carrier-user', realm: 'carrier.example', nonce: '8a5f4b3e9d2c1f0e7a6b5c4d3e2f1a0b', qop: 'auth' });
    const md5 = (x: string): string => createHash('md5').update(x).digest('hex');
    const ha1 = md5(`carrier-user:carrier.example:carrier-secret`);
    const ha2 = md5(`REFER:${p.uri}`);
    expect(p.response).toBe(md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`));
  }, 60_000);
});
