import { afterEach, describe, expect, it } from 'vitest';
import { SipRequest, SipStack, createResponse, generateCallId, generateTag, type IncomingCancel, type IncomingRequest } from '../../../src/sip/index.js';
import { expectNoMoreResourcesThan, liveResources } from '../fixtures/leaks.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function newStack(protocol: 'udp' | 'tcp' = 'udp'): Promise<SipStack> {
  const s = new SipStack({ listen: [{ protocol, address: '127.0.0.1', port: 0 }] });
  await s.start();
  cleanups.push(() => s.close());
  return s;
}

function invite(a: SipStack, b: SipStack, protocol: 'udp' | 'tcp' = 'udp'): SipRequest {
  return new SipRequest({ method: 'INVITE', uri: `sip:b@${b.viaSentBy(protocol)}${protocol === 'tcp' ? ';transport=tcp' : ''}`, headers: [
    { name: 'From', value: `<sip:a@127.0.0.1>;tag=${generateTag()}` }, { name: 'To', value: '<sip:b@127.0.0.1>' },
    { name: 'Call-ID', value: generateCallId() }, { name: 'CSeq', value: '1 INVITE' }, { name: 'Contact', value: a.contact(protocol, 'a') },
  ] });
}

describe('SipStack', () => {
  it('delivers a CANCEL with the INVITE server transaction it cancels; the TU answers 487 and the UAC ACKs it (§9)', async () => {
    const a = await newStack();
    const b = await newStack();
    const cancels: IncomingCancel[] = [];
    b.onRequest((r) => b.respond(r.transaction, createResponse(r.message, 180)));
    b.onCancel((c) => {
      cancels.push(c);
      b.respond(c.invite, createResponse(c.invite.request, 487));
    });
    const tx = a.sendRequest(invite(a, b));
    const cancelRes = await a.cancel(tx);
    expect(cancelRes?.status).toBe(200);
    expect((await tx.response).status).toBe(487);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]!.invite.request.callId).toBe(tx.request.callId);
    expect(tx.ack?.method).toBe('ACK');
    // The ACK for the 487 (sent by A's transaction, §17.1.1.3) reaches B's INVITE transaction.
    const deadline = Date.now() + 10_000;
    while (cancels[0]!.invite.state === 'completed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(cancels[0]!.invite.state).toBe('confirmed');
  });

  it('answers the cancelled INVITE 487 itself when no CANCEL handler is set', async () => {
    const a = await newStack();
    const b = await newStack();
    b.onRequest((r) => b.respond(r.transaction, createResponse(r.message, 183)));
    const tx = a.sendRequest(invite(a, b));
    await a.cancel(tx);
    expect((await tx.response).status).toBe(487);
  });

  it('delivers incoming requests with source, local endpoint, raw bytes and receive time, over TCP too', async () => {
    const a = await newStack('tcp');
    const b = await newStack('tcp');
    const seen: IncomingRequest[] = [];
    b.onRequest((r) => { seen.push(r); b.respond(r.transaction, createResponse(r.message, 486)); });
    const res = await a.sendRequest(invite(a, b, 'tcp')).response;
    expect(res.status).toBe(486);
    expect(seen[0]!.source.protocol).toBe('tcp');
    expect(seen[0]!.local).toEqual(b.localEndpoint('tcp'));
    expect(seen[0]!.raw.toString()).toMatch(/^INVITE sip:b@/);
    expect(seen[0]!.receivedAt).toBeGreaterThan(0);
    expect(seen[0]!.transaction.request.method).toBe('INVITE');
  });

  it('reports an unreachable TCP destination to the TU as a transport error with a synthetic 503', async () => {
    const a = await newStack('tcp');
    const dead = new SipStack({ listen: [{ protocol: 'tcp', address: '127.0.0.1', port: 0 }] });
    await dead.start();
    const deadSentBy = dead.viaSentBy('tcp');
    await dead.close();
    const errors: string[] = [];
    const req = new SipRequest({ method: 'OPTIONS', uri: `sip:x@${deadSentBy};transport=tcp`, headers: [
      { name: 'From', value: '<sip:a@127.0.0.1>;tag=1' }, { name: 'To', value: '<sip:x@127.0.0.1>' },
      { name: 'Call-ID', value: generateCallId() }, { name: 'CSeq', value: '1 OPTIONS' },
    ] });
    const tx = a.sendRequest(req, { onTransportError: (e) => errors.push(e.code) });
    expect((await tx.response).status).toBe(503);
    expect(tx.syntheticResponse).toBe(true);
    expect(errors).toEqual(['TRANSACTION_TRANSPORT_ERROR']);
  });

  it('close() stops every timer, transaction and socket, and is safe to call twice', async () => {
    const before = liveResources();
    const a = new SipStack({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }, { protocol: 'tcp', address: '127.0.0.1', port: 0 }] });
    const b = new SipStack({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }, { protocol: 'tcp', address: '127.0.0.1', port: 0 }] });
    await a.start();
    await b.start();
    b.onRequest((r) => b.respond(r.transaction, createResponse(r.message, 200, 'OK', { headers: [{ name: 'Contact', value: b.contact('udp') }] })));
    await a.sendRequest(invite(a, b)).response; // leaves Timer M / L and 2xx retransmission running
    await a.sendRequest(invite(a, b, 'tcp')).response; // leaves a TCP connection open
    expect(a.counters().timers).toBeGreaterThan(0);
    expect(a.counters().connections).toBe(1);
    await a.close();
    await b.close();
    await a.close();
    for (const s of [a, b]) {
      expect(s.counters()).toEqual({ clientTransactions: 0, serverTransactions: 0, dialogs: 0, connections: 0, sockets: 0, timers: 0 });
    }
    await expectNoMoreResourcesThan(before);
    expect(() => a.sendRequest(invite(a, b))).toThrow();
  });
});
