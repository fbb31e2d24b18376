import { describe, expect, it } from 'vitest';
import {
  BRANCH_MAGIC_COOKIE, createResponse, generateBranch, generateCallId, generateTag, parseMessage, reasonPhrase, type SipRequest,
} from '../../../src/sip/message/index.js';

const REQ = [
  'INVITE sip:bob@biloxi.com SIP/2.0',
  'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2, SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK1;received=192.0.2.1',
  'Via: SIP/2.0/TCP origin.example.com;branch=z9hG4bK0',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.com>',
  'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710',
  'CSeq: 314159 INVITE',
  'Timestamp: 54',
  'Record-Route: <sip:proxy.example.com;lr>',
  'Content-Length: 0', '', '',
].join('\r\n');

describe('createResponse (RFC 3261 §8.2.6)', () => {
  const req = parseMessage(REQ) as SipRequest;

  it('copies every Via in order, From, To, Call-ID and CSeq, and uses the default reason phrase', () => {
    const res = createResponse(req, 486);
    expect(res.reason).toBe('Busy Here');
    expect(res.vias.map((v) => v.params.branch)).toEqual(['z9hG4bK2', 'z9hG4bK1', 'z9hG4bK0']);
    expect(res.headers.get('From')).toBe(req.headers.get('From'));
    expect(res.callId).toBe('a84b4c76e66710');
    expect(res.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(res.headers.has('Max-Forwards')).toBe(false);
    expect(res.headers.has('Record-Route')).toBe(false);
  });

  it('a 101–299 response copies every Record-Route value in order, a 100 and a failure none (§12.1.1)', () => {
    const twoProxies = parseMessage(REQ.replace('Record-Route: <sip:proxy.example.com;lr>', 'Record-Route: <sip:p2.example.com;lr;ftag=x>, <sip:p1.example.com;lr>')) as SipRequest;
    for (const status of [180, 183, 200]) {
      expect(createResponse(twoProxies, status).headers.getAll('Record-Route')).toEqual(['<sip:p2.example.com;lr;ftag=x>', '<sip:p1.example.com;lr>']);
    }
    expect(createResponse(twoProxies, 100).headers.has('Record-Route')).toBe(false);
    expect(createResponse(twoProxies, 503).headers.has('Record-Route')).toBe(false);
  });

  it('adds a To tag above 100 when the request had none, and keeps an existing one', () => {
    const res = createResponse(req, 180, undefined, { toTag: 'abc' });
    expect(res.to.params.tag).toBe('abc');
    expect(createResponse(req, 200).to.params.tag).toMatch(/^[0-9a-f]{16}$/);
    const inDialog = parseMessage(REQ.replace('To: Bob <sip:bob@biloxi.com>', 'To: Bob <sip:bob@biloxi.com>;tag=xyz')) as SipRequest;
    expect(createResponse(inDialog, 200).to.params.tag).toBe('xyz');
  });

  it('100 Trying has no To tag and copies Timestamp (§8.2.6.1)', () => {
    const res = createResponse(req, 100);
    expect(res.reason).toBe('Trying');
    expect(res.to.params.tag).toBeUndefined();
    expect(res.headers.get('Timestamp')).toBe('54');
    expect(createResponse(req, 200).headers.has('Timestamp')).toBe(false);
  });

  it('takes a custom reason, extra headers and a body, and parses back', () => {
    const res = createResponse(req, 200, 'Fine', { headers: [{ name: 'Contact', value: '<sip:bob@192.0.2.4>' }, { name: 'Content-Type', value: 'application/sdp' }], body: 'v=0\r\n' });
    const back = parseMessage(res.toBuffer());
    expect(back.kind === 'response' && back.reason).toBe('Fine');
    expect(back.headers.get('Contact')).toBe('<sip:bob@192.0.2.4>');
    expect(back.body.toString()).toBe('v=0\r\n');
  });

  it('reasonPhrase knows the standard codes and falls back to the class', () => {
    expect(reasonPhrase(481)).toBe('Call/Transaction Does Not Exist');
    expect(reasonPhrase(422)).toBe('Session Interval Too Small');
    expect(reasonPhrase(499)).toBe('Bad Request');
    expect(reasonPhrase(603)).toBe('Decline');
  });
});

describe('identifiers', () => {
  it('branches start with the magic cookie z9hG4bK (§8.1.1.7) and are unique', () => {
    const set = new Set(Array.from({ length: 1000 }, generateBranch));
    expect(set.size).toBe(1000);
    for (const b of set) expect(b.startsWith(BRANCH_MAGIC_COOKIE)).toBe(true);
  });

  it('tags and Call-IDs are unique tokens; Call-ID takes an optional host', () => {
    const tags = new Set(Array.from({ length: 1000 }, generateTag));
    expect(tags.size).toBe(1000);
    expect(generateCallId('192.0.2.1')).toMatch(/^[0-9a-f]{32}@192\.0\.2\.1$/);
    expect(generateCallId()).not.toBe(generateCallId());
  });
});
