import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/agents/builtin/wav.js';
import { createCodec } from '../../../src/media/codecs/index.js';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { correlateWithLag, median, speechWav, windowedCorrelation } from '../helpers/audio.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { records } from '../fixtures/recorder-agent.js';
import { ackForNonSuccess, byeFromCaller, byeFromGateway, expectAnswer, invite, pause, scenario, scenarioFile, sdp } from '../helpers/scenarios.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function sipp(target: TestGateway, scn: string, extra: string[] = [], timeoutMs = 30_000) {
  const port = await freePort();
  const mediaPort = await sippMediaPort();
  return runSipp({ args: ['-sf', scn, `127.0.0.1:${target.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', '1', ...extra], timeoutMs });
}

describe('an inbound call from the trunk to the echo agent', () => {
  it('is answered and the PCMU audio that comes back correlates with what SIPp sent (median NCC per 500 ms window ≥ 0.9)', async () => {
    const sentWav = speechWav('echo-test', 'The quick brown fox jumps over the lazy dog. One two three four five.', 8000, 'u-law');
    const out: Buffer[] = [];
    gw = await startTestGateway({ mediaTap: () => (dir, pkt) => { if (dir === 'out') out.push(Buffer.from(pkt)); } });
    const scn = scenarioFile('uac-echo', scenario('uac-echo', `${invite()}${expectAnswer}  <nop><action><exec rtp_stream="${sentWav},1,0"/></action></nop>
${pause(6500)}${byeFromCaller()}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);

    const rtp = out.filter((p) => p.length > 12 && (p[0]! >> 6) === 2 && (p[1]! & 0x7f) === 0)
      .sort((a, b) => ((a.readUInt16BE(2) - b.readUInt16BE(2) + 65536 + 32768) % 65536) - 32768);
    const codec = createCodec('PCMU');
    const received = new Int16Array(rtp.length * 160);
    rtp.forEach((p, i) => received.set(codec.decode(p.subarray(12)), i * 160));
    const ref = readWav(execFileSync('sox', [sentWav, '-t', 'wav', '-e', 'signed-integer', '-b', '16', '-']));
    const whole = correlateWithLag(ref.samples, received, 8000 * 2);
    const windows = windowedCorrelation(ref.samples, received, 4000, 8000 * 2);
    const detail = JSON.stringify({ whole, windows: windows.map((w) => Math.round(w.ncc * 1000) / 1000) });
    expect(windows.length).toBeGreaterThanOrEqual(4);
    expect(median(windows.map((w) => w.ncc)), detail).toBeGreaterThanOrEqual(0.9);
    await gw.waitIdle();
    expect(gw.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
    // call_end carries the pacer's own counts: every PCMU packet that left is a frame sent. How
    // many were late depends on the machine's load: logged here as a count, bounded only by the
    // concurrency check (test/loadtest/concurrent-calls.test.ts) and the benchmarks.
    const end = gw.logs().find((l) => l.event === 'call_end') as { framesSent?: unknown; lateFrames?: unknown } | undefined;
    expect(end?.framesSent).toBe(rtp.length);
    expect(Number.isInteger(end?.lateFrames) && (end?.lateFrames as number) >= 0).toBe(true);
  }, 60_000);

  it('ends cleanly when the agent hangs up: the gateway sends BYE and releases the media port', async () => {
    gw = await startTestGateway({ agent: 'bye', agents: { bye: { type: 'module', module: fixture('hangup-agent.ts'), settings: { after_ms: 300 } } } });
    const scn = scenarioFile('uac-expect-bye', scenario('uac-expect-bye', `${invite()}${expectAnswer}${byeFromGateway}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
  }, 30_000);

  it('ends with BYE and a log line when the agent throws', async () => {
    gw = await startTestGateway({ agent: 'broken', agents: { broken: { type: 'module', module: fixture('failing-agent.ts'), settings: { after_frames: 5 } } } });
    const wav = speechWav('short', 'Hello there.', 8000, 'u-law');
    const scn = scenarioFile('uac-agent-fails', scenario('uac-agent-fails', `${invite()}${expectAnswer}  <nop><action><exec rtp_stream="${wav},-1,0"/></action></nop>
${byeFromGateway}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.logs().some((l) => l.event === 'agent_failed')).toBe(true);
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 30_000);
});

describe('transports', () => {
  it('takes a call over TCP', async () => {
    gw = await startTestGateway();
    const scn = scenarioFile('uac-tcp', scenario('uac-tcp', `${invite()}${expectAnswer}${pause(300)}${byeFromCaller()}`));
    const r = await sipp(gw, scn, ['-t', 't1']);
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'caller' });
  }, 30_000);
});

describe('delayed offer', () => {
  it('answers an INVITE without SDP with an offer in the 200 OK and takes the answer from the ACK', async () => {
    gw = await startTestGateway({ trunk: { codecs: ['PCMA', 'PCMU'] } });
    const noSdp = invite({}, '').replace('      Content-Type: application/sdp\n', '');
    const ackWithAnswer = expectAnswer.replace('      Content-Length: 0', '      Content-Type: application/sdp\n      Content-Length: [len]\n\n' +
      sdp('m=audio [media_port] RTP/AVP 8\na=rtpmap:8 PCMA/8000').split('\n').map((l) => `      ${l}`).join('\n'));
    const scn = scenarioFile('uac-delayed-offer', scenario('uac-delayed-offer', `${noSdp}${ackWithAnswer}${pause(500)}${byeFromCaller()}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_answered')).toMatchObject({ codec: 'PCMA', offer: 'delayed' });
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'caller' });
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 30_000);
});

describe('what the agent is told at start (CallInfo)', () => {
  it.each(['early', 'delayed'] as const)('on a %s-offer call: the trunk\'s custom parameters, then the agent\'s own scalar settings', async (offer) => {
    gw = await startTestGateway({
      agent: 'rec',
      agents: { rec: { type: 'module', module: fixture('recorder-agent.ts'), settings: { lang: 'hi', campaign: 'agent-default', retries: 2 } } },
      trunk: { custom_parameters: { campaign: 'diwali' } },
    });
    const steps = offer === 'early'
      ? `${invite()}${expectAnswer}`
      : `${invite({}, '').replace('      Content-Type: application/sdp\n', '')}${expectAnswer.replace('      Content-Length: 0', '      Content-Type: application/sdp\n      Content-Length: [len]\n\n' +
        sdp().split('\n').map((l) => `      ${l}`).join('\n'))}`;
    const scn = scenarioFile(`uac-callinfo-${offer}`, scenario(`uac-callinfo-${offer}`, `${steps}${pause(500)}${byeFromCaller()}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    const callId = gw.logs().find((l) => l.event === 'call_answered')!.callId as string;
    expect(records().get(callId)?.call.customParameters).toEqual({ campaign: 'diwali', lang: 'hi', retries: '2' });
  }, 30_000);
});

describe('early media', () => {
  it('sends 183 Session Progress with the SDP answer before the 200 when the trunk asks for it', async () => {
    gw = await startTestGateway({ trunk: { early_media: true } });
    const scn = scenarioFile('uac-expect-183', scenario('uac-expect-183', `${invite()}  <recv response="100" optional="true"/>
  <recv response="183">
    <action><ereg regexp="m=audio [0-9]+ RTP/AVP 0" search_in="body" check_it="true" assign_to="m"/><log message="[$m]"/></action>
  </recv>
${expectAnswer.replace('<recv response="183" optional="true"/>\n', '')}${pause(200)}${byeFromCaller()}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
  }, 30_000);
});

describe('call admission', () => {
  it('answers 488 when no codec is common and allocates nothing', async () => {
    gw = await startTestGateway({ trunk: { codecs: ['PCMU', 'PCMA'] } });
    const scn = scenarioFile('uac-expect-488', scenario('uac-expect-488', `${invite({ sdpMedia: 'm=audio [media_port] RTP/AVP 3\na=rtpmap:3 GSM/8000' })}  <recv response="100" optional="true"/>
  <recv response="488"/>
${ackFor488}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    expect(gw.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
    expect(gw.logs().some((l) => l.event === 'call_refused' && l.reason === 'no_common_codec')).toBe(true);
  }, 30_000);

  it('answers CANCEL before the answer with 487 and tears the half-built call down', async () => {
    gw = await startTestGateway({ agent: 'slow', agents: { slow: { type: 'module', module: fixture('slow-start-agent.ts'), settings: { delay_ms: 3000 } } } });
    const scn = scenarioFile('uac-cancel-expect-487', scenario('uac-cancel', `${invite()}  <recv response="100" optional="true"/>
  <recv response="180"/>
${cancel}  <recv response="200"/>
  <recv response="487"/>
${ackFor487}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0, pendingCalls: 0 });
  }, 30_000);

  it('answers OPTIONS from the carrier with 200', async () => {
    gw = await startTestGateway();
    const scn = scenarioFile('uac-options', scenario('uac-options', `  <send retrans="500">
    <![CDATA[
      OPTIONS sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
  }, 30_000);

  it('answers 503 with Retry-After once the trunk carries max_calls calls', async () => {
    gw = await startTestGateway({ trunk: { max_calls: 1 } });
    const long = scenarioFile('uac-hold-line', scenario('uac-hold-line', `${invite()}${expectAnswer}${pause(4000)}${byeFromCaller()}`));
    const first = sipp(gw, long);
    await gw.waitFor(() => gw!.proc.gateway.stats().activeCalls === 1);
    const second = scenarioFile('uac-expect-503', scenario('uac-expect-503', `${invite()}  <recv response="100" optional="true"/>
  <recv response="503">
    <action><ereg regexp="[Rr][Ee][Tt][Rr][Yy]-[Aa][Ff][Tt][Ee][Rr]: *[0-9]+" search_in="msg" check_it="true" assign_to="ra"/><log message="Retry-After [$ra]"/></action>
  </recv>
${ackFor503}`));
    const r2 = await sipp(gw, second);
    expect(r2.code, r2.errors).toBe(0);
    expect((await first).code).toBe(0);
  }, 40_000);
});

/** ACK for a non-2xx final response: same branch as the INVITE (RFC 3261 §17.1.1.3), `back` messages earlier. */
const ackFor488 = ackForNonSuccess(3);
const ackFor487 = ackForNonSuccess(6);
const ackFor503 = ackForNonSuccess(3);
const cancel = `  <send>
    <![CDATA[
      CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
      From: sipp <sip:+919000000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
`;
