import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gatewaySnapshot, settled } from '../helpers/leaks.js';
import { byeFromCaller, expectAnswer, invite, pause, scenario, scenarioFile } from '../helpers/scenarios.js';
import { startSippHuman, TRANSFER_AGENT, type SippPeer } from './helpers.js';

const TRANSFERS = 500;
let gw: TestGateway;
let human: SippPeer;
beforeAll(async () => {
  human = await startSippHuman('uas-human-agent-echo.xml', ['-m', String(TRANSFERS + 5), '-rtp_echo']);
  gw = await startTestGateway({
    mediaPorts: 600,
    trunk: { max_calls: 1000, codecs: ['PCMU'], transfer: { method: 'bridge' }, routes: [{ pattern: '*', agent: 'xfer' }] },
    agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: human.uri, after_ms: 0 } } },
  });
});
afterAll(async () => {
  human.kill();
  await gw.stop();
});

async function calls(count: number, rate: number) {
  // Each caller: answered by the agent, transferred (bridge) to the SIPp human at once, then hangs up.
  const scn = scenarioFile('uac-transferred-call', scenario('uac-transferred-call', `${invite()}${expectAnswer}${pause(800)}${byeFromCaller()}`));
  const port = await freePort();
  const mediaPort = await sippMediaPort();
  return runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', String(count), '-r', String(rate), '-l', '200'], timeoutMs: 150_000 });
}

describe(`after ${TRANSFERS} bridged transfers`, () => {
  it('every transfer reached the human, and no call, dialog, media port, socket or timer is left behind', async () => {
    expect((await calls(5, 50)).code).toBe(0);
    await gw.waitIdle();
    // Baseline once the warm-up calls are gone from the server too (their last BYE may be in flight).
    const before = await settled(gw, { ...gatewaySnapshot(gw), dialogs: 0 }, 5000);
    expect(before.dialogs).toBe(0);
    const outcomesBefore = gw.logs().filter((l) => l.event === 'transfer').length;

    const r = await calls(TRANSFERS, 50);
    expect(r.code, r.errors.slice(0, 2000)).toBe(0);
    expect(r.stats['SuccessfulCall(C)']).toBe(String(TRANSFERS));
    await gw.waitIdle(30_000);
    const after = await settled(gw, before);

    const outcomes = gw.logs().filter((l) => l.event === 'transfer').slice(outcomesBefore);
    expect(outcomes).toHaveLength(TRANSFERS);
    const byResult: Record<string, number> = {};
    for (const o of outcomes) byResult[String(o.result)] = (byResult[String(o.result)] ?? 0) + 1;
    expect(byResult).toEqual({ transferred: TRANSFERS });
    expect(after).toMatchObject({ activeCalls: 0, pendingCalls: 0, mediaPortsInUse: 0, dialogs: 0 });
    expect(after.udpSockets).toBe(before.udpSockets);
    expect(after.tcpSockets).toBe(before.tcpSockets);
    expect(after.otherTimers).toBeLessThanOrEqual(before.otherTimers);
  }, 240_000);
});
