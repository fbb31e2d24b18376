import { describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { byeFromGateway, expectAnswer, invite, scenario, scenarioFile } from '../helpers/scenarios.js';

/** An out-of-dialog OPTIONS (a dispatcher's ping); `expect` is the status it must get. */
function optionsExpect(status: 200 | 503): string {
  const check503 = `
    <action>
      <!-- header names are case-insensitive (RFC 3261 §7.3.5): match the whole message -->
      <ereg regexp="[Rr]etry-[Aa]fter: *[0-9]+" search_in="msg" check_it="true" assign_to="retry"/>
      <ereg regexp="[Ww]arning: 399 [^ ]+ .not ready: [a-z_, ]+" search_in="msg" check_it="true" assign_to="why"/>
    </action>`;
  return scenarioFile(`uac-options-expect-${status}`, scenario(`uac-options-expect-${status}`, `  <send retrans="500">
    <![CDATA[
      OPTIONS sip:ping@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:dispatcher@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:ping@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="${status}">${status === 503 ? check503 : ''}
  </recv>
${status === 503 ? '  <Reference variables="retry,why"/>\n' : ''}`));
}

async function sipp(gw: TestGateway, scn: string) {
  const port = await freePort();
  return runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(await sippMediaPort()), '-m', '1'], timeoutMs: 30_000 });
}

describe('OPTIONS answers readiness (issue 16: a dispatcher stops sending to a full or draining instance)', () => {
  it('200 while below max_calls, 503 with Retry-After at max_calls, 200 again once the call ended, 503 while draining', async () => {
    const gw = await startTestGateway({ trunk: { max_calls: 1 } });
    try {
      const idle = await sipp(gw, optionsExpect(200));
      expect(idle.code, idle.errors).toBe(0);
      expect(gw.proc.gateway.app.readiness()).toEqual({ ready: true, reasons: [] });

      const hold = scenarioFile('uac-expect-bye', scenario('uac-expect-bye', `${invite()}${expectAnswer}${byeFromGateway}`));
      const live = sipp(gw, hold);
      await gw.waitFor(() => gw.proc.gateway.stats().activeCalls === 1);
      const full = await sipp(gw, optionsExpect(503));
      expect(full.code, full.errors).toBe(0);
      expect(gw.proc.gateway.app.readiness('test')).toEqual({ ready: false, reasons: ['at_capacity'] });

      await Promise.all([...gw.proc.gateway.app.calls.values()].map((c) => c.end('gateway', 'test over')));
      expect((await live).code).toBe(0);
      await gw.waitIdle();
      const again = await sipp(gw, optionsExpect(200));
      expect(again.code, again.errors).toBe(0);

      const stopping = gw.proc.gateway.stop({ graceMs: 0 });
      const draining = await sipp(gw, optionsExpect(503));
      expect(draining.code, draining.errors).toBe(0);
      await stopping;
    } finally {
      await gw.stop();
    }
  }, 60_000);
});

describe('readiness follows the drachtio connection', () => {
  it('reasons include drachtio_disconnected once the drachtio server the app is connected to goes away', async () => {
    const gw = await startTestGateway();
    try {
      expect(gw.proc.gateway.app.readiness().ready).toBe(true);
      await gw.proc.server!.close();
      await gw.waitFor(() => gw.proc.gateway.app.readiness().reasons.includes('drachtio_disconnected'));
      expect(gw.proc.gateway.app.readiness()).toEqual({ ready: false, reasons: ['drachtio_disconnected'] });
    } finally {
      await gw.stop();
    }
  }, 30_000);
});
