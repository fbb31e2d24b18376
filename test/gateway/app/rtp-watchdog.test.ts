/**
 * Dead calls (issue 15 item 5): a SIPp caller that answers and then sends no RTP and never a BYE
 * is ended by the gateway after media.rtp_timeout_s (hold_timeout_s while it holds the call):
 * BYE with a Reason header, call_end with endCause, the metric counts it, and the trunk channel
 * is free again (a new call is admitted at max_calls: 1).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCENARIO_DIR } from '../../../src/loadtest/peers.js';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { runSippCaller, TRANSFER_AGENT } from '../transfer/helpers.js';
import { ackFor, byeFromCaller, byeFromGateway, expectAnswer, inDialog, invite, pause, scenario, scenarioFile, sdp } from '../helpers/scenarios.js';

let gw: TestGateway | undefined;
afterEach(async () => { await gw?.stop(); gw = undefined; });

async function sipp(g: TestGateway, scn: string) {
  return runSipp({ args: ['-sf', scn, `127.0.0.1:${g.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'], timeoutMs: 60_000 });
}

/** The gateway's BYE must carry a Reason (RFC 3326) saying no RTP came. */
const byeForSilence = byeFromGateway.replace('<recv request="BYE"/>', `<recv request="BYE">
    <action><ereg regexp="[Rr]eason: *SIP;cause=[0-9]+;text=.no RTP from the caller" search_in="msg" check_it="true" assign_to="why"/></action>
  </recv>`) + '  <Reference variables="why"/>\n';

const silentCaller = scenarioFile('uac-answer-no-media-expect-bye', scenario('uac-answer-no-media-expect-bye', `${invite()}${expectAnswer}${byeForSilence}`));

const WAV = join(SCENARIO_DIR, 'media', 'hello-pcmu.wav');
const talkingCaller = scenarioFile('uac-talk-2s-expect-200', scenario('uac-talk-2s-expect-200', `${invite()}${expectAnswer}  <nop><action><exec rtp_stream="${WAV},-1,0"/></action></nop>
${pause(2000)}  <nop><action><exec rtp_stream="pause"/></action></nop>
${byeFromCaller()}`));

const holdingCaller = scenarioFile('uac-hold-no-media-expect-bye', scenario('uac-hold-no-media-expect-bye', `${invite()}${expectAnswer}${inDialog('INVITE', 2, sdp(undefined, 'inactive', 2))}  <recv response="100" optional="true"/>
  <recv response="200"/>
${ackFor(2)}${byeFromGateway}`));

describe('RTP timeout (media.rtp_timeout_s, media.hold_timeout_s)', () => {
  it('a caller that sends no RTP and no BYE is ended (BYE with Reason, call_end endCause rtp_timeout, metric); the channel is free for the next call at max_calls: 1, which talks and is not cut', async () => {
    gw = await startTestGateway({ trunk: { max_calls: 1 }, media: { rtp_timeout_s: 1 } });
    const silent = sipp(gw, silentCaller);
    await gw.waitFor(() => gw!.proc.gateway.stats().activeCalls === 1);
    expect(gw.proc.gateway.app.readiness('test').reasons).toEqual(['at_capacity']);
    const r = await silent;
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'gateway', endCause: 'rtp_timeout', packetsIn: 0 });
    const text = await gw.proc.gateway.metrics.registry.metrics();
    expect(text).toMatch(/^trunkgate_gateway_hangups_total\{cause="rtp_timeout"\} 1$/m);

    const next = await sipp(gw, talkingCaller);
    expect(next.code, next.errors).toBe(0);
    await gw.waitIdle();
    const ends = gw.logs().filter((l) => l.event === 'call_end');
    expect(ends).toHaveLength(2);
    expect(ends[1]).toMatchObject({ hangupBy: 'caller' });
    expect(ends[1]!.endCause).toBeUndefined();
  }, 60_000);

  it('a caller that holds the call (a=inactive) is given hold_timeout_s, not rtp_timeout_s: call_end says hold_timeout', async () => {
    gw = await startTestGateway({ media: { rtp_timeout_s: 1, hold_timeout_s: 2 } });
    const r = await sipp(gw, holdingCaller);
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.logs().some((l) => l.event === 'hold')).toBe(true);
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'gateway', endCause: 'hold_timeout' });
  }, 60_000);

  it('rtp_timeout_s: 0 watches nothing', async () => {
    gw = await startTestGateway({ media: { rtp_timeout_s: 0, hold_timeout_s: 0 } });
    const hold = scenarioFile('uac-silent-2s', scenario('uac-silent-2s', `${invite()}${expectAnswer}${pause(2000)}${byeFromCaller()}`));
    const r = await sipp(gw, hold);
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'caller' });
  }, 60_000);
});

/** A human who answers the bridged leg and then sends no RTP and no BYE; the gateway's BYE must say why. */
const silentHuman = scenarioFile('uas-answer-no-media-expect-bye', scenario('uas-answer-no-media-expect-bye', `  <recv request="INVITE" crlf="true"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:human@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=human 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv request="ACK"/>
  <recv request="BYE">
    <action><ereg regexp="[Rr]eason: *SIP;cause=[0-9]+;text=.no RTP from the bridged human leg" search_in="msg" check_it="true" assign_to="why"/></action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <Reference variables="why"/>
`));

describe('RTP timeout of a bridged human leg (no agent left)', () => {
  it('a human who answers the bridge and then sends no RTP is hung up with the caller (endCause human_rtp_timeout) while the caller still talks', async () => {
    const humanPort = await freePort();
    const human = runSipp({ args: ['-sf', silentHuman, '-i', '127.0.0.1', '-p', String(humanPort), '-mp', String(await sippMediaPort()), '-m', '1'], timeoutMs: 60_000 });
    await human.listening();
    gw = await startTestGateway({
      trunk: { codecs: ['PCMU'], transfer: { method: 'bridge' }, routes: [{ pattern: '*', agent: 'xfer' }] },
      agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: `sip:human@127.0.0.1:${humanPort}`, after_ms: 200 } } },
      media: { rtp_timeout_s: 2 },
    });
    // The caller streams speech until the gateway's BYE (sipp-scenarios/uac-expect-bye.xml).
    const caller = await runSippCaller('uac-expect-bye.xml', gw.sipPort);
    expect(caller.code, caller.errors).toBe(0);
    const h = await human;
    expect(h.code, h.errors).toBe(0);
    await gw.waitIdle();
    const end = gw.logs().find((l) => l.event === 'call_end')!;
    expect(end).toMatchObject({ hangupBy: 'gateway', endCause: 'human_rtp_timeout', transfer: { result: 'transferred' } });
    expect(end.packetsIn as number).toBeGreaterThan(0);
  }, 60_000);
});
