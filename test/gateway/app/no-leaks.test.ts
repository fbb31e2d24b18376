import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gatewaySnapshot, settled } from '../helpers/leaks.js';
import { byeFromCaller, expectAnswer, invite, pause, scenario, scenarioFile } from '../helpers/scenarios.js';

let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway({ mediaPorts: 400, trunk: { max_calls: 1000 } }); });
afterAll(async () => { await gw.stop(); });

async function calls(count: number, rate: number) {
  const scn = scenarioFile('uac-short-call', scenario('uac-short-call', `${invite()}${expectAnswer}${pause(300)}${byeFromCaller()}`));
  const port = await freePort();
  const mediaPort = await sippMediaPort();
  return runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', String(count), '-r', String(rate), '-l', '200'], timeoutMs: 120_000 });
}

describe('after 1,000 calls', () => {
  it('no call, media port, socket or timer is left behind', async () => {
    // Warm up: lazy singletons (shared media clock, codec tables) exist before we count.
    expect((await calls(5, 50)).code).toBe(0);
    await gw.waitIdle();
    // Baseline once the warm-up calls are gone from the server too (their last BYE may be in flight).
    const before = await settled(gw, { ...gatewaySnapshot(gw), dialogs: 0 }, 5000);
    expect(before.dialogs).toBe(0);

    const r = await calls(1000, 100);
    expect(r.code, r.errors.slice(0, 2000)).toBe(0);
    expect(r.stats['SuccessfulCall(C)']).toBe('1000');
    await gw.waitIdle(30_000);
    const after = await settled(gw, before);

    expect(after.callsTotal - before.callsTotal).toBe(1000);
    expect(after).toMatchObject({ activeCalls: 0, pendingCalls: 0, mediaPortsInUse: 0, dialogs: 0 });
    expect(after.udpSockets).toBe(before.udpSockets);
    expect(after.tcpSockets).toBe(before.tcpSockets);
    // Timers outside the SIP stack (whose transactions rightly linger 32 s: RFC 3261 Timer J,
    // RFC 6026 Timer L) must all be gone.
    expect(after.otherTimers).toBeLessThanOrEqual(before.otherTimers);
  }, 180_000);
});
