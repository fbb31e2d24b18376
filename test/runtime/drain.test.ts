/**
 * Graceful drain of the real process (issue 15 item 6, issue 16 item 2): the built `trunkgate
 * start` in a child process carries 100 concurrent SIPp calls with audio; SIGTERM arrives while
 * they are all up. Every one of them must complete as SIPp scripted it (0 failed calls), a new
 * INVITE meanwhile gets 503 with Retry-After, and the process exits 0 once the last call ended.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO_DIR } from '../../src/loadtest/peers.js';
import { freePort, freePortRange, sippMediaPort } from '../helpers/ports.js';
import { runSipp } from '../helpers/sipp.js';
import { BIN, bound, configFile, trunkgate } from '../helpers/trunkgate-cli.js';
import { invite, scenario, scenarioFile } from '../gateway/helpers/scenarios.js';

const CALLS = 100;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build`);
});

const isEvent = (event: string) => (l: Record<string, unknown>): boolean => l.event === event;

/** A new INVITE during the drain: 503 with a Retry-After (RFC 3261 §21.5.4), ACKed. */
const expect503RetryAfter = scenarioFile('uac-expect-503-retry-after', scenario('uac-expect-503-retry-after', `${invite()}  <recv response="100" optional="true"/>
  <recv response="503">
    <action>
      <!-- header names are case-insensitive (RFC 3261 §7.3.5): match the whole message -->
      <ereg regexp="[Rr]etry-[Aa]fter: *[0-9]+" search_in="msg" check_it="true" assign_to="retry"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-2]
      From: sipp <sip:+919000000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <Reference variables="retry"/>
`));

describe('trunkgate start: SIGTERM drains (the built bin, real SIPp)', () => {
  it(`SIGTERM during ${CALLS} concurrent calls: 0 of them fail, /ready 503, a new INVITE gets 503 + Retry-After, exit 0 after the last call_end`, async () => {
    const [sipPort, control, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const media = await freePortRange(CALLS * 2 + 40);
    const cfg = configFile(`sip: { listen: [{ address: 127.0.0.1, port: ${sipPort}, transport: udp }] }
drachtio: { embedded: { host: 127.0.0.1, port: ${control}, secret: s3cret } }
trunks: [{ name: local, sources: [127.0.0.1/32], codecs: [PCMU], max_calls: ${CALLS * 2}, routes: [{ pattern: "*", agent: parrot }] }]
agents: { parrot: { type: echo } }
media: { address: 127.0.0.1, port_min: ${media.min}, port_max: ${media.max} }
edge: { rate_per_second: 5000, burst: 5000 }
shutdown: { grace_seconds: 120 }
metrics: { listen: "127.0.0.1:${metricsPort}" }
`);
    const gw = trunkgate(['start', '--config', cfg]);
    await gw.waitForLog((l) => l.msg === 'connected to drachtio server');
    await bound(sipPort, 'udp', gw);
    const ready = `http://127.0.0.1:${metricsPort}/ready`;
    expect((await fetch(ready)).status).toBe(200);

    // Each call streams speech for 20 s after the answer, then the caller hangs up.
    const load = runSipp({
      args: [`127.0.0.1:${sipPort}`, '-sf', join(SCENARIO_DIR, 'uac-pcmu-caller-hangs-up-expect-200.xml'), '-s', '919876543210',
        '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()),
        '-m', String(CALLS), '-l', String(CALLS), '-r', '50', '-d', '20000'],
      cwd: SCENARIO_DIR, timeoutMs: 150_000,
    });
    const answered = (): number => gw.logs.filter(isEvent('call_answered')).length;
    await gw.waitForLog(() => answered() === CALLS, 60_000);
    const inFlight = CALLS - gw.logs.filter(isEvent('call_end')).length;
    expect(inFlight).toBeGreaterThan(0);

    gw.proc.kill('SIGTERM');
    await gw.waitForLog((l) => l.event === 'drain_waiting');
    const notReady = await fetch(ready);
    expect([notReady.status, await notReady.json()]).toEqual([503, { status: 'not_ready', reasons: ['draining'] }]);
    const refused = await runSipp({
      args: ['-sf', expect503RetryAfter, `127.0.0.1:${sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'],
      timeoutMs: 30_000,
    });
    expect(refused.code, refused.errors).toBe(0);
    expect(gw.logs.find((l) => l.event === 'call_refused' && l.reason === 'shutting_down')).toMatchObject({ status: 503 });

    const r = await load;
    expect(r.code, r.errors).toBe(0);
    expect(r.stats['SuccessfulCall(C)']).toBe(String(CALLS));
    expect(r.stats['FailedCall(C)']).toBe('0');
    expect(await gw.exited).toBe(0);
    const ends = gw.logs.filter(isEvent('call_end'));
    expect(ends).toHaveLength(CALLS);
    expect(ends.every((e) => e.hangupBy === 'caller')).toBe(true);
    expect(gw.logs.some(isEvent('drain_grace_over'))).toBe(false);
  }, 180_000);
});
