import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvent, parseSubscriptionState, sipfragBody, sipfragStatus } from '../../../src/gateway/transfer/sipfrag.js';

describe('sipfragStatus (the status line of a message/sipfrag body, RFC 3420)', () => {
  it.each([
    ['SIP/2.0 100 Trying', 100],
    ['SIP/2.0 180 Ringing\r\n', 180],
    ['SIP/2.0 200 OK\r\nContact: <sip:desk@10.0.0.1>\r\nContent-Length: 0\r\n\r\n', 200],
    ['  sip/2.0 486 Busy Here', 486],
    ['SIP/2.0 603', 603],
  ])('%j → %i', (body, status) => {
    expect(sipfragStatus(body)).toBe(status);
  });

  it.each([undefined, '', 'garbage', 'INVITE sip:desk@pbx SIP/2.0', 'SIP/2.0 1000 Too Long', 'SIP/2.0 099 Low', 'SIP/2.0 700 High', 'SIP/3.0 200 OK', 'HTTP/1.1 200 OK', 'Contact: x\r\nSIP/2.0 200 OK'])(
    '%j (no readable status line first) → undefined', (body) => {
      expect(sipfragStatus(body)).toBeUndefined();
    });

  it('reads the status of any status line, whatever reason phrase and headers follow (property)', () => {
    const header = fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,20}$/), fc.stringMatching(/^[ -~]{0,40}$/)).map(([k, v]) => `${k}: ${v}\r\n`);
    fc.assert(fc.property(fc.integer({ min: 100, max: 699 }), fc.stringMatching(/^[ -~]{0,30}$/), fc.array(header, { maxLength: 5 }), (status, reason, headers) => {
      expect(sipfragStatus(`SIP/2.0 ${status} ${reason}\r\n${headers.join('')}`)).toBe(status);
    }));
  });

  it('never guesses a status from a body that does not start with a status line (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }).filter((s) => !/^\s*SIP\/2\.0\s/i.test(s)), (body) => {
      expect(sipfragStatus(body)).toBeUndefined();
    }));
  });

  it('reads back what sipfragBody writes (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 100, max: 699 }), fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}$/), (status, reason) => {
      expect(sipfragStatus(sipfragBody(status, reason))).toBe(status);
    }));
  });
});

describe('parseSubscriptionState (RFC 6665 §8.2.3)', () => {
  it.each([
    ['active;expires=60', { state: 'active', expires: 60 }],
    ['terminated;reason=noresource', { state: 'terminated', reason: 'noresource' }],
    ['Terminated ; Reason=Timeout', { state: 'terminated', reason: 'timeout' }],
    ['pending', { state: 'pending' }],
    ['active;expires=soon', { state: 'active' }],
  ])('%j → %j', (value, parsed) => {
    expect(parseSubscriptionState(value)).toEqual(parsed);
  });

  it.each([undefined, '', ';reason=noresource'])('%j → undefined', (value) => {
    expect(parseSubscriptionState(value)).toBeUndefined();
  });
});

describe('parseEvent (RFC 3515 §2.4.6: refer;id=<CSeq of the REFER>)', () => {
  it.each([
    ['refer', { package: 'refer' }],
    ['refer;id=93809824', { package: 'refer', id: '93809824' }],
    [' Refer ; ID = 7 ', { package: 'refer', id: '7' }],
    ['dialog;call-id=x', { package: 'dialog' }],
  ])('%j → %j', (value, parsed) => {
    expect(parseEvent(value)).toEqual(parsed);
  });

  it.each([undefined, '', ';id=3'])('%j → undefined', (value) => {
    expect(parseEvent(value)).toBeUndefined();
  });
});
