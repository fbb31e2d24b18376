import { describe, expect, it } from 'vitest';
import { formatVia, parseVia, SipParseError } from '../../../src/sip/message/index.js';

function code(fn: () => unknown): string | undefined {
  try { fn(); } catch (err) { expect(err).toBeInstanceOf(SipParseError); return (err as SipParseError).code; }
  return undefined;
}

describe('parseVia', () => {
  it('reads protocol, transport, sent-by and branch/received/rport (RFC 3261 §20.42, RFC 3581)', () => {
    const [v] = parseVia('SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5067');
    expect(v).toEqual({ protocol: 'SIP/2.0', transport: 'UDP', host: 'pc33.atlanta.com', port: 5066,
      params: { branch: 'z9hG4bK776asdhds', received: '192.0.2.1', rport: '5067' } });
  });

  it('maps a valueless rport to null (RFC 3581 §3: the client asks for it)', () => {
    expect(parseVia('SIP/2.0/TCP client.example.com;rport;branch=z9hG4bKx')[0]!.params).toEqual({ rport: null, branch: 'z9hG4bKx' });
  });

  it('reads IPv6 sent-by and received (RFC 5118 §4.5)', () => {
    const [v] = parseVia('SIP/2.0/UDP [2001:db8::9:1]:5070;received=[2001:db8::9:255];branch=z9hG4bKas3');
    expect(v).toMatchObject({ host: '[2001:db8::9:1]', port: 5070, params: { received: '[2001:db8::9:255]' } });
  });

  it('tolerates LWS around / and : and upper-cases the transport (RFC 4475 §3.1.1.1)', () => {
    const [v] = parseVia('SIP  /   2.0  /  tcp   192.0.2.2 : 5060 ;  branch = z9hG4bK1');
    expect(v).toMatchObject({ protocol: 'SIP/2.0', transport: 'TCP', host: '192.0.2.2', port: 5060, params: { branch: 'z9hG4bK1' } });
  });

  it('splits several via-parms in one header field', () => {
    const vias = parseVia('SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TLS b.example.com:5061;branch=z9hG4bK2');
    expect(vias.map((v) => [v.host, v.transport])).toEqual([['a.example.com', 'UDP'], ['b.example.com', 'TLS']]);
  });

  it('rejects malformed Via values with BAD_VIA', () => {
    for (const bad of ['', 'SIP/2.0/UDP', 'SIP/2.0 host', 'SIP/2.0/UDP 192.0.2.15;;,;,,', 'SIP/2.0/UDP host:99999',
      'SIP/2.0/UDP [2001:db8::1;branch=x', 'SIP/2.0/UDP host;branch=']) {
      expect(code(() => parseVia(bad)), bad).toBe('BAD_VIA');
    }
  });

  it('formatVia output parses back to the same Via', () => {
    const v = parseVia('SIP/2.0/WSS [::1]:443;branch=z9hG4bKa;received=::1;rport=9')[0]!;
    expect(parseVia(formatVia(v))).toEqual([v]);
  });
});
