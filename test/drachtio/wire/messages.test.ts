import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatCdr, formatResponse, formatSipEvent, formatSipSent, formatStackTime, parseClientMessage,
  type SipMessageMeta,
} from '../../../src/drachtio/wire/messages.js';
import { DrachtioError } from '../../../src/drachtio/errors.js';

const meta: SipMessageMeta = { source: 'network', bytes: 321, protocol: 'udp', address: '127.0.0.1', port: 5070, time: '10:11:12.000123' };

describe('drachtio control messages from applications', () => {
  it('parses authenticate with secret and comma-separated tags', () => {
    expect(parseClientMessage('m1|authenticate|cymru|a,b')).toEqual({ verb: 'authenticate', msgId: 'm1', secret: 'cymru', tags: ['a', 'b'] });
    expect(parseClientMessage('m1|authenticate|cymru|')).toMatchObject({ tags: [] });
  });

  it('parses route, remove_route and ping', () => {
    expect(parseClientMessage('m2|route|invite')).toEqual({ verb: 'route', msgId: 'm2', route: 'invite' });
    expect(parseClientMessage('m3|remove_route|cdr:start')).toEqual({ verb: 'remove_route', msgId: 'm3', route: 'cdr:start' });
    expect(parseClientMessage('m4|ping')).toEqual({ verb: 'ping', msgId: 'm4' });
  });

  it('parses a sip message with transaction id, dialog id, route uri and SIP text', () => {
    const m = parseClientMessage('m5|sip|txn|dlg|sip:proxy@127.0.0.1\r\nBYE sip:x SIP/2.0\r\n\r\n');
    expect(m).toEqual({ verb: 'sip', msgId: 'm5', transactionId: 'txn', dialogId: 'dlg', routeUri: 'sip:proxy@127.0.0.1', sip: 'BYE sip:x SIP/2.0\r\n\r\n' });
  });

  it('parses a proxy request as drachtio-srf writes it', () => {
    const m = parseClientMessage('m6|proxy|txn|remainInDialog|fullResponse||serial|||sip:a@127.0.0.1:5080\r\nINVITE sip:a@127.0.0.1:5080 SIP/2.0\r\n\r\n');
    expect(m).toMatchObject({ verb: 'proxy', transactionId: 'txn', recordRoute: true, fullResponse: true, followRedirects: false,
      simultaneous: false, destinations: ['sip:a@127.0.0.1:5080'] });
  });

  it('reports an unknown verb instead of throwing', () => {
    expect(parseClientMessage('m7|dance')).toEqual({ verb: 'unknown', msgId: 'm7', name: 'dance' });
  });

  it('rejects a message without a verb with DRACHTIO_BAD_MESSAGE', () => {
    expect(() => parseClientMessage('lonely')).toThrow(DrachtioError);
  });
});

describe('drachtio control messages to applications', () => {
  it('places response tokens where drachtio-srf reads them', () => {
    const t = formatResponse('m1', true, 'udp/127.0.0.1:5060|v0.9.3|udp/127.0.0.1:5060').split('|');
    expect(t.slice(1)).toEqual(['response', 'm1', 'OK', 'udp/127.0.0.1:5060', 'v0.9.3', 'udp/127.0.0.1:5060']);
  });

  it('places sip event metadata at tokens 2–9 (source … transaction id, dialog id)', () => {
    const msg = formatSipEvent(meta, 'txn-1', 'dlg-1', 'INVITE sip:x SIP/2.0\r\n\r\n');
    const [leader, rest] = [msg.slice(0, msg.indexOf('\r\n')), msg.slice(msg.indexOf('\r\n') + 2)];
    const t = leader.split('|');
    expect(t.slice(1, 10)).toEqual(['sip', 'network', '321', 'udp', '127.0.0.1', '5070', '10:11:12.000123', 'txn-1', 'dlg-1']);
    expect(rest).toBe('INVITE sip:x SIP/2.0\r\n\r\n');
  });

  it('puts the transaction id at token 10 and the dialog id at token 11 of a sent-message reply', () => {
    const t = formatSipSent('m9', { ...meta, source: 'application' }, 'txn', 'dlg', 'SIP/2.0 200 OK\r\n\r\n').split('\r\n')[0]!.split('|');
    expect(t[3]).toBe('OK');
    expect(t[4]).toBe('application');
    expect(t[10]).toBe('txn');
    expect(t[11]).toBe('dlg');
  });

  it('formats cdr records as cdr:<type>|source|time|role-or-reason', () => {
    const t = formatCdr({ type: 'stop', source: 'network', time: '01:02:03.000004', reason: 'normal-release' }, 'BYE sip:x SIP/2.0\r\n\r\n').split('\r\n')[0]!.split('|');
    expect(t.slice(1)).toEqual(['cdr:stop', 'network', '01:02:03.000004', 'normal-release']);
  });

  it('property: stack time is hh:mm:ss.uuuuuu of the UTC time of day', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), (ms) => {
      const s = formatStackTime(ms);
      expect(s).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{6}$/);
      const d = new Date(ms);
      expect(s.slice(0, 8)).toBe(d.toISOString().slice(11, 19));
      expect(Number(s.slice(9))).toBe(d.getUTCMilliseconds() * 1000);
    }));
  });
});
