import { describe, expect, it } from 'vitest';
import { ClientTransaction, ServerTransaction, Timers, defaultTimerConfig, type Endpoint, type SipRequest } from '../../../src/sip/index.js';
import { FakeClock } from '../fixtures/fake-clock.js';
import { request, response } from '../fixtures/messages.js';
import { RecordingTransport } from '../fixtures/recording-transport.js';

const udp: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5080 };
const tcp: Endpoint = { protocol: 'tcp', address: '127.0.0.1', port: 5080 };

function setup(config: Partial<typeof defaultTimerConfig> = {}) {
  const clock = new FakeClock();
  const transport = new RecordingTransport(clock);
  const timers = new Timers({ ...defaultTimerConfig, ...config });
  return { clock, transport, timers };
}

function client(method: string, destination: Endpoint, config: Partial<typeof defaultTimerConfig> = {}) {
  const s = setup(config);
  const events: string[] = [];
  const req = request(method, { transport: destination.protocol.toUpperCase() });
  const tx = new ClientTransaction({
    key: 'k', request: req, destination, timers: s.timers, clock: s.clock, transport: s.transport,
    handlers: {
      onProvisional: (r) => events.push(`provisional ${r.status}`),
      onFinal: (r) => events.push(`final ${r.status}`),
      onRetransmitted2xx: (r) => events.push(`retransmitted ${r.status}`),
      onTimeout: () => events.push(`timeout@${s.clock.now()}`),
      onTransportError: (e) => events.push(`transport ${e.code}`),
      onTerminated: () => events.push(`terminated@${s.clock.now()}`),
    },
  });
  tx.start();
  return { ...s, tx, req, events };
}

function server(req: SipRequest, protocol: 'udp' | 'tcp', config: Partial<typeof defaultTimerConfig> = {}) {
  const s = setup(config);
  const events: string[] = [];
  const tx = new ServerTransaction({
    key: 'k', timers: s.timers, clock: s.clock, transport: s.transport,
    inbound: { message: req, raw: Buffer.alloc(0), source: { protocol, address: '127.0.0.1', port: 5070 }, local: { protocol, address: '127.0.0.1', port: 5060 }, receivedAt: 0 },
  });
  tx.onAckTimeout(() => events.push(`ack-timeout@${s.clock.now()}`));
  tx.onTerminated(() => events.push(`terminated@${s.clock.now()}`));
  return { ...s, tx, events };
}

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('retransmits on Timer E doubling from T1 and capped at T2, and times out on Timer F at 64·T1', () => {
    const { clock, transport, events, tx } = client('OPTIONS', udp);
    clock.advance(40_000);
    expect(transport.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(events).toEqual(['timeout@32000', 'terminated@32000']);
    expect(tx.syntheticResponse).toBe(true);
  });

  it('uses the configured T1/T2 of its own stack instance', () => {
    const { clock, transport } = client('OPTIONS', udp, { t1: 100, t2: 400 });
    clock.advance(6400);
    expect(transport.times()).toEqual([0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300]);
  });

  it('still fires Timer F at 64·T1 after a provisional, retransmitting every T2 in Proceeding', () => {
    const { clock, transport, events, tx, req } = client('OPTIONS', udp);
    clock.advance(600);
    tx.receiveResponse(response(req, 180));
    clock.advance(40_000);
    expect(transport.times()).toEqual([0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]);
    expect(events).toEqual(['provisional 180', 'timeout@32000', 'terminated@32000']);
  });

  it('waits Timer K = T4 after a final response on UDP, absorbing retransmitted finals', () => {
    const { clock, events, tx, req } = client('BYE', udp);
    clock.advance(100);
    tx.receiveResponse(response(req, 200));
    tx.receiveResponse(response(req, 200));
    expect(tx.state).toBe('completed');
    clock.advance(4999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(events).toEqual(['final 200', 'terminated@5100']);
  });

  it('does not retransmit over TCP and terminates at once after the final response (Timer K = 0)', () => {
    const { clock, transport, events, tx, req } = client('BYE', tcp);
    clock.advance(20_000);
    expect(transport.times()).toEqual([0]);
    tx.receiveResponse(response(req, 200));
    expect(events).toEqual(['final 200', 'terminated@20000']);
  });

  it('reports a transport error to the TU as a synthetic 503 (§8.1.3.1)', async () => {
    const s = setup();
    s.transport.failNext = true;
    const events: string[] = [];
    const tx = new ClientTransaction({ key: 'k', request: request('OPTIONS'), destination: udp, timers: s.timers, clock: s.clock, transport: s.transport,
      handlers: { onTransportError: (e) => events.push(e.code) } });
    tx.start();
    const res = await tx.response;
    expect(res.status).toBe(503);
    expect(events).toEqual(['TRANSACTION_TRANSPORT_ERROR']);
    expect(tx.state).toBe('terminated');
  });
});

describe('INVITE client transaction (RFC 3261 §17.1.1, RFC 6026)', () => {
  it('retransmits on Timer A doubling from T1 and times out on Timer B at 64·T1 with a synthetic 408', async () => {
    const { clock, transport, events, tx } = client('INVITE', udp);
    clock.advance(40_000);
    expect(transport.times()).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(events).toEqual(['timeout@32000', 'terminated@32000']);
    expect((await tx.response).status).toBe(408);
  });

  it('stops retransmitting after a provisional and does not time out in Proceeding', () => {
    const { clock, transport, events, tx, req } = client('INVITE', udp);
    clock.advance(600);
    tx.receiveResponse(response(req, 180));
    clock.advance(60_000);
    expect(transport.times()).toEqual([0, 500]);
    expect(tx.state).toBe('proceeding');
    expect(events).toEqual(['provisional 180']);
  });

  it('ACKs a non-2xx final itself (§17.1.1.3) with the request branch and the response To tag, and re-ACKs retransmissions until Timer D', () => {
    const { clock, transport, events, tx, req } = client('INVITE', udp);
    const busy = response(req, 486, { toTag: 'uas-tag' });
    tx.receiveResponse(busy);
    tx.receiveResponse(busy);
    const acks = transport.sent.filter((s) => s.message.kind === 'request' && s.message.method === 'ACK');
    expect(acks).toHaveLength(2);
    const ack = acks[0]!.message as SipRequest;
    expect(ack.vias).toHaveLength(1);
    expect(ack.vias[0]!.params.branch).toBe(req.vias[0]!.params.branch);
    expect(ack.to.params.tag).toBe('uas-tag');
    expect(ack.cseq).toEqual({ seq: req.cseq.seq, method: 'ACK' });
    expect(ack.uri).toBe(req.uri);
    clock.advance(31_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(events).toEqual(['final 486', 'terminated@32000']);
  });

  it('terminates at once after a non-2xx on TCP (Timer D = 0)', () => {
    const { events, tx, req } = client('INVITE', tcp);
    tx.receiveResponse(response(req, 603));
    expect(events).toEqual(['final 603', 'terminated@0']);
  });

  it('enters Accepted on 2xx and passes retransmitted 2xx responses to the TU until Timer M (RFC 6026 §8.4)', () => {
    const { clock, events, tx, req } = client('INVITE', udp);
    tx.receiveResponse(response(req, 200));
    expect(tx.state).toBe('accepted');
    clock.advance(1000);
    tx.receiveResponse(response(req, 200));
    clock.advance(31_000);
    expect(events).toEqual(['final 200', 'retransmitted 200', 'terminated@32000']);
  });
});

describe('INVITE server transaction (RFC 3261 §17.2.1, RFC 6026)', () => {
  it('sends 100 Trying at once by default, and after `trying100` ms only if the TU was silent', () => {
    const a = server(request('INVITE'), 'udp');
    a.tx.startTrying();
    expect(a.transport.sent.map((s) => (s.message as { status: number }).status)).toEqual([100]);
    const b = server(request('INVITE'), 'udp', { trying100: 200 });
    b.tx.startTrying();
    b.clock.advance(199);
    expect(b.transport.sent).toHaveLength(0);
    b.clock.advance(1);
    expect(b.transport.sent).toHaveLength(1);
    const c = server(request('INVITE'), 'udp', { trying100: 200 });
    c.tx.startTrying();
    c.tx.respond(response(c.tx.request, 180));
    c.clock.advance(1000);
    expect(c.transport.sent.map((s) => (s.message as { status: number }).status)).toEqual([180]);
  });

  it('retransmits a non-2xx final on Timer G doubling and capped at T2, and gives up on Timer H at 64·T1', () => {
    const { clock, transport, events, tx } = server(request('INVITE'), 'udp');
    tx.respond(response(tx.request, 486));
    clock.advance(40_000);
    expect(transport.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(events).toEqual(['ack-timeout@32000', 'terminated@32000']);
  });

  it('moves to Confirmed on the ACK and lingers Timer I = T4 on UDP, 0 on TCP', () => {
    const u = server(request('INVITE'), 'udp');
    u.tx.respond(response(u.tx.request, 486));
    u.clock.advance(100);
    expect(u.tx.receiveAck()).toBe(true);
    expect(u.tx.state).toBe('confirmed');
    u.clock.advance(5000);
    expect(u.events).toEqual(['terminated@5100']);
    expect(u.transport.times()).toEqual([0]);
    const t = server(request('INVITE', { transport: 'TCP' }), 'tcp');
    t.tx.respond(response(t.tx.request, 486));
    t.clock.advance(10_000);
    expect(t.transport.times()).toEqual([0]); // no Timer G on reliable transports
    t.tx.receiveAck();
    expect(t.events).toEqual(['terminated@10000']);
  });

  it('re-sends the last response when the INVITE is retransmitted in Proceeding and Completed', () => {
    const { transport, tx } = server(request('INVITE'), 'udp');
    tx.respond(response(tx.request, 180));
    tx.receiveRetransmission();
    tx.respond(response(tx.request, 480));
    tx.receiveRetransmission();
    expect(transport.sent.map((s) => (s.message as { status: number }).status)).toEqual([180, 180, 480, 480]);
  });

  it('absorbs INVITE retransmissions in Accepted, passes ACKs to the TU, and ends on Timer L (RFC 6026 §8.5–8.7)', () => {
    const { clock, transport, events, tx } = server(request('INVITE'), 'udp');
    tx.respond(response(tx.request, 200));
    expect(tx.state).toBe('accepted');
    tx.receiveRetransmission();
    expect(transport.sent).toHaveLength(1);
    expect(tx.receiveAck()).toBe(false);
    tx.respond(response(tx.request, 200)); // the TU's own 2xx retransmission goes through
    expect(transport.sent).toHaveLength(2);
    clock.advance(32_000);
    expect(events).toEqual(['terminated@32000']);
  });
});

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('absorbs retransmissions in Trying, re-sends the final in Completed and ends on Timer J = 64·T1 on UDP', () => {
    const { clock, transport, events, tx } = server(request('BYE', { toTag: 't' }), 'udp');
    tx.receiveRetransmission();
    expect(transport.sent).toHaveLength(0);
    tx.respond(response(tx.request, 200));
    tx.receiveRetransmission();
    expect(transport.sent).toHaveLength(2);
    clock.advance(31_999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(events).toEqual(['terminated@32000']);
  });

  it('terminates at once on TCP (Timer J = 0)', () => {
    const { events, tx } = server(request('BYE', { toTag: 't', transport: 'TCP' }), 'tcp');
    tx.respond(response(tx.request, 200));
    expect(events).toEqual(['terminated@0']);
  });
});
