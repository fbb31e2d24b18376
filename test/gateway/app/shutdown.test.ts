import { describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { byeFromCaller, byeFromGateway, expectAnswer, invite, pause, scenario, scenarioFile } from '../helpers/scenarios.js';

async function sipp(gw: TestGateway, scn: string) {
  const port = await freePort();
  const mediaPort = await sippMediaPort();
  return runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', '1'], timeoutMs: 30_000 });
}

const expect503 = scenarioFile('uac-expect-503', scenario('uac-expect-503', `${invite()}  <recv response="100" optional="true"/>
  <recv response="503"/>
`));

describe('graceful shutdown', () => {
  it('refuses new calls with 503 while a live call finishes, then stops', async () => {
    const gw = await startTestGateway();
    const live = sipp(gw, scenarioFile('uac-3s', scenario('uac-3s', `${invite()}${expectAnswer}${pause(3000)}${byeFromCaller()}`)));
    await gw.waitFor(() => gw.proc.gateway.stats().activeCalls === 1);
    let stopped = false;
    const stopping = gw.proc.stop({ graceMs: 20_000 }).then(() => { stopped = true; });
    const refused = await sipp(gw, expect503);
    expect(refused.code, refused.errors).toBe(0);
    expect(stopped).toBe(false);
    expect((await live).code).toBe(0);
    await stopping;
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'caller' });
  }, 40_000);

  it('sends BYE to calls still up when the grace period is over', async () => {
    const gw = await startTestGateway();
    const live = sipp(gw, scenarioFile('uac-expect-bye', scenario('uac-expect-bye', `${invite()}${expectAnswer}${byeFromGateway}`)));
    await gw.waitFor(() => gw.proc.gateway.stats().activeCalls === 1);
    await gw.proc.stop({ graceMs: 500 });
    expect((await live).code).toBe(0);
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'gateway', reason: 'shutdown grace period over' });
  }, 40_000);
});
