import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { records } from '../fixtures/recorder-agent.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackFor, byeFromCaller, expectAnswer, inDialog, invite, pause, scenario, scenarioFile, sdp } from '../helpers/scenarios.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function sipp(target: TestGateway, scn: string, extra: string[] = []) {
  const port = await freePort();
  const mediaPort = await sippMediaPort();
  return runSipp({ args: ['-sf', scn, `127.0.0.1:${target.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', '1', ...extra], timeoutMs: 40_000 });
}

const ok200WithSdp = `  <send>
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

${sdp(undefined, 'sendrecv', 1).split('\n').map((l) => `      ${l}`).join('\n')}
    ]]>
  </send>
`;

/** The 200 must carry the SDP direction we expect (RFC 3264 §8.4). */
const expect200With = (direction: string): string => `  <recv response="100" optional="true"/>
  <recv response="200">
    <action><ereg regexp="a=${direction}" search_in="body" check_it="true" assign_to="dir"/><log message="[$dir]"/></action>
  </recv>
`;

describe('re-INVITEs inside a call', () => {
  it('hold (sendonly) and unhold (sendrecv) keep the call and are answered recvonly / sendrecv', async () => {
    gw = await startTestGateway();
    const hold = inDialog('INVITE', 2, sdp(undefined, 'sendonly', 2));
    const unhold = inDialog('INVITE', 3, sdp(undefined, 'sendrecv', 3));
    const scn = scenarioFile('uac-hold-unhold', scenario('uac-hold-unhold', `${invite()}${expectAnswer}${pause(300)}${hold}${expect200With('recvonly')}${ackFor(2)}${pause(500)}${unhold}${expect200With('sendrecv')}${ackFor(3)}${pause(300)}${byeFromCaller(4)}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle(); // SIPp is done once its BYE is answered; call_end is logged after the media closes
    const events = gw.logs().map((l) => l.event).filter((e) => e === 'hold' || e === 'unhold' || e === 'call_end');
    expect(events).toEqual(['hold', 'unhold', 'call_end']);
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'caller' });
  }, 40_000);

  it('refreshes the session itself (RFC 4028, refresher=uas) before Session-Expires runs out', async () => {
    gw = await startTestGateway({ extra: { session_timers: { enabled: true, session_expires: 2, min_se: 1 } } });
    const scn = scenarioFile('uac-session-refresh', scenario('uac-session-refresh', `${invite({ extraHeaders: 'Supported: timer\nSession-Expires: 2;refresher=uas\nMin-SE: 1' })}${expectAnswer}  <recv request="INVITE" timeout="5000">
    <action><ereg regexp="[Ss]ession-[Ee]xpires: *2" search_in="msg" check_it="true" assign_to="se"/><log message="[$se]"/></action>
  </recv>
${ok200WithSdp}  <recv request="ACK"/>
${pause(200)}${byeFromCaller()}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    expect(gw.logs().some((l) => l.event === 'session_refreshed')).toBe(true);
  }, 40_000);

  it('a re-INVITE with a new media port moves the media there and keeps the call', async () => {
    gw = await startTestGateway();
    const moved = sdp('m=audio [media_port+2] RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\na=ptime:20', 'sendrecv', 2);
    const scn = scenarioFile('uac-move-media', scenario('uac-move-media', `${invite()}${expectAnswer}${pause(300)}${inDialog('INVITE', 2, moved)}${expect200With('sendrecv')}${ackFor(2)}${pause(300)}${byeFromCaller(3)}`));
    const mediaPort = await sippMediaPort();
    const r = await sipp(gw, scn, ['-mp', String(mediaPort)]);
    expect(r.code, r.errors).toBe(0);
    const moveLog = gw.logs().find((l) => l.event === 'reinvite') as { remote?: { port: number } } | undefined;
    expect(moveLog?.remote?.port).toBe(mediaPort + 2);
  }, 40_000);

  it('answers an UPDATE session refresh from the caller with 200 and Session-Expires', async () => {
    gw = await startTestGateway({ extra: { session_timers: { enabled: true, session_expires: 300, min_se: 90 } } });
    const update = inDialog('UPDATE', 2, undefined, 'Supported: timer\nSession-Expires: 300;refresher=uac');
    const scn = scenarioFile('uac-update-refresh', scenario('uac-update-refresh', `${invite({ extraHeaders: 'Supported: timer\nSession-Expires: 300;refresher=uac' })}${expectAnswer}${pause(200)}${update}  <recv response="200">
    <action><ereg regexp="[Ss]ession-[Ee]xpires: *300;refresher=uac" search_in="msg" check_it="true" assign_to="se"/><log message="[$se]"/></action>
  </recv>
${pause(200)}${byeFromCaller(3)}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
  }, 40_000);

  it('rejects a Session-Expires below Min-SE with 422 (RFC 4028 §9)', async () => {
    gw = await startTestGateway({ extra: { session_timers: { enabled: true, session_expires: 1800, min_se: 90 } } });
    const scn = scenarioFile('uac-expect-422', scenario('uac-expect-422', `${invite({ extraHeaders: 'Supported: timer\nSession-Expires: 30' })}  <recv response="100" optional="true"/>
  <recv response="422"/>
`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
  }, 30_000);
});

describe('DTMF from the caller', () => {
  it('RFC 2833 events replayed from SIPp pcaps reach the agent as the right digits', async () => {
    gw = await startTestGateway({ agent: 'rec', agents: { rec: { type: 'module', module: fixture('recorder-agent.ts') } } });
    const play = (d: string): string => `  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_${d}.pcap"/></action></nop>
${pause(700)}`;
    const scn = scenarioFile('uac-dtmf', scenario('uac-dtmf', `${invite()}${expectAnswer}${pause(300)}${play('1')}${play('5')}${play('pound')}${byeFromCaller()}`));
    const r = await sipp(gw, scn);
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    const callId = gw.logs().find((l) => l.event === 'call_answered')!.callId as string;
    expect(records().get(callId)?.digits).toEqual(['1', '5', '#']);
  }, 40_000);
});
