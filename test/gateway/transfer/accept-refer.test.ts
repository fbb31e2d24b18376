/**
 * A REFER from the trunk's side (RFC 3515 §2.4): the carrier (a real SIPp UAC) transfers the call
 * it placed to someone else, and the gateway is the transferee. Allowed targets (the trunk's
 * `accept_refer.allow`) get 202, NOTIFY sipfrags with the new leg's progress, and the call goes on
 * with the new party (a SIPp UAS) — the agent's audio reaches it. Anything else is 403 and no INVITE
 * leaves the gateway (toll fraud). Every wait is for SIPp's exit or a log line with the call's Call-ID.
 */
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp, type SippResult } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.js';

const SCENARIOS = fileURLToPath(new URL('../../../sipp-scenarios/', import.meta.url));

let gw: TestGateway | undefined;
let sock: Socket | undefined;
const peers: (Promise<SippResult> & { kill(): void })[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.kill();
  sock?.close();
  sock = undefined;
  await gw?.stop();
  gw = undefined;
});

async function carrier(g: TestGateway, scenario: string, referTarget: string): Promise<SippResult> {
  const port = await freePort();
  const media = await sippMediaPort();
  return runSipp({
    args: ['-sf', join(SCENARIOS, scenario), `127.0.0.1:${g.sipPort}`, '-s', '15551234567', '-i', '127.0.0.1', '-p', String(port), '-mp', String(media), '-m', '1', '-set', 'refer_target', referTarget],
    cwd: SCENARIOS, timeoutMs: 60_000,
  });
}

const callIdOf = (g: TestGateway): string | undefined => g.logs().find((l) => l.event === 'call_answered')?.callId as string | undefined;
const eventsOf = (g: TestGateway, event: string): Record<string, unknown>[] => g.logs().filter((l) => l.event === event && l.callId === callIdOf(g));

/** PCMU silence encodes to 0xFF (and 0x7F): a payload with other bytes carries sound. */
const audible = (payload: Buffer): boolean => payload.some((b) => b !== 0xff && b !== 0x7f);

describe('a REFER from the trunk (the gateway is the transferee)', () => {
  /** The new party: a SIPp UAS that answers, talks for 3 s and hangs up; RTP the gateway sends to it is kept. */
  async function newParty(): Promise<{ port: number; media: number; heard: Buffer[]; done: Promise<SippResult> }> {
    const port = await freePort();
    const media = await sippMediaPort();
    const done = runSipp({ args: ['-sf', join(SCENARIOS, 'uas-answer-talk-hang-up.xml'), '-i', '127.0.0.1', '-p', String(port), '-mp', String(media), '-m', '1'], cwd: SCENARIOS, timeoutMs: 60_000 });
    peers.push(done);
    return { port, media, heard: [], done };
  }
  const tapTo = (party: { media: number; heard: Buffer[] }): TestGatewayOptions['mediaTap'] => () => (dir, pkt, peer) => {
    if (dir === 'out' && peer.port === party.media && pkt.length > 12 && (pkt[1]! & 0x7f) === 0) party.heard.push(Buffer.from(pkt.subarray(12)));
  };

  async function expectCallMovedTo(g: TestGateway, party: { heard: Buffer[]; done: Promise<SippResult> }, caller: SippResult): Promise<void> {
    expect(caller.code, caller.errors).toBe(0);
    const d = await party.done;
    expect(d.code, d.errors).toBe(0);
    await g.waitFor(() => eventsOf(g, 'call_end').length === 1);
    expect(eventsOf(g, 'refer_accepted')).toHaveLength(1);
    expect(eventsOf(g, 'refer_completed')).toHaveLength(1);
    expect(eventsOf(g, 'refer_old_leg_ended')).toHaveLength(1);
    // the new party's BYE ends the call: it is the call's leg now
    expect(eventsOf(g, 'call_end')[0]).toMatchObject({ hangupBy: 'caller', answered: true });
    // 3 s of the new party talking, echoed by the agent 200 ms later: well over 1 s of sound reached it
    expect(party.heard.filter(audible).length).toBeGreaterThan(50);
    await g.waitIdle();
    expect(g.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
  }

  it('to a transfer target accept_refer allows: 202, NOTIFY 100 … 200 terminated, the new leg replaces the old, and the agent\'s audio reaches the new party', async () => {
    const desk = await newParty();
    // the echo agent sends back what it hears: once the desk talks, the desk hears itself
    gw = await startTestGateway({
      trunk: { accept_refer: { allow: ['desk'] } },
      extra: { transfer_targets: { desk: { uri: `sip:desk@127.0.0.1:${desk.port}` } } },
      mediaTap: tapTo(desk),
    });
    await expectCallMovedTo(gw, desk, await carrier(gw, 'uac-send-refer-expect-notify-200.xml', `sip:desk@127.0.0.1:${desk.port}`));
  }, 60_000);

  it('to a number a number pattern allows: called through the trunk\'s outbound proxy, never at the host the REFER names', async () => {
    const proxy = await newParty();
    sock = createSocket('udp4');
    const named: Buffer[] = [];
    sock.on('message', (m) => named.push(m));
    const port = await freePort();
    await new Promise<void>((r) => sock!.bind(port, '127.0.0.1', () => r()));
    gw = await startTestGateway({
      trunk: { accept_refer: { allow: ['+9180*'] }, outbound: { proxy: `127.0.0.1:${proxy.port}` } },
      mediaTap: tapTo(proxy),
    });
    await expectCallMovedTo(gw, proxy, await carrier(gw, 'uac-send-refer-expect-notify-200.xml', `sip:+918001234567@127.0.0.1:${port}`));
    expect(named).toHaveLength(0);
  }, 60_000);

  it('to an allowed target who is busy: the final NOTIFY carries 486, and the call stays with the agent on the old leg (answered; a re-INVITE on it is answered)', async () => {
    const port = await freePort();
    const busy = runSipp({ args: ['-sf', fileURLToPath(new URL('../../drachtio/scenarios/uas-reply-486.xml', import.meta.url)), '-i', '127.0.0.1', '-p', String(port), '-m', '1'], timeoutMs: 60_000 });
    peers.push(busy);
    gw = await startTestGateway({ trunk: { accept_refer: { allow: ['desk'] } }, extra: { transfer_targets: { desk: { uri: `sip:desk@127.0.0.1:${port}` } } } });
    const g = gw;
    const r = carrier(g, 'uac-send-refer-expect-notify-486.xml', `sip:desk@127.0.0.1:${port}`);
    // the carrier re-INVITEs once it has the final NOTIFY: the call is still on its dialog
    await g.waitFor(() => eventsOf(g, 'reinvite').length === 1);
    expect(eventsOf(g, 'refer_target_failed')).toMatchObject([{ status: 486 }]);
    const b = await busy;
    expect(b.code, b.errors).toBe(0);
    const call = g.proc.gateway.app.calls.get(callIdOf(g)!)!;
    expect(call.state).toBe('answered');
    expect(call.agent).toBeDefined();
    // the carrier still has its leg: the gateway's BYE reaches it on the original dialog
    void call.end('gateway', 'test over');
    const done = await r;
    expect(done.code, done.errors).toBe(0);
    await g.waitFor(() => eventsOf(g, 'call_end').length === 1);
    expect(eventsOf(g, 'refer_completed')).toHaveLength(0);
  }, 60_000);

  it.each([
    ['no accept_refer (default: none allowed)', {}],
    ['an allow list the target is not on', { accept_refer: { allow: ['sip:*@pbx.example.com', '+9180*', 'desk'] } }],
  ])('to a target not allowed, %s: 403, and no INVITE leaves the gateway', async (_name, trunk) => {
    // Someone the REFER names: a socket that records anything sent to it.
    sock = createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    const port = await freePort();
    await new Promise<void>((r) => sock!.bind(port, '127.0.0.1', () => r()));
    gw = await startTestGateway({ trunk, extra: { transfer_targets: { desk: { uri: 'sip:desk@127.0.0.1:5999' } } } });
    const r = await carrier(gw, 'uac-send-refer-expect-403.xml', `sip:+919900001111@127.0.0.1:${port}`);
    expect(r.code, r.errors).toBe(0);
    const g = gw;
    await g.waitFor(() => eventsOf(g, 'call_end').length === 1);
    expect(eventsOf(g, 'refer_refused')).toMatchObject([{ status: 403 }]);
    expect(eventsOf(g, 'refer_accepted')).toHaveLength(0);
    expect(eventsOf(g, 'call_end')[0]).toMatchObject({ hangupBy: 'caller' });
    // The REFER was answered before the caller's BYE; an INVITE sent for it would have come first.
    expect(got).toHaveLength(0);
  }, 60_000);
});
