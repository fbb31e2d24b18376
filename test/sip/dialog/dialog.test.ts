import { describe, expect, it } from 'vitest';
import { Dialog } from '../../../src/sip/index.js';
import { request, response } from '../fixtures/messages.js';

const rr = ['<sip:p1.invalid;lr>', '<sip:p2.invalid;lr>'];

describe('Dialog (RFC 3261 §12)', () => {
  it('UAS: id from the tags, route set in Record-Route order, remote target from Contact (§12.1.1)', () => {
    const req = request('INVITE', { extra: rr.map((r) => `Record-Route: ${r}`) });
    const d = Dialog.fromUas(req, response(req, 200, { toTag: 'uas' }));
    expect(d.id).toEqual({ callId: 'call-1@test', localTag: 'uas', remoteTag: 'from1' });
    expect(d.routeSet).toEqual(rr);
    expect(d.remoteTarget).toBe('sip:alice@127.0.0.1:5070');
    expect(d.remoteSeq).toBe(1);
    expect(d.state).toBe('confirmed');
  });

  it('UAC: route set is the Record-Route of the response reversed (§12.1.2), early on a 1xx with tag', () => {
    const req = request('INVITE');
    const res = response(req, 180, { toTag: 'uas' });
    res.headers.append('Record-Route', rr.join(', '));
    const d = Dialog.fromUac(req, res);
    expect(d.routeSet).toEqual([...rr].reverse());
    expect(d.state).toBe('early');
    expect(d.remoteTarget).toBe('sip:bob@127.0.0.1:5080');
    d.confirm();
    expect(d.state).toBe('confirmed');
  });

  it('builds in-dialog requests with loose routing: Request-URI = remote target, Route = route set, CSeq incremented (§12.2.1.1)', () => {
    const req = request('INVITE', { cseq: 7, extra: rr.map((r) => `Record-Route: ${r}`) });
    const d = Dialog.fromUac(req, (() => { const r = response(req, 200, { toTag: 'uas' }); r.headers.append('Record-Route', rr.join(', ')); return r; })());
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:bob@127.0.0.1:5080');
    expect(bye.headers.getAll('route')).toEqual([...rr].reverse());
    expect(bye.cseq).toEqual({ seq: 8, method: 'BYE' });
    expect(bye.from.params.tag).toBe('from1');
    expect(bye.to.params.tag).toBe('uas');
    const ack = d.createRequest('ACK', { cseq: d.inviteSeq });
    expect(ack.cseq).toEqual({ seq: 7, method: 'ACK' });
  });

  it('builds in-dialog requests through a strict router: Request-URI = first route, remote target last in Route', () => {
    const req = request('INVITE', { extra: ['Record-Route: <sip:strict.invalid;maddr=127.0.0.1>', 'Record-Route: <sip:p2.invalid;lr>'] });
    const d = Dialog.fromUas(req, response(req, 200, { toTag: 'uas' }));
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:strict.invalid');
    expect(bye.headers.getAll('route')).toEqual(['<sip:p2.invalid;lr>', '<sip:alice@127.0.0.1:5070>']);
  });

  it('replaces the remote target on a target refresh', () => {
    const req = request('INVITE');
    const d = Dialog.fromUas(req, response(req, 200, { toTag: 'uas' }));
    const update = request('UPDATE', { toTag: 'uas', cseq: 2 });
    update.headers.set('Contact', '<sip:alice@127.0.0.1:6000>');
    d.refreshTarget(update);
    expect(d.remoteTarget).toBe('sip:alice@127.0.0.1:6000');
  });
});
