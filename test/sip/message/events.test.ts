/** RFC 6665 §8.2 Event and Subscription-State, read as sofia-sip's sip_event.c reads them. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipParseError, endsSubscription, parseEvent, parseSubscriptionState } from '../../../src/sip/message/index.js';
import { SipHeaders } from '../../../src/sip/message/index.js';

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~';
const token = fc.array(fc.constantFrom(...TOKEN_CHARS.split('')), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SipParseError) return err.code;
    throw err;
  }
  return undefined;
}

function notify(state: string | undefined): { method: string; headers: SipHeaders } {
  const headers = new SipHeaders();
  if (state !== undefined) headers.append('Subscription-State', state);
  return { method: 'NOTIFY', headers };
}

describe('Event (RFC 6665 §8.2.1)', () => {
  it('reads the event type and its id parameter', () => {
    expect(parseEvent('refer;id=93809824')).toMatchObject({ type: 'refer', id: '93809824' });
    expect(parseEvent(' presence ')).toMatchObject({ type: 'presence', params: {} });
    expect(parseEvent('dialog ; id = 7')).toMatchObject({ type: 'dialog', id: '7' });
  });

  it('parses any token with any token parameters', () => {
    fc.assert(fc.property(token, token, token, (type, name, value) => {
      const ev = parseEvent(`${type};${name}=${value}`);
      expect(ev.type).toBe(type);
      expect(ev.params[name.toLowerCase()]).toBe(value);
    }));
  });

  it.each(['', ';id=1', 'refer junk', 'pres"ence', 'refer;'])('rejects %j with BAD_HEADER_VALUE', (v) => {
    expect(code(() => parseEvent(v))).toBe('BAD_HEADER_VALUE');
  });

  it('only ever throws SipParseError on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (v) => {
      try { parseEvent(v); return true; } catch (err) { return err instanceof SipParseError; }
    }));
  });
});

describe('Subscription-State (RFC 6665 §8.2.3)', () => {
  it('reads the substate (lower-cased), reason, expires and retry-after', () => {
    expect(parseSubscriptionState('active;expires=60')).toMatchObject({ state: 'active', expires: 60 });
    expect(parseSubscriptionState('Terminated;reason=noresource;retry-after=30'))
      .toMatchObject({ state: 'terminated', reason: 'noresource', retryAfter: 30 });
  });

  it('ignores text after the substate that does not start parameters, as sofia-sip does', () => {
    expect(parseSubscriptionState('terminated by notifier')).toMatchObject({ state: 'terminated', params: {} });
  });

  it('only ever throws SipParseError on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (v) => {
      try { parseSubscriptionState(v); return true; } catch (err) { return err instanceof SipParseError; }
    }));
  });

  it('endsSubscription: a NOTIFY whose substate is terminated; nothing else, and no error for a bad value', () => {
    expect(endsSubscription(notify('terminated;reason=timeout'))).toBe(true);
    expect(endsSubscription(notify('TERMINATED'))).toBe(true);
    expect(endsSubscription(notify('active;expires=60'))).toBe(false);
    expect(endsSubscription(notify(undefined))).toBe(false);
    expect(endsSubscription(notify(';reason=x'))).toBe(false);
    expect(endsSubscription({ ...notify('terminated'), method: 'SUBSCRIBE' })).toBe(false);
  });
});
