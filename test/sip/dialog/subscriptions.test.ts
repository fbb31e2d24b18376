/**
 * RFC 6665 dialogs on the SipStack: two stacks on 127.0.0.1, a subscriber and a notifier. A 2xx
 * to SUBSCRIBE creates the dialog on both sides (§4.1.2.1, §4.2.1), a NOTIFY before that 2xx
 * creates the subscriber's (§4.1.2.4), and `Subscription-State: terminated` ends a dialog only the
 * subscription used (§4.1.3, §4.2.2) — never an INVITE dialog that also carries one (REFER, RFC 3515).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  SipRequest, SipStack, createResponse, generateCallId, generateTag, type IncomingRequest, type SipResponse,
} from '../../../src/sip/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function newStack(): Promise<SipStack> {
  const s = new SipStack({ listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }], timers: { t1: 50, t2: 400 } });
  await s.start();
  cleanups.push(() => s.close());
  return s;
}

function request(method: string, a: SipStack, b: SipStack, extra: { name: string; value: string }[] = []): SipRequest {
  return new SipRequest({ method, uri: `sip:b@${b.viaSentBy('udp')}`, headers: [
    { name: 'From', value: `<sip:a@127.0.0.1>;tag=${generateTag()}` }, { name: 'To', value: '<sip:b@127.0.0.1>' },
    { name: 'Call-ID', value: generateCallId() }, { name: 'CSeq', value: `1 ${method}` }, { name: 'Contact', value: a.contact('udp', 'a') },
    ...extra,
  ] });
}

/** The next request b's TU gets. */
function nextRequest(s: SipStack): Promise<IncomingRequest> {
  return new Promise((resolve) => s.onRequest(resolve));
}

const notifyHeaders = (state: string) => [{ name: 'Event', value: 'presence' }, { name: 'Subscription-State', value: state }];

describe('subscription dialogs on the SipStack (RFC 6665)', () => {
  for (const method of ['SUBSCRIBE', 'REFER'] as const) it(`a 2xx to ${method} creates the dialog on both sides; the notifier’s NOTIFYs arrive in it; "terminated" ends it on both`, async () => {
    const a = await newStack();
    const b = await newStack();
    const sub = request(method, a, b, method === 'SUBSCRIBE'
      ? [{ name: 'Event', value: 'presence' }, { name: 'Expires', value: '60' }]
      : [{ name: 'Refer-To', value: '<sip:agent@127.0.0.1>' }]);
    const gotSub = nextRequest(b);
    const tx = a.sendRequest(sub);
    const incoming = await gotSub;
    b.respond(incoming.transaction, createResponse(incoming.message, 202, undefined, { headers: [{ name: 'Contact', value: b.contact('udp', 'b') }] }));
    const res = await tx.response;
    expect(res.status).toBe(202);
    const toTag = res.to.params.tag!;
    const notifierDialog = b.findDialog(sub.callId, toTag, sub.from.params.tag!)!;
    const subscriberDialog = a.findDialog(sub.callId, sub.from.params.tag!, toTag)!;
    expect([notifierDialog.usage, notifierDialog.role, subscriberDialog.usage, subscriberDialog.role]).toEqual([method, 'uas', method, 'uac']);

    for (const [state, left] of [['active;expires=60', 1], ['terminated;reason=noresource', 0]] as const) {
      const got = nextRequest(a);
      const ntx = b.sendRequest(notifierDialog.createRequest('NOTIFY', { headers: notifyHeaders(state) }), { dialog: notifierDialog });
      const n = await got;
      expect(n.dialog).toBe(subscriberDialog);
      a.respond(n.transaction, createResponse(n.message, 200));
      expect((await ntx.response).status).toBe(200);
      expect([a.counters().dialogs, b.counters().dialogs]).toEqual([left, left]);
    }
  });

  it('a NOTIFY that overtakes the 2xx creates the subscriber’s dialog, which the 2xx then confirms; a failed SUBSCRIBE would end it', async () => {
    const a = await newStack();
    const b = await newStack();
    for (const final of [200, 489] as const) {
      const sub = request('SUBSCRIBE', a, b, [{ name: 'Event', value: 'presence' }]);
      const gotSub = nextRequest(b);
      const tx = a.sendRequest(sub);
      const incoming = await gotSub;
      // The notifier's NOTIFY, sent before its 2xx (its To tag is the one the 2xx will carry).
      const tag = generateTag();
      const early = new SipRequest({ method: 'NOTIFY', uri: sub.headers.getAll('contact')[0]!.replace(/^<|>$/g, ''), headers: [
        { name: 'From', value: `<sip:b@127.0.0.1>;tag=${tag}` }, { name: 'To', value: sub.headers.get('from')! },
        { name: 'Call-ID', value: sub.callId }, { name: 'CSeq', value: '1 NOTIFY' }, { name: 'Contact', value: b.contact('udp', 'b') },
        ...notifyHeaders('active;expires=60'),
      ] });
      const gotNotify = nextRequest(a);
      const ntx = b.sendRequest(early);
      const n = await gotNotify;
      expect(n.dialog?.usage).toBe('SUBSCRIBE');
      expect(n.dialog?.remoteTag).toBe(tag);
      a.respond(n.transaction, createResponse(n.message, 200));
      expect((await ntx.response).status).toBe(200);
      b.respond(incoming.transaction, createResponse(incoming.message, final, undefined, { toTag: tag }));
      const res: SipResponse = await tx.response;
      expect(res.status).toBe(final);
      expect(a.findDialog(sub.callId, sub.from.params.tag!, tag) === n.dialog).toBe(final === 200);
    }
  });

  it('a NOTIFY with "terminated" for REFER’s subscription inside an INVITE dialog leaves that dialog up', async () => {
    const a = await newStack();
    const b = await newStack();
    const invite = request('INVITE', a, b);
    const gotInvite = nextRequest(b);
    const tx = a.sendRequest(invite);
    const inc = await gotInvite;
    b.respond(inc.transaction, createResponse(inc.message, 200, undefined, { headers: [{ name: 'Contact', value: b.contact('udp', 'b') }] }));
    const res = await tx.response;
    const uac = a.findDialog(invite.callId, invite.from.params.tag!, res.to.params.tag!)!;
    await a.sendAck(uac);
    const uas = b.findDialog(invite.callId, res.to.params.tag!, invite.from.params.tag!)!;
    const got = nextRequest(a);
    const ntx = b.sendRequest(uas.createRequest('NOTIFY', { headers: [{ name: 'Event', value: 'refer' }, { name: 'Subscription-State', value: 'terminated;reason=noresource' }] }), { dialog: uas });
    const n = await got;
    expect(n.dialog).toBe(uac);
    a.respond(n.transaction, createResponse(n.message, 200));
    expect((await ntx.response).status).toBe(200);
    expect([uac.state, uas.state, a.counters().dialogs, b.counters().dialogs]).toEqual(['confirmed', 'confirmed', 1, 1]);
  });
});
