import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackForNonSuccess, byeFromCaller, expectAnswer, invite, scenario, scenarioFile } from '../helpers/scenarios.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function sipp(target: TestGateway, scn: string, extra: string[] = [], address = '127.0.0.1') {
  const port = await freePort(address);
  return runSipp({ args: ['-sf', scn, `127.0.0.1:${target.sipPort}`, '-i', address, '-p', String(port), '-m', '1', '-trace_msg', ...extra], timeoutMs: 30_000 });
}

function receivedAnything(dir: string): boolean {
  const f = readdirSync(dir).find((x) => x.includes('messages'));
  return f ? /message received/.test(readFileSync(`${dir}/${f}`, 'utf8')) : false;
}

/** Sends one INVITE and waits 2.5 s for anything at all. */
const probe = (extraHeaders?: string): string => scenarioFile('uac-expect-silence', scenario('uac-expect-silence', `${invite(extraHeaders ? { extraHeaders } : {})}  <recv response="100" timeout="2500" ontimeout="silent"/>
  <label id="silent"/>
`));

describe('the edge in front of the trunk', () => {
  it('gives a source outside every trunk CIDR no response at all and allocates nothing', async () => {
    gw = await startTestGateway({ trunk: { sources: ['127.0.0.1/32'] } });
    const r = await sipp(gw, probe(), [], '127.0.0.2');
    expect(receivedAnything(r.dir)).toBe(false);
    expect(gw.proc.edge!.counts().unknown_source).toBeGreaterThan(0);
    expect(gw.proc.gateway.stats()).toMatchObject({ callsTotal: 0, pendingCalls: 0, mediaPortsInUse: 0 });
    expect(gw.proc.server!.stats.pendingServerRequests).toBe(0);
  }, 30_000);

  it('answers a stranger with 403 when the trunk says on_reject: 403', async () => {
    gw = await startTestGateway({ trunk: { sources: ['127.0.0.1/32'], on_reject: '403' } });
    const scn = scenarioFile('uac-expect-403', scenario('uac-expect-403', `${invite()}  <recv response="100" optional="true"/>
  <recv response="403"/>
`));
    const r = await sipp(gw, scn, [], '127.0.0.2');
    expect(r.code, r.errors).toBe(0);
    expect(gw.logs().some((l) => l.event === 'call_refused' && l.reason === 'no_trunk_for_source')).toBe(true);
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 30_000);

  it('drops a request whose User-Agent is a known scanner (friendly-scanner)', async () => {
    gw = await startTestGateway();
    const r = await sipp(gw, probe('User-Agent: friendly-scanner'));
    expect(receivedAnything(r.dir)).toBe(false);
    expect(gw.proc.edge!.counts().scanner).toBeGreaterThan(0);
    expect(gw.proc.gateway.stats().callsTotal).toBe(0);
  }, 30_000);
});

/** INVITE → 401 → ACK → INVITE with credentials → `then`. */
function digestScenario(password: string, then: string): string {
  const second = invite({ extraHeaders: `[authentication username=carrier password=${password}]` }).replace('CSeq: 1 INVITE', 'CSeq: 2 INVITE');
  return scenario('uac-digest', `${invite()}  <recv response="100" optional="true"/>
  <recv response="401" auth="true"/>
${ackForNonSuccess(3)}${second}${then}`);
}

describe('inbound digest authentication on a trunk', () => {
  const trunk = { auth: { username: 'carrier', password: 's3cret', realm: 'trunkgate' } };

  it('gives the call to a carrier that answers the challenge with the right password', async () => {
    gw = await startTestGateway({ trunk });
    const scn = scenarioFile('uac-digest-ok', digestScenario('s3cret', `${expectAnswer.replace(/CSeq: 1 ACK/, 'CSeq: 2 ACK')}${byeFromCaller(3)}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    expect(gw.logs().some((l) => l.event === 'call_answered')).toBe(true);
  }, 30_000);

  it('challenges a wrong password again and never answers the call', async () => {
    gw = await startTestGateway({ trunk });
    const scn = scenarioFile('uac-digest-bad', digestScenario('wrong', `  <recv response="100" optional="true"/>
  <recv response="401"/>
`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    expect(gw.logs().some((l) => l.event === 'call_answered')).toBe(false);
    expect(gw.logs().some((l) => l.event === 'call_refused' && l.reason === 'auth_failed')).toBe(true);
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 30_000);
});

describe('number routing on a trunk with country code 91', () => {
  it('+919876543210, 919876543210 and 09876543210 reach the same route; another number gets 404', async () => {
    gw = await startTestGateway({
      trunk: { routes: [{ pattern: '+919876543210', agent: 'echo' }] },
    });
    const call = scenarioFile('uac-call', scenario('uac-call', `${invite()}${expectAnswer}${byeFromCaller()}`));
    for (const number of ['+919876543210', '919876543210', '09876543210']) {
      const r = await sipp(gw, call, ['-s', number]);
      expect(r.code, `${number}: ${r.errors}`).toBe(0);
    }
    const answered = gw.logs().filter((l) => l.event === 'call_answered');
    expect(answered.map((l) => l.agent)).toEqual(['echo', 'echo', 'echo']);
    const other = scenarioFile('uac-expect-404', scenario('uac-expect-404', `${invite()}  <recv response="100" optional="true"/>
  <recv response="404"/>
`));
    const r = await sipp(gw, other, ['-s', '+919876543211']);
    expect(r.code, r.errors).toBe(0);
    const refusal = gw.logs().find((l) => l.event === 'call_refused');
    expect(refusal).toMatchObject({ reason: 'no_route_for_number', normalized: '919876543211' });
  }, 60_000);
});
