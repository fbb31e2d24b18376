/**
 * RFC 3262 on the SipStack: two stacks on 127.0.0.1, one the UAS sending reliable provisionals,
 * the other the UAC (its TU sends the PRACKs, as drachtio-srf does over the drachtio layer).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptReliableProvisional } from '../../../src/sip/dialog/reliable-provisionals.js';
import {
  Dialog, ReliableProvisionalError, SipRequest, SipStack, createResponse, generateCallId, generateTag, parseRSeq,
  type IncomingRequest, type ServerTransaction, type SipResponse,
} from '../../../src/sip/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function newStack(t1 = 50): Promise<SipStack> {
  const s = new SipStack({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }], timers: { t1, t2: 8 * t1 } });
  await s.start();
  cleanups.push(() => s.close());
  return s;
}

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';

function invite(a: SipStack, b: SipStack, extra: { name: string; value: string }[] = [{ name: 'Supported', value: '100rel' }]): SipRequest {
  return new SipRequest({ method: 'INVITE', uri: `sip:b@${b.viaSentBy('udp')}`, headers: [
    { name: 'From', value: `<sip:a@127.0.0.1>;tag=${generateTag()}` }, { name: 'To', value: '<sip:b@127.0.0.1>' },
    { name: 'Call-ID', value: generateCallId() }, { name: 'CSeq', value: '1 INVITE' }, { name: 'Contact', value: a.contact('udp', 'a') },
    ...extra,
  ] });
}

function reliable(req: SipRequest, b: SipStack, status: number, body = ''): SipResponse {
  return createResponse(req, status, undefined, { headers: [{ name: 'Require', value: '100rel' }, { name: 'Contact', value: b.contact('udp', 'b') }], body });
}

/** The UAC's PRACK for a reliable provisional (§7.2 RAck: RSeq, CSeq number, method). */
function prackFor(a: SipStack, req: SipRequest, res: SipResponse, rackCseq = res.cseq.seq): { prack: SipRequest; send: () => Promise<SipResponse> } {
  const d = a.findDialog(req.callId, req.from.params.tag!, res.to.params.tag!)!;
  const prack = d.createRequest('PRACK', { headers: [{ name: 'RAck', value: `${parseRSeq(res.headers.get('rseq')!)} ${rackCseq} INVITE` }] });
  return { prack, send: () => a.sendRequest(prack, { dialog: d }).response };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reliable provisional responses on the SipStack (RFC 3262)', () => {
  it('§3/§4: sends 1xx marked Require: 100rel with RSeq, one at a time; the UAC’s TU sees each once although retransmitted; the PRACK reaches the UAS’s TU with its INVITE transaction', async () => {
    const a = await newStack();
    const b = await newStack();
    let inviteTx: ServerTransaction | undefined;
    const pracks: IncomingRequest[] = [];
    b.onRequest((r) => {
      if (r.message.method === 'INVITE') {
        inviteTx = r.transaction;
        b.respond(r.transaction, reliable(r.message, b, 180));
        b.respond(r.transaction, reliable(r.message, b, 183, SDP)); // waits for the 180's PRACK
      } else if (r.message.method === 'PRACK') {
        pracks.push(r);
        b.respond(r.transaction, createResponse(r.message, 200));
        if (pracks.length === 2) b.respond(inviteTx!, createResponse(inviteTx!.request, 200, 'OK', { headers: [{ name: 'Contact', value: b.contact('udp', 'b') }] }));
      }
    });
    const req = invite(a, b);
    const seen: SipResponse[] = [];
    const prackResults: Promise<SipResponse>[] = [];
    const tx = a.sendRequest(req, {
      onProvisional: (res) => {
        if (res.status === 100) return;
        seen.push(res);
        // PRACK late (after ~5·T1) so the UAS retransmits meanwhile.
        prackResults.push(sleep(250).then(() => prackFor(a, req, res).send()));
      },
    });
    const final = await tx.response;
    expect(final.status).toBe(200);
    expect(seen.map((r) => r.status)).toEqual([180, 183]);
    const [r1, r2] = seen.map((r) => parseRSeq(r.headers.get('rseq')!));
    expect(r1).toBeGreaterThanOrEqual(1);
    expect(r1).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(r2).toBe(r1! + 1);
    expect((await Promise.all(prackResults)).map((r) => r.status)).toEqual([200, 200]);
    expect(pracks.map((p) => p.prackFor)).toEqual([inviteTx, inviteTx]);
    expect(pracks.every((p) => p.dialog?.role === 'uas')).toBe(true);
    expect(b.dialogs.reliableCount).toBe(0);
  });

  it('§3: holds a 2xx while a reliable provisional with a session description is unacknowledged, and sends it on the PRACK', async () => {
    const a = await newStack();
    const b = await newStack();
    b.onRequest((r) => {
      if (r.message.method === 'INVITE') {
        b.respond(r.transaction, reliable(r.message, b, 183, SDP));
        b.respond(r.transaction, createResponse(r.message, 200, 'OK', { headers: [{ name: 'Contact', value: b.contact('udp', 'b') }], body: SDP }));
      } else if (r.message.method === 'PRACK') b.respond(r.transaction, createResponse(r.message, 200));
    });
    const req = invite(a, b);
    const events: string[] = [];
    const tx = a.sendRequest(req, {
      onProvisional: (res) => {
        if (res.status !== 183) return;
        events.push('183');
        void sleep(300).then(() => { events.push('PRACK sent'); return prackFor(a, req, res).send(); }).then((r) => events.push(`PRACK ${r.status}`));
      },
    });
    const final = await tx.response;
    events.push(`INVITE ${final.status}`);
    while (events.length < 4) await sleep(10);
    expect(events.slice(0, 3)).toEqual(['183', 'PRACK sent', 'INVITE 200']);
    expect(events).toContain('PRACK 200');
  });

  it('§3: rejects the INVITE 503 after 64·T1 without a PRACK, ends the early dialog and tells onReliableTimeout', async () => {
    const a = await newStack(20);
    const b = await newStack(20);
    const timedOut: ServerTransaction[] = [];
    b.dialogs.onReliableTimeout((tx) => timedOut.push(tx));
    let inviteTx: ServerTransaction | undefined;
    b.onRequest((r) => { inviteTx = r.transaction; b.respond(r.transaction, reliable(r.message, b, 183, SDP)); });
    const seen: number[] = [];
    const final = await a.sendRequest(invite(a, b), { onProvisional: (res) => seen.push(res.status) }).response;
    expect(final.status).toBe(503);
    expect(seen.filter((s) => s === 183)).toHaveLength(1); // retransmissions stop at the UAC's dialog layer
    expect(timedOut).toEqual([inviteTx]);
    expect(b.counters().dialogs).toBe(0);
    expect(b.dialogs.reliableCount).toBe(0);
  });

  it('§3: answers 481 to a PRACK whose RAck matches no unacknowledged reliable provisional (wrong CSeq, or already acknowledged), without telling the TU', async () => {
    const a = await newStack();
    const b = await newStack();
    const tuPracks: IncomingRequest[] = [];
    let inviteTx: ServerTransaction | undefined;
    b.onRequest((r) => {
      if (r.message.method === 'INVITE') { inviteTx = r.transaction; b.respond(r.transaction, reliable(r.message, b, 180)); }
      else { tuPracks.push(r); b.respond(r.transaction, createResponse(r.message, 200)); }
    });
    const req = invite(a, b);
    let first!: (res: SipResponse) => void;
    const ringing = new Promise<SipResponse>((resolve) => { first = resolve; });
    const tx = a.sendRequest(req, { onProvisional: (res) => { if (res.status === 180) first(res); } });
    const res = await ringing;
    // (A 481 ends the UAC's early dialog, §12.2.1.2, so all three are built up front, in CSeq order.)
    const wrong = prackFor(a, req, res, 7);
    const right = prackFor(a, req, res);
    const again = prackFor(a, req, res);
    expect((await wrong.send()).status).toBe(481);
    expect((await right.send()).status).toBe(200);
    expect((await again.send()).status).toBe(481);
    expect(tuPracks).toHaveLength(1);
    b.respond(inviteTx!, createResponse(inviteTx!.request, 486));
    expect((await tx.response).status).toBe(486);
  });

  it('§7.2: matches a PRACK whose RAck has tokens after the method (as sofia-sip); answers 400 to one without a readable RAck, without telling the TU', async () => {
    const a = await newStack();
    const b = await newStack();
    const tuPracks: IncomingRequest[] = [];
    let inviteTx: ServerTransaction | undefined;
    b.onRequest((r) => {
      if (r.message.method === 'INVITE') { inviteTx = r.transaction; b.respond(r.transaction, reliable(r.message, b, 180)); }
      else { tuPracks.push(r); b.respond(r.transaction, createResponse(r.message, 200)); }
    });
    const req = invite(a, b);
    let first!: (res: SipResponse) => void;
    const ringing = new Promise<SipResponse>((resolve) => { first = resolve; });
    const tx = a.sendRequest(req, { onProvisional: (res) => { if (res.status === 180) first(res); } });
    const res = await ringing;
    const d = a.findDialog(req.callId, req.from.params.tag!, res.to.params.tag!)!;
    const send = (rack: string | undefined) => a.sendRequest(
      d.createRequest('PRACK', { headers: rack === undefined ? [] : [{ name: 'RAck', value: rack }] }), { dialog: d }).response;
    const missing = await send(undefined);
    expect([missing.status, missing.reason]).toEqual([400, 'Missing RAck']);
    const garbled = await send('one 1 INVITE');
    expect([garbled.status, garbled.reason]).toEqual([400, 'Bad RAck']);
    expect(tuPracks).toHaveLength(0);
    expect((await send(`${parseRSeq(res.headers.get('rseq')!)} 1 INVITE INVITE`)).status).toBe(200);
    expect(tuPracks).toHaveLength(1);
    b.respond(inviteTx!, createResponse(inviteTx!.request, 486));
    expect((await tx.response).status).toBe(486);
  });

  it('§3: refuses to send a reliable provisional for an INVITE without 100rel in Supported or Require (ReliableProvisionalError PEER_NO_100REL)', async () => {
    const a = await newStack();
    const b = await newStack();
    let thrown: unknown;
    b.onRequest((r) => {
      try {
        b.respond(r.transaction, reliable(r.message, b, 183));
      } catch (err) {
        thrown = err;
      }
      b.respond(r.transaction, createResponse(r.message, 480));
    });
    const final = await a.sendRequest(invite(a, b, [])).response;
    expect(final.status).toBe(480);
    expect(thrown).toBeInstanceOf(ReliableProvisionalError);
    expect((thrown as ReliableProvisionalError).code).toBe('PEER_NO_100REL');
  });
});

describe('acceptReliableProvisional (RFC 3262 §4, UAC)', () => {
  const req = new SipRequest({ method: 'INVITE', uri: 'sip:b@127.0.0.1', headers: [
    { name: 'From', value: '<sip:a@127.0.0.1>;tag=a' }, { name: 'To', value: '<sip:b@127.0.0.1>' },
    { name: 'Call-ID', value: 'prop@test' }, { name: 'CSeq', value: '1 INVITE' },
  ] });
  const ringing = (rseq: number): SipResponse => {
    const res = createResponse(req, 180, undefined, { toTag: 'b', headers: [{ name: 'Require', value: '100rel' }] });
    res.headers.set('RSeq', String(rseq));
    return res;
  };

  it('passes up the first reliable provisional and then only RSeq + 1 each time: never a retransmission or a gap', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(fc.integer({ min: -2, max: 3 }), { maxLength: 30 }), (first, steps) => {
      const d = Dialog.fromUac(req, ringing(first));
      const arrivals = [first];
      for (const s of steps) arrivals.push(Math.max(1, arrivals[arrivals.length - 1]! + s));
      const accepted = arrivals.filter((n) => acceptReliableProvisional(d, ringing(n)));
      expect(accepted[0]).toBe(first);
      for (let i = 1; i < accepted.length; i++) expect(accepted[i]).toBe(accepted[i - 1]! + 1);
    }));
  });

  it('passes up a reliable provisional whose RSeq it cannot read, without counting it (drachtio-server passes every 1xx on)', () => {
    const d = Dialog.fromUac(req, ringing(5));
    expect(acceptReliableProvisional(d, ringing(5))).toBe(true);
    const garbled = ringing(6);
    garbled.headers.set('RSeq', 'six');
    expect(acceptReliableProvisional(d, garbled)).toBe(true);
    expect(acceptReliableProvisional(d, ringing(6))).toBe(true);
    expect(acceptReliableProvisional(d, ringing(6))).toBe(false);
  });
});
