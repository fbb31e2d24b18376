import { afterEach, describe, expect, it } from 'vitest';
import { SipRequest, SipStack, createResponse, generateCallId, generateTag, parseMessage, type Dialog, type IncomingRequest, type SipResponse } from '../../../src/sip/index.js';
import { UdpPeer } from '../fixtures/udp-peer.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function newStack(t1 = 500, t2 = 4000): Promise<SipStack> {
  const s = new SipStack({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }], timers: { t1, t2 } });
  await s.start();
  cleanups.push(() => s.close());
  return s;
}

/** A calls B; B answers every INVITE out of dialog with 200. Returns both sides' dialogs. */
async function establish(a: SipStack, b: SipStack): Promise<{ da: Dialog; db: Dialog }> {
  let db: Dialog | undefined;
  const callId = generateCallId();
  const fromTag = generateTag();
  const invite = new SipRequest({ method: 'INVITE', uri: `sip:b@${b.viaSentBy('udp')}`, headers: [
    { name: 'From', value: `<sip:a@127.0.0.1>;tag=${fromTag}` }, { name: 'To', value: '<sip:b@127.0.0.1>' },
    { name: 'Call-ID', value: callId }, { name: 'CSeq', value: '1 INVITE' }, { name: 'Contact', value: a.contact('udp', 'a') },
  ] });
  const acked = new Promise<void>((resolve) => b.onAck((ack) => { db = ack.dialog; resolve(); }));
  const res = await a.sendRequest(invite).response;
  expect(res.status).toBe(200);
  const da = a.findDialog(callId, fromTag, res.to.params.tag!)!;
  await a.sendAck(da);
  await acked;
  return { da, db: db! };
}

function answerInvites(b: SipStack, hold: (r: IncomingRequest) => boolean = () => false): IncomingRequest[] {
  const held: IncomingRequest[] = [];
  b.onRequest((r) => {
    if (hold(r)) { held.push(r); return; }
    b.respond(r.transaction, createResponse(r.message, 200, 'OK', { headers: [{ name: 'Contact', value: b.contact('udp', 'b') }] }));
  });
  return held;
}

describe('dialogs on the SipStack (two stacks on 127.0.0.1)', () => {
  it('establishes matching UAC and UAS dialogs, and BYE terminates both', async () => {
    const a = await newStack();
    const b = await newStack();
    answerInvites(b);
    answerInvites(a);
    const { da, db } = await establish(a, b);
    expect(db.id).toEqual({ callId: da.callId, localTag: da.remoteTag, remoteTag: da.localTag });
    expect([da.state, db.state]).toEqual(['confirmed', 'confirmed']);
    const res = await a.sendRequest(da.createRequest('BYE'), { dialog: da }).response;
    expect(res.status).toBe(200);
    expect([da.state, db.state]).toEqual(['terminated', 'terminated']);
    expect([a.counters().dialogs, b.counters().dialogs]).toEqual([0, 0]);
  });

  it('answers 481 to a request for a dialog it does not know (§12.2.2)', async () => {
    const a = await newStack();
    const b = await newStack();
    answerInvites(b);
    const bye = new SipRequest({ method: 'BYE', uri: `sip:b@${b.viaSentBy('udp')}`, headers: [
      { name: 'From', value: '<sip:a@127.0.0.1>;tag=x' }, { name: 'To', value: '<sip:b@127.0.0.1>;tag=unknown' },
      { name: 'Call-ID', value: generateCallId() }, { name: 'CSeq', value: '2 BYE' },
    ] });
    expect((await a.sendRequest(bye).response).status).toBe(481);
  });

  it('answers 491 to a re-INVITE that arrives while its own re-INVITE is pending (glare, §14.2)', async () => {
    const a = await newStack();
    const b = await newStack();
    answerInvites(b);
    const heldByA = answerInvites(a, (r) => r.message.method === 'INVITE');
    const { da, db } = await establish(a, b);
    b.sendRequest(db.createRequest('INVITE'), { dialog: db }); // A holds it: B's re-INVITE is pending
    while (heldByA.length === 0) await new Promise((r) => setTimeout(r, 10));
    const res = await a.sendRequest(da.createRequest('INVITE'), { dialog: da }).response;
    expect(res.status).toBe(491);
  });

  it('answers 500 with Retry-After to a re-INVITE while an earlier one is still unanswered (§14.2)', async () => {
    const a = await newStack();
    const b = await newStack();
    const heldByB = answerInvites(b, (r) => r.message.method === 'INVITE' && r.message.to.params.tag !== undefined);
    answerInvites(a);
    const { da } = await establish(a, b);
    a.sendRequest(da.createRequest('INVITE'), { dialog: da });
    while (heldByB.length === 0) await new Promise((r) => setTimeout(r, 10));
    const res = await a.sendRequest(da.createRequest('INVITE'), { dialog: da }).response;
    expect(res.status).toBe(500);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(0);
    expect(retryAfter).toBeLessThanOrEqual(10);
  });

  it('retransmits a 2xx until the ACK (§13.3.1.4): doubling from T1 to T2, BYE after 64·T1 without ACK', async () => {
    const b = await newStack(20, 80);
    answerInvites(b);
    const timeouts: Dialog[] = [];
    b.onAckTimeout((d) => timeouts.push(d));
    const peer = await UdpPeer.open();
    cleanups.push(() => peer.close());
    const invite = [
      `INVITE sip:b@${b.viaSentBy('udp')} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-noack;rport`,
      'Max-Forwards: 70', 'From: <sip:a@127.0.0.1>;tag=a1', 'To: <sip:b@127.0.0.1>', 'Call-ID: noack@test', 'CSeq: 1 INVITE',
      `Contact: <sip:a@127.0.0.1:${peer.port}>`, 'Content-Length: 0', '', ''].join('\r\n');
    peer.send(invite, b.localEndpoint('udp')!.port);
    await peer.waitForMatch((m) => m.toString().startsWith('BYE '));
    const msgs = peer.received.map((m) => parseMessage(m));
    const oks = msgs.filter((m) => m.kind === 'response' && (m as SipResponse).status === 200);
    const bye = msgs.find((m) => m.kind === 'request' && m.method === 'BYE');
    // 64·T1 = 1280 ms at intervals 20, 40, 80, 80 … → about 17 retransmissions; CPU contention may delay some.
    expect(oks.length).toBeGreaterThanOrEqual(6);
    expect(bye).toBeDefined();
    expect(bye!.callId).toBe('noack@test');
    expect(timeouts).toHaveLength(1);
  });

  it('reports an ACK timeout both to stack.onAckTimeout and to listeners added on the dialog layer, which never replace it', async () => {
    const b = await newStack(20, 80);
    answerInvites(b);
    const seen: string[] = [];
    b.onAckTimeout((d) => seen.push(`stack:${d.callId}`));
    b.dialogs.onAckTimeout((d) => seen.push(`layer:${d.callId}`));
    const removed = b.dialogs.onAckTimeout(() => seen.push('removed'));
    removed();
    b.dialogs.onAckTimeout(() => { throw new Error('a throwing listener'); });
    const peer = await UdpPeer.open();
    cleanups.push(() => peer.close());
    peer.send([
      `INVITE sip:b@${b.viaSentBy('udp')} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-noack2;rport`,
      'Max-Forwards: 70', 'From: <sip:a@127.0.0.1>;tag=a2', 'To: <sip:b@127.0.0.1>', 'Call-ID: noack2@test', 'CSeq: 1 INVITE',
      `Contact: <sip:a@127.0.0.1:${peer.port}>`, 'Content-Length: 0', '', ''].join('\r\n'), b.localEndpoint('udp')!.port);
    const deadline = Date.now() + 10_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seen.sort()).toEqual(['layer:noack2@test', 'stack:noack2@test']);
  });

  it('stops retransmitting the 2xx once the ACK arrives', async () => {
    const b = await newStack(20, 80);
    answerInvites(b);
    const peer = await UdpPeer.open();
    cleanups.push(() => peer.close());
    const base = (method: string, branch: string, toTag = ''): string => [
      `${method} sip:b@${b.viaSentBy('udp')} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=${branch};rport`,
      'Max-Forwards: 70', 'From: <sip:a@127.0.0.1>;tag=a1', `To: <sip:b@127.0.0.1>${toTag}`, 'Call-ID: acked@test', `CSeq: 1 ${method}`,
      `Contact: <sip:a@127.0.0.1:${peer.port}>`, 'Content-Length: 0', '', ''].join('\r\n');
    peer.send(base('INVITE', 'z9hG4bK-acked'), b.localEndpoint('udp')!.port);
    const ok = await peer.waitForMatch((m) => (parseMessage(m) as SipResponse).status === 200);
    const tag = (parseMessage(ok) as SipResponse).to.params.tag!;
    peer.send(base('ACK', 'z9hG4bK-ack2', `;tag=${tag}`), b.localEndpoint('udp')!.port);
    await new Promise((r) => setTimeout(r, 200));
    const before = peer.received.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(peer.received.length).toBe(before);
    expect(b.counters().dialogs).toBe(1);
  });
});
