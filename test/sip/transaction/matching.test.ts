import { describe, expect, it } from 'vitest';
import { rootLogger } from '../../../src/log.js';
import { TransactionLayer, Timers, defaultTimerConfig, type InboundMessage, type ServerTransaction, type SipMessage, type SipResponse } from '../../../src/sip/index.js';
import { FakeClock } from '../fixtures/fake-clock.js';
import { request, response } from '../fixtures/messages.js';
import { RecordingTransport } from '../fixtures/recording-transport.js';

function layer() {
  const clock = new FakeClock();
  const transport = new RecordingTransport(clock);
  const tl = new TransactionLayer({ timers: new Timers(defaultTimerConfig), clock, logger: rootLogger, transport });
  const seen: string[] = [];
  tl.onRequest((r) => seen.push(`request ${r.message.method}`));
  tl.onAck((a) => seen.push(`ack${a.invite ? ' (accepted tx)' : ''}`));
  tl.onCancel((c) => seen.push(`cancel → ${c.invite.request.method}`));
  tl.onStrayResponse((r) => seen.push(`stray ${r.message.status}`));
  const inbound = <M extends SipMessage>(message: M): InboundMessage<M> =>
    ({ message, raw: Buffer.alloc(0), source: { protocol: 'udp', address: '127.0.0.1', port: 5070 }, local: { protocol: 'udp', address: '127.0.0.1', port: 5060 }, receivedAt: 0 });
  const receive = (m: SipMessage): void => tl.receive(inbound(m));
  const statuses = (): number[] => transport.sent.filter((s) => s.message.kind === 'response').map((s) => (s.message as SipResponse).status);
  return { clock, transport, tl, seen, receive, statuses };
}

describe('client transaction matching (RFC 3261 §17.1.3)', () => {
  it('matches a response on top-Via branch and CSeq method, not on branch alone', () => {
    const { tl, seen, receive } = layer();
    const invite = request('INVITE', { branch: 'z9hG4bK-a' });
    const finals: number[] = [];
    tl.createClientTransaction(invite, { protocol: 'udp', address: '127.0.0.1', port: 5070 }, { onFinal: (r) => finals.push(r.status) });
    receive(response(invite, 200, { cseqMethod: 'CANCEL' })); // same branch, other method
    receive(response(invite, 200, { branch: 'z9hG4bK-other' }));
    expect(finals).toEqual([]);
    expect(seen).toEqual(['stray 200', 'stray 200']);
    receive(response(invite, 486));
    expect(finals).toEqual([486]);
  });
});

describe('server transaction matching (RFC 3261 §17.2.3)', () => {
  it('treats a request with the same branch, sent-by and method as a retransmission', () => {
    const { seen, receive, tl } = layer();
    receive(request('OPTIONS', { branch: 'z9hG4bK-1' }));
    receive(request('OPTIONS', { branch: 'z9hG4bK-1' }));
    expect(seen).toEqual(['request OPTIONS']);
    expect(tl.serverCount).toBe(1);
  });

  it('keeps requests apart when sent-by or method differ even with the same branch', () => {
    const { seen, receive, tl } = layer();
    receive(request('OPTIONS', { branch: 'z9hG4bK-1', sentBy: '127.0.0.1:5070' }));
    receive(request('OPTIONS', { branch: 'z9hG4bK-1', sentBy: '127.0.0.1:5071' }));
    receive(request('INFO', { branch: 'z9hG4bK-1', sentBy: '127.0.0.1:5070' }));
    expect(seen).toEqual(['request OPTIONS', 'request OPTIONS', 'request INFO']);
    expect(tl.serverCount).toBe(3);
  });

  it('matches the ACK for a non-2xx to the INVITE server transaction and absorbs it', () => {
    const { seen, receive, tl, clock } = layer();
    const invite = request('INVITE', { branch: 'z9hG4bK-inv' });
    let tx: ServerTransaction | undefined;
    tl.onRequest((r) => { tx = r.transaction; });
    receive(invite);
    tx!.respond(response(invite, 486, { toTag: 'uas' }));
    receive(request('ACK', { branch: 'z9hG4bK-inv', toTag: 'uas', cseqMethod: 'ACK' }));
    expect(tx!.state).toBe('confirmed');
    expect(seen).toEqual([]);
    clock.advance(5000);
    expect(tl.serverCount).toBe(0);
  });

  it('passes an ACK that matches an INVITE transaction in Accepted to the TU', () => {
    const { seen, receive, tl } = layer();
    const invite = request('INVITE', { branch: 'z9hG4bK-inv' });
    let tx: ServerTransaction | undefined;
    tl.onRequest((r) => { tx = r.transaction; });
    receive(invite);
    tx!.respond(response(invite, 200, { toTag: 'uas' }));
    receive(request('ACK', { branch: 'z9hG4bK-inv', toTag: 'uas' }));
    receive(request('ACK', { branch: 'z9hG4bK-new', toTag: 'uas' }));
    expect(seen).toEqual(['ack (accepted tx)', 'ack']);
  });

  it('falls back to RFC 2543 matching without the magic cookie (Request-URI, tags, Call-ID, CSeq, top Via)', () => {
    const { seen, receive, tl } = layer();
    let tx: ServerTransaction | undefined;
    tl.onRequest((r) => { seen.push(`request ${r.message.method}`); tx = r.transaction; });
    const invite = request('INVITE', { branch: '' });
    receive(invite);
    receive(request('INVITE', { branch: '' })); // retransmission
    receive(request('INVITE', { branch: '', cseq: 2 })); // new CSeq → new transaction
    receive(request('INVITE', { branch: '', uri: 'sip:carol@127.0.0.1' })); // other Request-URI
    expect(seen).toEqual(['request INVITE', 'request INVITE', 'request INVITE']);
    // ACK: matches when its To tag is the tag of the response the transaction sent.
    tx!.respond(response(tx!.request, 404, { toTag: 'sent-tag' }));
    receive(request('ACK', { branch: '', uri: 'sip:carol@127.0.0.1', toTag: 'other-tag', cseqMethod: 'ACK' }));
    expect(tx!.state).toBe('completed');
    receive(request('ACK', { branch: '', uri: 'sip:carol@127.0.0.1', toTag: 'sent-tag', cseqMethod: 'ACK' }));
    expect(tx!.state).toBe('confirmed');
    expect(tl.serverCount).toBe(3);
  });

  it('matches a CANCEL to its INVITE server transaction (§9.2), answers it 200 and tells the TU', () => {
    const { seen, receive, statuses } = layer();
    receive(request('INVITE', { branch: 'z9hG4bK-c' }));
    receive(request('CANCEL', { branch: 'z9hG4bK-c' }));
    expect(seen).toEqual(['request INVITE', 'cancel → INVITE']);
    expect(statuses()).toEqual([100, 200]);
  });

  it('answers a CANCEL that matches no INVITE transaction with 481', () => {
    const { seen, receive, statuses } = layer();
    receive(request('INVITE', { branch: 'z9hG4bK-c' }));
    receive(request('CANCEL', { branch: 'z9hG4bK-d' }));
    expect(seen).toEqual(['request INVITE']);
    expect(statuses()).toEqual([100, 481]);
  });
});
