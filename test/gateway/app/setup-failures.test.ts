import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackForNonSuccess, byeFromCaller, expectAnswer, invite, pause, scenario, scenarioFile } from '../helpers/scenarios.js';

let gw: TestGateway | undefined;
const squatters: Socket[] = [];
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  for (const s of squatters.splice(0)) s.close();
});

function bind(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => { s.close(); resolve(); });
    s.bind(port, '127.0.0.1', () => { squatters.push(s); resolve(); });
  });
}

/** ACK for the non-2xx final, 4 scenario steps back. */
const ackForFinal = ackForNonSuccess(4);

describe('a call whose media sockets cannot be opened', () => {
  it('is refused 503 with Retry-After and reason media_port_unavailable (not 500 agent_failed), and the port lease is returned', async () => {
    gw = await startTestGateway({ mediaPorts: 4 });
    // Another process holds every port of the gateway's RTP range (what SIPp's media port did under load).
    for (let p = gw.config.media.port_min; p <= gw.config.media.port_max; p++) await bind(p);
    const scn = scenarioFile('uac-expect-503-media', scenario('uac-expect-503-media', `${invite()}  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="503">
    <action><ereg regexp="[Rr][Ee][Tt][Rr][Yy]-[Aa][Ff][Tt][Ee][Rr]: *[0-9]+" search_in="msg" check_it="true" assign_to="ra"/><log message="Retry-After [$ra]"/></action>
  </recv>
${ackForFinal}`));
    const port = await freePort();
    const mediaPort = await sippMediaPort();
    const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', '1'], timeoutMs: 30_000 });
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    const refusal = gw.logs().find((l) => l.event === 'call_refused');
    expect(refusal).toMatchObject({ reason: 'media_port_unavailable', status: 503, code: 'EADDRINUSE' });
    expect(gw.logs().some((l) => l.event === 'agent_failed' || l.reason === 'agent_failed')).toBe(false);
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 40_000);

  it('is answered on the next pair when the pair it leased first is held by another process, with a warning naming the port', async () => {
    gw = await startTestGateway({ mediaPorts: 6 });
    const first = gw.config.media.port_min % 2 === 0 ? gw.config.media.port_min : gw.config.media.port_min + 1;
    await bind(first);
    expect(squatters).toHaveLength(1);
    const scn = scenarioFile('uac-answered-next-pair', scenario('uac-answered-next-pair', `${invite()}${expectAnswer}${pause(200)}${byeFromCaller()}`));
    const port = await freePort();
    const mediaPort = await sippMediaPort();
    const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', '1'], timeoutMs: 30_000 });
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.logs().filter((l) => l.event === 'media_port_taken')).toMatchObject([{ port: first, attempt: 1 }]);
    expect(gw.logs().some((l) => l.event === 'call_refused')).toBe(false);
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ answered: true });
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 40_000);
});
