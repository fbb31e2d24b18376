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

  it('sends BYE with a Reason header to calls still up when the grace period is over; observers see callEnded (endCause shutdown) before stopping()', async () => {
    const gw = await startTestGateway();
    const seen: string[] = [];
    gw.proc.gateway.app.observe({
      drainStarted: (e) => seen.push(`drain ${e.liveCalls}`),
      callEnded: (_call, record) => seen.push(`end ${record.endCause} ${record.hangupBy}`),
      stopping: async () => { await Promise.resolve(); seen.push('stopping'); },
    });
    // RFC 3326: the BYE says why the gateway ended the call.
    const byeWithReason = byeFromGateway.replace('<recv request="BYE"/>', `<recv request="BYE">
    <action><ereg regexp="[Rr]eason: *SIP;cause=[0-9]+;text=.shutdown grace period over" search_in="msg" check_it="true" assign_to="why"/></action>
  </recv>`);
    const live = sipp(gw, scenarioFile('uac-expect-bye', scenario('uac-expect-bye', `${invite()}${expectAnswer}${byeWithReason}  <Reference variables="why"/>\n`)));
    await gw.waitFor(() => gw.proc.gateway.stats().activeCalls === 1);
    await gw.proc.stop({ graceMs: 500 });
    const r = await live;
    expect(r.code, r.errors).toBe(0);
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'gateway', reason: 'shutdown grace period over', endCause: 'shutdown' });
    expect(seen).toEqual(['drain 1', 'end shutdown gateway', 'stopping']);
  }, 40_000);
});
