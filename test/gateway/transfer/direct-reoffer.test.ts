/**
 * Once a transfer moved the media off trunkgate (transfer.media: direct), a re-INVITE from the
 * caller (hold) is the human's to answer: the gateway passes it on (RFC 3264 §8) and the caller
 * gets the human's answer — straight, or through rtpengine when the call is anchored.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { startRtpengine, type RtpengineDaemon } from '../../helpers/rtpengine.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackFor, byeFromCaller, expectAnswer, inDialog, invite, pause, scenario, scenarioFile, sdp } from '../helpers/scenarios.js';
import { startSippHuman, TRANSFER_AGENT, type SippPeer } from './helpers.js';

let daemon: RtpengineDaemon;
beforeAll(async () => { daemon = await startRtpengine(); });
afterAll(async () => { await daemon?.stop(); });
let gw: TestGateway | undefined;
let human: SippPeer | undefined;
afterEach(async () => {
  human?.kill();
  human = undefined;
  await gw?.stop();
  gw = undefined;
});

/** The gateway's re-INVITE moving the caller to the human (direct, not anchored): answered with SIPp's own SDP. */
const acceptReinvite = `  <recv request="INVITE" timeout="30000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

${sdp().split('\n').map((l) => `      ${l}`).join('\n')}
    ]]>
  </send>
  <recv request="ACK"/>
`;

const holdAnswerLogged = `  <recv response="100" optional="true"/>
  <recv response="200">
    <action>
      <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="dummy,port"/>
      <ereg regexp="a=(sendrecv|sendonly|recvonly|inactive)" search_in="body" check_it="true" assign_to="dummy,dir"/>
      <log message="hold port=[$port] dir=[$dir]"/>
    </action>
  </recv>
`;

describe('a caller re-INVITE after the media moved to the human', () => {
  it.each(['direct', 'anchored'] as const)('%s: passed on to the human, whose recvonly answer (its port, or rtpengine\'s) the caller gets', async (mode) => {
    human = await startSippHuman('uas-human-agent-echo.xml', ['-rtp_echo']);
    gw = await startTestGateway({
      trunk: { codecs: ['PCMU'], transfer: { method: 'bridge', media: 'direct' }, routes: [{ pattern: '*', agent: 'xfer' }] },
      agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: human.uri, after_ms: 100 } } },
      ...(mode === 'anchored' ? { media: { anchor: 'rtpengine', rtpengine: { ng: [daemon.ng] } } } : {}),
    });
    // Direct: the caller is re-INVITEd to the human first (the hand-over); anchored: it sees nothing, and waits.
    // Either way the hold comes seconds after the hand-over, which takes milliseconds here.
    const handOver = mode === 'direct' ? `${acceptReinvite}${pause(2000)}` : pause(4000);
    const name = `direct-reoffer-${mode}`;
    const scn = scenarioFile(name, scenario(name, `${invite()}${expectAnswer}${handOver}${inDialog('INVITE', 2, sdp(undefined, 'sendonly', 3))}${holdAnswerLogged}${ackFor(2)}${pause(300)}${byeFromCaller(3)}`));
    const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1', '-trace_logs'], timeoutMs: 40_000 });
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    const logged = readdirSync(r.dir).filter((f) => f.endsWith('_logs.log')).map((f) => readFileSync(join(r.dir, f), 'utf8')).join('');
    const m = /hold port=(\d+) dir=(\w+)/.exec(logged);
    expect(m, logged).not.toBeNull();
    expect(m![2]).toBe('recvonly');
    const port = Number(m![1]);
    if (mode === 'direct') expect(port).toBe(human.mediaPort);
    else expect(port >= daemon.ports.min && port <= daemon.ports.max, `port ${port}`).toBe(true);
    const events = gw.logs().map((l) => l.event);
    expect(events.indexOf('media_offloaded')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('reinvite_forwarded')).toBeGreaterThan(events.indexOf('media_offloaded'));
    expect(gw.logs().find((l) => l.event === 'reinvite_forwarded')).toMatchObject({ to: 'human', via: mode === 'direct' ? 'direct' : 'rtpengine' });
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'caller', transfer: { result: 'transferred' } });
  }, 60_000);
});
