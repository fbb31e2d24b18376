import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackForNonSuccess, invite, scenario, scenarioFile } from '../helpers/scenarios.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

/** A caller that expects `status` as the final response, with a Reason header, and ACKs it. */
async function callExpecting(status: number): Promise<void> {
  const scn = scenarioFile(`uac-expect-${status}`, scenario(`uac-expect-${status}`, `${invite()}  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="${status}">
    <action><ereg regexp="Reason: *SIP;cause=${status}" search_in="msg" check_it="true" assign_to="reason"/></action>
  </recv>
${ackForNonSuccess(4)}  <Reference variables="reason"/>
`));
  const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw!.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'], timeoutMs: 30_000 });
  expect(r.code, r.errors).toBe(0);
}

describe('an agent that ends the call before it is answered: the caller gets a final response, never rings for ever', () => {
  it('hang-up inside start() → 480 with a Reason header, call_refused agent_unavailable, call_end answered: false', async () => {
    gw = await startTestGateway({ trunk: { routes: [{ pattern: '*', agent: 'quiet' }] }, agents: { quiet: { type: 'module', module: join(FIXTURES, 'hangup-in-start-agent.ts') } } });
    await callExpecting(480);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_refused')).toMatchObject({ reason: 'agent_unavailable', status: 480, cause: 'nothing to say' });
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ answered: false, sipStatus: 480, hangupBy: 'agent', durationMs: 0 });
  }, 40_000);

  it('a websocket bot that cannot be reached (connection refused) → the trunk\'s agent_unavailable_status (503 here)', async () => {
    const closedPort = await freePort();
    gw = await startTestGateway({
      trunk: { agent_unavailable_status: 503, routes: [{ pattern: '*', agent: 'bot' }] },
      agents: { bot: { type: 'websocket', settings: { url: `ws://127.0.0.1:${closedPort}/stream`, format: 'twilio' } } },
    });
    await callExpecting(503);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_refused')).toMatchObject({ reason: 'agent_unavailable', status: 503 });
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ answered: false, sipStatus: 503 });
  }, 40_000);

  it('an agent factory that rejects → 480 and the reason logged', async () => {
    gw = await startTestGateway({ trunk: { routes: [{ pattern: '*', agent: 'full' }] }, agents: { full: { type: 'module', module: join(FIXTURES, 'rejecting-factory-agent.ts') } } });
    await callExpecting(480);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_refused')).toMatchObject({ reason: 'agent_failed', status: 480 });
    expect(String(gw.logs().find((l) => l.event === 'call_end')!.reason)).toContain('no capacity for another session');
  }, 40_000);
});
