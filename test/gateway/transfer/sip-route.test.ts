import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackForNonSuccess, invite, scenario, scenarioFile } from '../helpers/scenarios.js';
import { runSippCaller, startSippHuman, type SippPeer } from './helpers.js';

let gw: TestGateway | undefined;
let endpoint: SippPeer | undefined;
afterEach(async () => {
  endpoint?.kill();
  endpoint = undefined;
  await gw?.stop();
  gw = undefined;
});

describe('a route to a SIP endpoint instead of an agent ({ pattern, sip })', () => {
  it('bridges the call: the caller is answered once the endpoint answers, audio is relayed both ways, the caller\'s BYE ends the endpoint\'s leg', async () => {
    endpoint = await startSippHuman('uas-human-agent-echo.xml', ['-rtp_echo'], 'agent');
    gw = await startTestGateway({ trunk: { codecs: ['PCMU'], routes: [{ pattern: '*', sip: endpoint.uri, headers: { 'X-Trunk': 'test' } }] } });
    const caller = await runSippCaller('uac-pcmu-caller-hangs-up-expect-200.xml', gw.sipPort, ['-d', '3000']);
    expect(caller.code, caller.errors).toBe(0);
    expect((await endpoint.result).code).toBe(0);
    await gw.waitIdle();
    const answered = gw.logs().find((l) => l.event === 'call_answered');
    expect(answered).toMatchObject({ agent: endpoint.uri });
    const end = gw.logs().find((l) => l.event === 'call_end')!;
    expect(end).toMatchObject({ answered: true, hangupBy: 'caller' });
    // Caller → endpoint and back (SIPp echoes): both legs carried RTP both ways.
    expect(end.packetsIn as number).toBeGreaterThan(50);
    expect(end.packetsOut as number).toBeGreaterThan(50);
    const human = end.human as { packetsIn: number; packetsOut: number };
    expect(human.packetsIn).toBeGreaterThan(50);
    expect(human.packetsOut).toBeGreaterThan(50);
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 60_000);

  it('passes the endpoint\'s refusal back to the caller (486 → 486) and logs call_refused sip_route_failed', async () => {
    endpoint = await startSippHuman('peers/uas-busy.xml', [], 'agent');
    gw = await startTestGateway({ trunk: { codecs: ['PCMU'], routes: [{ pattern: '*', sip: endpoint.uri }] } });
    const scn = scenarioFile('uac-expect-486', scenario('uac-expect-486', `${invite()}  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="486"/>
${ackForNonSuccess(4)}`));
    const port = await freePort();
    const mp = await sippMediaPort();
    const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mp), '-m', '1'], timeoutMs: 30_000 });
    expect(r.code, r.errors).toBe(0);
    expect((await endpoint.result).code).toBe(0);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_refused')).toMatchObject({ reason: 'sip_route_failed', status: 486 });
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ answered: false, sipStatus: 486 });
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 60_000);
});
