/**
 * An anchored call's SDP always goes through rtpengine, whichever side offers: a delayed-offer
 * INVITE (our offer goes out through rtpengine), the caller's re-INVITEs (hold, unhold), and
 * codecs rtpengine transcodes. The caller must only ever see rtpengine's ports.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/agents/builtin/wav.js';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { startRtpengine, type RtpengineDaemon } from '../../helpers/rtpengine.js';
import { runSipp } from '../../helpers/sipp.js';
import { median, speechWav, windowedCorrelation } from '../helpers/audio.js';
import { baresipCall } from '../helpers/baresip-call.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackFor, byeFromCaller, inDialog, invite, pause, scenario, scenarioFile, sdp } from '../helpers/scenarios.js';

let daemon: RtpengineDaemon;
beforeAll(async () => { daemon = await startRtpengine(); });
afterAll(async () => { await daemon?.stop(); });
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

const PCMA = 'm=audio [media_port] RTP/AVP 8\na=rtpmap:8 PCMA/8000\na=ptime:20';
const pcap = fileURLToPath(new URL('../../../sipp-scenarios/media/g711a.pcap', import.meta.url));
const play = `  <nop><action><exec play_pcap_audio="${pcap}"/></action></nop>\n`;

/** A response whose SDP's m= port and direction SIPp logs as `port=<n> dir=<direction>` (-trace_logs). */
const expect200Logged = (label: string): string => `  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true">
    <action>
      <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="m,port"/>
      <ereg regexp="a=(sendrecv|sendonly|recvonly|inactive)" search_in="body" check_it="true" assign_to="d,dir"/>
      <log message="${label} port=[$port] dir=[$dir]"/>
    </action>
  </recv>
`;

/** The INVITE's ACK carrying the caller's answer (delayed offer, RFC 3264 §4). */
const ackWithAnswer = `  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:+919000000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

${sdp(PCMA).split('\n').map((l) => `      ${l}`).join('\n')}
    ]]>
  </send>
`;

/** What SIPp logged of each 200 OK (its -trace_logs file, in the run's directory). */
function loggedAnswers(dir: string): { label: string; port: number; dir: string }[] {
  return readdirSync(dir).filter((f) => f.endsWith('_logs.log'))
    .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/^(\w+) port=(\d+) dir=(\w+)/gm)].map((m) => ({ label: m[1]!, port: Number(m[2]), dir: m[3]! })));
}

describe('an anchored call\'s offers and answers all pass through rtpengine', () => {
  it.each(['early', 'delayed'] as const)('%s offer, then the caller holds and resumes: every SDP the caller gets names an rtpengine port, hold is recvonly, audio reaches the agent', async (offer) => {
    gw = await startTestGateway({ trunk: { codecs: ['PCMA'] }, media: { anchor: 'rtpengine', rtpengine: { ng: [daemon.ng] } } });
    const name = `rtpengine-offers-${offer}`;
    const setup = offer === 'early'
      ? `${invite({ sdpMedia: PCMA })}${expect200Logged('answer')}${ackFor(1)}`
      : `${invite({}, '').replace('      Content-Type: application/sdp\n', '')}${expect200Logged('offer')}${ackWithAnswer}`;
    const hold = `${inDialog('INVITE', 2, sdp(PCMA, 'sendonly', 2))}${expect200Logged('hold')}${ackFor(2)}`;
    const unhold = `${inDialog('INVITE', 3, sdp(PCMA, 'sendrecv', 3))}${expect200Logged('unhold')}${ackFor(3)}`;
    const scn = scenarioFile(name, scenario(name, `${setup}${play}${pause(2500)}${hold}${pause(300)}${unhold}${play}${pause(2500)}${byeFromCaller(4)}`));
    const sipPort = await freePort();
    const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(sipPort), '-mp', String(await sippMediaPort()), '-m', '1', '-trace_logs'], timeoutMs: 40_000 });
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();

    const answers = loggedAnswers(r.dir);
    expect(answers.map((a) => [a.label, a.dir])).toEqual([[offer === 'early' ? 'answer' : 'offer', 'sendrecv'], ['hold', 'recvonly'], ['unhold', 'sendrecv']]);
    for (const a of answers) expect(a.port >= daemon.ports.min && a.port <= daemon.ports.max, `${a.label} port ${a.port} not rtpengine's ${JSON.stringify(daemon.ports)}`).toBe(true);

    const events = gw.logs().map((l) => l.event).filter((e) => e === 'hold' || e === 'unhold');
    expect(events).toEqual(['hold', 'unhold']);
    const end = gw.logs().find((l) => l.event === 'call_end') as { packetsIn: number; rtpengine?: { rtp: { packets: number } } };
    // Two plays of a 7 s, 236-packet pcap, cut by the BYE after 2.5 s each: ≥ 100 packets reached our session through rtpengine.
    expect(end.packetsIn).toBeGreaterThanOrEqual(100);
    expect(end.rtpengine!.rtp.packets).toBeGreaterThanOrEqual(end.packetsIn);
    if (offer === 'delayed') expect(gw.logs().find((l) => l.event === 'call_answered')).toMatchObject({ offer: 'delayed', codec: 'PCMA' });
  }, 60_000);

  it('rtpengine transcodes what the trunk does not speak: a G.722-only caller on a PCMU-only trunk is answered (488 without `transcode`) and hears its echo', async () => {
    const source = speechWav('anchor-g722', 'Transcoded in rtpengine. One two three four five six seven.', 16000, 'signed-integer', 2);
    // Without transcoding there is no codec in common.
    gw = await startTestGateway({ trunk: { codecs: ['PCMU'] }, media: { anchor: 'rtpengine', rtpengine: { ng: [daemon.ng] } } });
    const refused = await baresipCall(`sip:919876543210@127.0.0.1:${gw.sipPort}`, source, 'G722/16000/1', undefined, 3);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_refused'), refused.output).toMatchObject({ status: 488 });
    await gw.stop();

    gw = await startTestGateway({ trunk: { codecs: ['PCMU'] }, media: { anchor: 'rtpengine', rtpengine: { ng: [daemon.ng], transcode: ['PCMU'] } } });
    const r = await baresipCall(`sip:919876543210@127.0.0.1:${gw.sipPort}`, source, 'G722/16000/1', undefined, 12);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_answered'), r.output).toMatchObject({ codec: 'PCMU' });
    expect(r.output).toMatch(/G722/);
    const rec = readdirSync(join(r.dir, 'rec')).find((f) => f.endsWith('-dec.wav'));
    expect(rec, r.output).toBeDefined();
    const heard = readWav(readFileSync(join(r.dir, 'rec', rec!)));
    const sent = readWav(readFileSync(source));
    expect(heard.sampleRate).toBe(16000);
    const windows = windowedCorrelation(sent.samples, heard.samples, 2000, 16000 * 2);
    expect(windows.length).toBeGreaterThanOrEqual(4);
    // G.722 → PCMU (narrowband) → G.722: the echo keeps the speech band, not the 4–8 kHz band.
    expect(median(windows.map((w) => w.ncc)), JSON.stringify(windows.map((w) => Math.round(w.ncc * 1000) / 1000))).toBeGreaterThanOrEqual(0.8);
  }, 90_000);

  it('a REFER from the carrier: the new party is offered rtpengine\'s address in its own rtpengine call, the old one is deleted, and its audio goes through rtpengine', async () => {
    const scenarios = fileURLToPath(new URL('../../../sipp-scenarios/', import.meta.url));
    const deskPort = await freePort();
    const desk = runSipp({ args: ['-sf', join(scenarios, 'uas-answer-talk-hang-up.xml'), '-i', '127.0.0.1', '-p', String(deskPort), '-mp', String(await sippMediaPort()), '-m', '1'], cwd: scenarios, timeoutMs: 60_000 });
    await desk.listening();
    // Where our media engine sends, per destination port.
    const sentTo = new Map<number, number>();
    gw = await startTestGateway({
      trunk: { codecs: ['PCMU'], accept_refer: { allow: ['desk'] } },
      media: { anchor: 'rtpengine', rtpengine: { ng: [daemon.ng] } },
      extra: { transfer_targets: { desk: { uri: `sip:desk@127.0.0.1:${deskPort}` } } },
      mediaTap: () => (dir, _pkt, peer) => { if (dir === 'out') sentTo.set(peer.port, (sentTo.get(peer.port) ?? 0) + 1); },
    });
    const carrier = await runSipp({
      args: ['-sf', join(scenarios, 'uac-send-refer-expect-notify-200.xml'), `127.0.0.1:${gw.sipPort}`, '-s', '15551234567', '-i', '127.0.0.1', '-p', String(await freePort()),
        '-mp', String(await sippMediaPort()), '-m', '1', '-set', 'refer_target', `sip:desk@127.0.0.1:${deskPort}`],
      cwd: scenarios, timeoutMs: 60_000,
    });
    expect(carrier.code, carrier.errors).toBe(0);
    const d = await desk;
    expect(d.code, d.errors).toBe(0);
    await gw.waitIdle();
    const anchored = gw.logs().find((l) => l.event === 'refer_anchored') as { anchorId: string; rtpengine?: { rtp: { packets: number } } } | undefined;
    expect(anchored?.anchorId).toMatch(/-refer\d+$/);
    // The old party's rtpengine call was deleted with its counters.
    expect(anchored!.rtpengine).toBeDefined();
    const end = gw.logs().find((l) => l.event === 'call_end') as { hangupBy: string; rtpengine?: { rtp: { packets: number } } };
    expect(end).toMatchObject({ hangupBy: 'caller' });
    // The desk talks for 3 s and hears the echo: both through the new rtpengine call (≈ 50 packets/s each way).
    expect(end.rtpengine!.rtp.packets).toBeGreaterThanOrEqual(200);
    // Our engine only ever sent to rtpengine's ports.
    expect([...sentTo.keys()].every((p) => p >= daemon.ports.min && p <= daemon.ports.max), JSON.stringify([...sentTo])).toBe(true);
  }, 60_000);
});
