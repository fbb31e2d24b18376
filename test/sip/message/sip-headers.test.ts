import { describe, expect, it } from 'vitest';
import { SipHeaders } from '../../../src/sip/message/index.js';

describe('SipHeaders', () => {
  it('get() is case-insensitive and accepts compact forms in both directions', () => {
    const h = new SipHeaders([{ name: 'v', value: 'SIP/2.0/UDP a;branch=z9hG4bK1' }, { name: 'CALL-ID', value: 'abc' }]);
    expect(h.get('Via')).toBe('SIP/2.0/UDP a;branch=z9hG4bK1');
    expect(h.get('i')).toBe('abc');
    expect(h.get('call-id')).toBe('abc');
    expect(h.fields()[0]!.name).toBe('Via');
    for (const [c, full] of [['f', 'From'], ['t', 'To'], ['m', 'Contact'], ['l', 'Content-Length'], ['c', 'Content-Type'],
      ['e', 'Content-Encoding'], ['k', 'Supported'], ['s', 'Subject'], ['r', 'Refer-To'], ['b', 'Referred-By'], ['o', 'Event'],
      ['u', 'Allow-Events'], ['x', 'Session-Expires']] as const) {
      const hh = new SipHeaders([{ name: c, value: 'v' }]);
      expect(hh.get(full), c).toBe('v');
      expect(hh.fields()[0]!.name).toBe(full);
    }
  });

  it('getAll() splits list headers on commas outside quotes and <>, and keeps other headers whole', () => {
    const h = new SipHeaders([
      { name: 'Contact', value: '"Doe, John" <sip:j@a;x=1,2>, <sip:k@b>' },
      { name: 'Contact', value: 'sip:l@c' },
      { name: 'Supported', value: 'timer,100rel' },
      { name: 'Subject', value: 'hello, world' },
      { name: 'WWW-Authenticate', value: 'Digest realm="a", nonce="b"' },
    ]);
    expect(h.getAll('m')).toEqual(['"Doe, John" <sip:j@a;x=1,2>', '<sip:k@b>', 'sip:l@c']);
    expect(h.getAll('k')).toEqual(['timer', '100rel']);
    expect(h.getAll('Subject')).toEqual(['hello, world']);
    expect(h.getAll('www-authenticate')).toEqual(['Digest realm="a", nonce="b"']);
    expect(h.getAll('Route')).toEqual([]);
    expect(new SipHeaders([{ name: 'Contact', value: '"unbalanced <sip:a@b>, <sip:c@d>' }]).getAll('Contact'))
      .toEqual(['"unbalanced <sip:a@b>, <sip:c@d>']);
  });

  it('set() replaces every field of a name in place; append/prepend/remove/has keep order', () => {
    const h = new SipHeaders();
    h.append('Via', 'v2').append('To', 't').append('via', 'v3').prepend('Via', 'v1');
    expect(h.getAll('Via')).toEqual(['v1', 'v2', 'v3']);
    h.set('VIA', 'only');
    expect(h.fields()).toEqual([{ name: 'VIA', value: 'only' }, { name: 'To', value: 't' }]);
    expect(h.has('t')).toBe(true);
    expect(h.remove('to')).toBe(1);
    expect(h.has('To')).toBe(false);
    h.set('X-New', '1');
    expect(h.get('x-new')).toBe('1');
  });

  it('removeFirst() drops only the topmost value of a combined list header', () => {
    const h = new SipHeaders([{ name: 'Via', value: 'a, b' }, { name: 'Via', value: 'c' }]);
    h.removeFirst('Via');
    expect(h.getAll('Via')).toEqual(['b', 'c']);
    h.removeFirst('Via');
    expect(h.getAll('Via')).toEqual(['c']);
  });

  it('clone() is independent and every mutation bumps version', () => {
    const h = new SipHeaders([{ name: 'To', value: 'a' }]);
    const c = h.clone();
    const v = h.version;
    h.set('To', 'b');
    expect(h.version).toBeGreaterThan(v);
    expect(c.get('To')).toBe('a');
  });
});
