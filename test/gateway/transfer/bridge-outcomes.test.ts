import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { runSippCaller, startSippHuman, TRANSFER_AGENT, type SippPeer } from './helpers.js';

let gw: TestGateway | undefined;
let human: SippPeer | undefined;
afterEach(async () => {
  human?.kill();
  human = undefined;
  await gw?.stop();
  gw = undefined;
});

async function gatewayTransferringTo(target: string, settings: Record<string, unknown> = {}): Promise<TestGateway> {
  return startTestGateway({
    trunk: { codecs: ['PCMU'], transfer: { method: 'bridge' }, routes: [{ pattern: '*', agent: 'xfer' }] },
    agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target, after_ms: 200, ...settings } } },
  });
}

function event(g: TestGateway, name: string): Record<string, unknown> | undefined {
  return g.logs().find((l) => l.event === name);
}

describe('transfer outcomes when the gateway bridges the human (SIPp caller, SIPp human)', () => {
  it('a busy human (486): outcome busy with sipStatus 486, and the agent keeps the caller until the caller hangs up', async () => {
    human = await startSippHuman('peers/uas-busy.xml');
    gw = await gatewayTransferringTo(human.uri);
    const caller = await runSippCaller('uac-pcmu-caller-hangs-up-expect-200.xml', gw.sipPort, ['-d', '3000']);
    expect(caller.code, caller.errors).toBe(0);
    expect((await human.result).code).toBe(0);
    await gw.waitIdle();
    expect(event(gw, 'test_transfer_outcome')).toMatchObject({ result: 'busy', method: 'bridge', sipStatus: 486 });
    expect(event(gw, 'call_end')).toMatchObject({ answered: true, hangupBy: 'caller', transfer: { result: 'busy', sipStatus: 486 } });
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 60_000);

  it('a human who never answers: CANCEL after the ring time, outcome no_answer, the agent keeps the caller', async () => {
    human = await startSippHuman('peers/uas-ring-until-cancel.xml');
    gw = await gatewayTransferringTo(human.uri, { timeout_s: 1 });
    const caller = await runSippCaller('uac-pcmu-caller-hangs-up-expect-200.xml', gw.sipPort, ['-d', '3500']);
    expect(caller.code, caller.errors).toBe(0);
    // The UAS scenario passes only if it got the CANCEL (and answered 487).
    expect((await human.result).code).toBe(0);
    await gw.waitIdle();
    const outcome = event(gw, 'test_transfer_outcome');
    expect(outcome).toMatchObject({ result: 'no_answer', method: 'bridge' });
    // libuv keeps its loop time in whole milliseconds: a 1,000 ms timer can fire when Date.now() has moved 999.
    expect(outcome!.ms as number).toBeGreaterThanOrEqual(999);
    expect(event(gw, 'call_end')).toMatchObject({ answered: true, hangupBy: 'caller', transfer: { result: 'no_answer' } });
  }, 60_000);

  it('a caller who hangs up during the consult cancels the human\'s ringing leg: outcome caller_hung_up', async () => {
    human = await startSippHuman('peers/uas-ring-until-cancel.xml');
    gw = await gatewayTransferringTo(human.uri, { mode: 'warm', timeout_s: 30 });
    const caller = await runSippCaller('uac-pcmu-caller-hangs-up-expect-200.xml', gw.sipPort, ['-d', '1500']);
    expect(caller.code, caller.errors).toBe(0);
    expect((await human.result).code).toBe(0);
    await gw.waitIdle();
    expect(event(gw, 'test_transfer_outcome')).toMatchObject({ result: 'caller_hung_up', method: 'bridge' });
    expect(event(gw, 'call_end')).toMatchObject({ hangupBy: 'caller', transfer: { result: 'caller_hung_up' } });
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 60_000);

  it('a human who hangs up after the bridge ends the caller\'s leg too (BYE to the caller), hangupBy human', async () => {
    human = await startSippHuman('peers/uas-hangs-up.xml');
    gw = await gatewayTransferringTo(human.uri);
    const caller = await runSippCaller('uac-expect-bye.xml', gw.sipPort);
    expect(caller.code, caller.errors).toBe(0);
    expect((await human.result).code).toBe(0);
    await gw.waitIdle();
    expect(event(gw, 'test_transfer_outcome')).toMatchObject({ result: 'transferred', method: 'bridge', sipStatus: 200 });
    expect(event(gw, 'call_end')).toMatchObject({ answered: true, hangupBy: 'human', transfer: { result: 'transferred' } });
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 60_000);
});

describe('the announcement before a transfer', () => {
  it('is played out first: the human\'s leg is placed only after the audio queued before io.transfer() has been sent', async () => {
    human = await startSippHuman('uas-human-agent-echo.xml', ['-rtp_echo']);
    gw = await gatewayTransferringTo(human.uri, { play_ms: 1500 });
    const caller = await runSippCaller('uac-pcmu-caller-hangs-up-expect-200.xml', gw.sipPort, ['-d', '4000']);
    expect(caller.code, caller.errors).toBe(0);
    await gw.waitIdle();
    const asked = event(gw, 'test_transfer_asked')!;
    const ringing = event(gw, 'transfer_progress')!;
    expect(asked.queuedMs as number).toBeGreaterThanOrEqual(1400);
    // A lower bound only: the leg cannot start before 1.5 s of queued audio has been paced out.
    expect((ringing.time as number) - (asked.time as number)).toBeGreaterThanOrEqual(1400);
    expect(event(gw, 'test_transfer_outcome')).toMatchObject({ result: 'transferred' });
  }, 60_000);
});

describe('warm transfer with a whisper and confirm: dtmf', () => {
  it('the human hears the whisper alone, presses 1, and is bridged with the caller', async () => {
    human = await startSippHuman('peers/uas-human-confirms.xml');
    gw = await gatewayTransferringTo(human.uri, { mode: 'warm', whisper: 'A caller about an invoice.', confirm: 'dtmf' });
    const caller = await runSippCaller('uac-pcmu-caller-hangs-up-expect-200.xml', gw.sipPort, ['-d', '6000']);
    expect(caller.code, caller.errors).toBe(0);
    expect((await human.result).code).toBe(0);
    await gw.waitIdle();
    expect(event(gw, 'test_transfer_outcome')).toMatchObject({ result: 'transferred', method: 'bridge', reason: 'human accepted' });
    expect(event(gw, 'bridged')).toBeDefined();
    const end = event(gw, 'call_end')!;
    expect(end).toMatchObject({ hangupBy: 'caller', transfer: { result: 'transferred' } });
    // The whisper went to the human only: the human's leg sent audio before the bridge.
    expect((end.human as { framesSent: number }).framesSent).toBeGreaterThan(0);
  }, 60_000);

  it('a human who presses 2 declines: outcome rejected, the human gets BYE, the agent keeps the caller', async () => {
    human = await startSippHuman('peers/uas-human-declines.xml');
    gw = await gatewayTransferringTo(human.uri, { mode: 'warm', whisper: 'A caller about an invoice.', confirm: 'dtmf' });
    const caller = await runSippCaller('uac-pcmu-caller-hangs-up-expect-200.xml', gw.sipPort, ['-d', '6000']);
    expect(caller.code, caller.errors).toBe(0);
    expect((await human.result).code).toBe(0);
    await gw.waitIdle();
    expect(event(gw, 'test_transfer_outcome')).toMatchObject({ result: 'rejected', method: 'bridge', reason: 'human declined (pressed 2)' });
    expect(event(gw, 'bridged')).toBeUndefined();
    expect(event(gw, 'call_end')).toMatchObject({ hangupBy: 'caller', transfer: { result: 'rejected' } });
  }, 60_000);
});

describe('warm transfer completed by REFER with Replaces (transfer.warm_completion: replaces)', () => {
  it('once the human answered, the caller is referred to the human\'s dialog with Replaces; transferred by REFER, both legs leave trunkgate', async () => {
    human = await startSippHuman('uas-human-agent-echo.xml', ['-rtp_echo']);
    gw = await startTestGateway({
      trunk: { codecs: ['PCMU'], transfer: { method: 'auto', warm_completion: 'replaces' }, routes: [{ pattern: '*', agent: 'xfer' }] },
      agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: human.uri, after_ms: 200, mode: 'warm' } } },
    });
    const caller = await runSippCaller('uac-accept-refer-replaces-expect-bye.xml', gw.sipPort);
    expect(caller.code, caller.errors).toBe(0);
    // Our leg to the human ends too (a real human's UA ends it itself once replaced).
    expect((await human.result).code).toBe(0);
    await gw.waitIdle();
    expect(event(gw, 'test_transfer_outcome')).toMatchObject({ result: 'transferred', method: 'refer', sipStatus: 200 });
    expect(event(gw, 'bridged')).toBeUndefined();
    expect(event(gw, 'call_end')).toMatchObject({ hangupBy: 'gateway', transfer: { result: 'transferred', method: 'refer' } });
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 60_000);
});
