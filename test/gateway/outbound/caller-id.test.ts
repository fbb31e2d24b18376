import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/gateway/config/load.js';
import { callerIdHeaders } from '../../../src/gateway/outbound/dialer.js';

const trunk = (caller_id_header?: string) => validateConfig({
  trunks: [{ name: 't', sources: ['127.0.0.1/32'], routes: [{ pattern: '*', agent: 'echo' }], outbound: { proxy: 'sip.carrier.example', ...(caller_id_header ? { caller_id_header } : {}) } }],
}).trunks[0]!;

describe('callerIdHeaders: where an outbound call\'s caller ID goes', () => {
  it('from (default): the From header only', () => {
    expect(callerIdHeaders(trunk(), '+14155550100', 'sip.carrier.example')).toEqual({ From: '<sip:+14155550100@sip.carrier.example>' });
  });
  it('pai: also P-Asserted-Identity (RFC 3325 §9.1)', () => {
    expect(callerIdHeaders(trunk('pai'), '+14155550100', 'c.example')).toEqual({ From: '<sip:+14155550100@c.example>', 'P-Asserted-Identity': '<sip:+14155550100@c.example>' });
  });
  it('rpid: also Remote-Party-ID, screened and not private', () => {
    expect(callerIdHeaders(trunk('rpid'), '+14155550100', 'c.example')['Remote-Party-ID']).toBe('<sip:+14155550100@c.example>;party=calling;screen=yes;privacy=off');
  });
  it('a caller ID that is not a SIP user part becomes anonymous', () => {
    expect(callerIdHeaders(trunk(), 'bad id>', 'c.example').From).toBe('<sip:anonymous@c.example>');
  });
});
