/**
 * The metrics listener (issue 15 item 3) scraped after real SIPp calls: its counters equal what
 * SIPp counted (calls per outcome from SIPp's statistics, SIP messages per scenario step from
 * SIPp's -trace_counts), /health and /ready answer, and /ready turns 503 when the drain starts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCENARIO_DIR } from '../../../src/loadtest/peers.js';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp, type SippResult } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackForNonSuccess, byeFromCaller, expectAnswer, invite, pause, scenario, scenarioFile } from '../helpers/scenarios.js';

let gw: TestGateway | undefined;
afterEach(async () => { await gw?.stop(); gw = undefined; });

const WAV = join(SCENARIO_DIR, 'media', 'hello-pcmu.wav');
const CALLS = 20;
const REFUSED = 3;

const talk = scenarioFile('uac-talk-1s-expect-200', scenario('uac-talk-1s-expect-200', `${invite()}${expectAnswer}  <nop><action><exec rtp_stream="${WAV},-1,0"/></action></nop>
${pause(1000)}  <nop><action><exec rtp_stream="pause"/></action></nop>
${byeFromCaller()}`));

const unrouted = scenarioFile('uac-expect-404', scenario('uac-expect-404', `${invite()}  <recv response="100" optional="true"/>
  <recv response="404"/>
${ackForNonSuccess(3)}`));

/** The last row of SIPp's -trace_counts CSV: messages per scenario step (`4_200_Recv` …). */
function counts(r: SippResult): Record<string, number> {
  const file = readdirSync(r.dir).find((f) => f.endsWith('_counts.csv'));
  if (!file) throw new Error(`no -trace_counts file in ${r.dir}`);
  const lines = readFileSync(join(r.dir, file), 'utf8').trim().split('\n');
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  return Object.fromEntries(head.map((h, i) => [h, Number(last[i])]));
}

/** SIPp's count for the `nth` scenario step named `name` (`INVITE`, `200` …) and `kind` (Sent, Recv, Retrans). */
function step(c: Record<string, number>, name: string, kind: 'Sent' | 'Recv' | 'Retrans', nth = 0): number {
  const steps = [...new Set(Object.keys(c).filter((k) => new RegExp(`^\\d+_${name}_`).test(k)).map((k) => k.split('_')[0]!))];
  const at = steps[nth];
  if (at === undefined) throw new Error(`no step ${nth} named ${name} in ${Object.keys(c).join(' ')}`);
  return c[`${at}_${name}_${kind}`] ?? 0;
}

async function sipp(sipPort: number, scn: string, args: string[]): Promise<SippResult> {
  return runSipp({ args: ['-sf', scn, `127.0.0.1:${sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-trace_counts', ...args], timeoutMs: 90_000 });
}

/** One sample of the Prometheus text: `name{labels} value`, labels in the order written. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{ ]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(',') : [];
    if (want.length === have.length && want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}

describe('metrics listener (prom-client) after a SIPp load', () => {
  it(`the counters equal SIPp's: ${CALLS} completed and ${REFUSED} refused calls, SIP messages per method and status, call_end media sums`, async () => {
    gw = await startTestGateway({ trunk: { routes: [{ pattern: '919876543210', agent: 'echo' }] }, extra: { metrics: { listen: '127.0.0.1:0' } } });
    const base = `http://127.0.0.1:${gw.proc.gateway.ops!.port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', reasons: [] }]);

    const ok = await sipp(gw.sipPort, talk, ['-s', '919876543210', '-m', String(CALLS), '-r', '10', '-l', '10']);
    expect(ok.code, ok.errors).toBe(0);
    const no = await sipp(gw.sipPort, unrouted, ['-s', '1234', '-m', String(REFUSED)]);
    expect(no.code, no.errors).toBe(0);
    await gw.waitIdle();

    const text = await (await fetch(`${base}/metrics`)).text();
    const calls = (outcome: string): number => sample(text, 'trunkgate_calls_total', { trunk: 'test', direction: 'inbound', outcome });
    expect(calls('completed')).toBe(Number(ok.stats['SuccessfulCall(C)']));
    expect(calls('completed')).toBe(CALLS);
    // The refused calls were refused before a trunk matched a route: labelled with their trunk.
    expect(calls('no_route_for_number')).toBe(Number(no.stats['SuccessfulCall(C)']));
    expect(sample(text, 'trunkgate_calls_active', { trunk: 'test', direction: 'inbound' })).toBe(0);
    expect(sample(text, 'trunkgate_call_duration_seconds_count', { trunk: 'test', direction: 'inbound' })).toBe(CALLS);
    expect(sample(text, 'trunkgate_call_setup_seconds_count', { trunk: 'test', direction: 'inbound' })).toBe(CALLS);

    // SIP messages: what SIPp sent (first sends + its retransmissions) is what came in, and so on.
    const c = counts(ok);
    const n = counts(no);
    const sip = (direction: string, method: string, status = ''): number => sample(text, 'trunkgate_sip_messages_total', { direction, method, status });
    const sent = (k: Record<string, number>, name: string): number => step(k, name, 'Sent') + step(k, name, 'Retrans');
    const recv = (k: Record<string, number>, name: string, nth = 0): number => step(k, name, 'Recv', nth) + step(k, name, 'Retrans', nth);
    expect(sip('in', 'INVITE')).toBe(sent(c, 'INVITE') + sent(n, 'INVITE'));
    expect(sip('in', 'ACK')).toBe(sent(c, 'ACK') + sent(n, 'ACK'));
    expect(sip('in', 'BYE')).toBe(sent(c, 'BYE'));
    expect(sip('out', 'INVITE', '200')).toBe(recv(c, '200', 0));
    expect(sip('out', 'BYE', '200')).toBe(recv(c, '200', 1));
    expect(sip('out', 'INVITE', '404')).toBe(recv(n, '404'));

    // Media counters are the sums over the call_end lines.
    const ends = gw.logs().filter((l) => l.event === 'call_end');
    const sum = (f: string): number => ends.reduce((a, l) => a + (typeof l[f] === 'number' ? l[f] : 0), 0);
    expect(sum('packetsIn')).toBeGreaterThan(0);
    expect(sample(text, 'trunkgate_rtp_packets_total', { direction: 'in' })).toBe(sum('packetsIn'));
    expect(sample(text, 'trunkgate_rtp_packets_total', { direction: 'out' })).toBe(sum('packetsOut'));
    expect(sample(text, 'trunkgate_rtp_late_frames_total')).toBe(sum('lateFrames'));
    expect(sample(text, 'trunkgate_rtp_jitter_ms_count')).toBe(ends.filter((l) => (l.packetsIn as number) > 0).length);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \S+$/m);
    expect(text).toMatch(/^trunkgate_media_worker_utilization\{worker="0"\} \S+$/m);
    expect(text).toMatch(/^# TYPE trunkgate_rest_requests_total counter$/m);
  }, 120_000);

  it('/ready turns 503 (draining) when the drain starts while /health stays 200; unknown paths 404, POST 405', async () => {
    gw = await startTestGateway({ extra: { metrics: { listen: '127.0.0.1:0' } } });
    const base = `http://127.0.0.1:${gw.proc.gateway.ops!.port}`;
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    const hold = scenarioFile('uac-hold', scenario('uac-hold', `${invite()}${expectAnswer}${pause(2000)}${byeFromCaller()}`));
    const live = sipp(gw.sipPort, hold, ['-m', '1']);
    await gw.waitFor(() => gw!.proc.gateway.stats().activeCalls === 1);
    const stopping = gw.proc.gateway.stop({ graceMs: 30_000 });
    const r = await fetch(`${base}/ready`);
    expect([r.status, await r.json()]).toEqual([503, { status: 'not_ready', reasons: ['draining'] }]);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(sample(await (await fetch(`${base}/metrics`)).text(), 'trunkgate_draining')).toBe(1);
    expect((await live).code).toBe(0);
    await stopping;
  }, 60_000);
});
