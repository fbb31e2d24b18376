import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../../src/gateway/config/load.js';
import { legSrtpPolicy } from '../../../src/gateway/config/leg-srtp.js';
import { resolveTarget } from '../../../src/gateway/transfer/targets.js';

const trunk = { name: 't', sources: ['127.0.0.1/32'], routes: [{ pattern: '*', agent: 'echo' }] };
const issuePaths = (raw: unknown): string[] => {
  try { validateConfig(raw); } catch (err) { if (err instanceof ConfigError) return err.issues.map((i) => i.path); throw err; }
  return [];
};

describe('SRTP on legs the gateway places (config srtp on transfer_targets and SIP routes)', () => {
  it('a sips: URI gets mandatory by default, a sip: URI off; an explicit srtp wins', () => {
    expect(legSrtpPolicy('sips:desk@pbx.example.com', undefined)).toBe('mandatory');
    expect(legSrtpPolicy('sip:desk@pbx.example.com', undefined)).toBe('off');
    expect(legSrtpPolicy('sips:desk@pbx.example.com', 'optional')).toBe('optional');
  });

  it('refuses SDES keys toward a URI not reached over TLS unless srtp_keys_without_tls is set', () => {
    expect(issuePaths({ trunks: [trunk], transfer_targets: { d: { uri: 'sip:d@pbx.example.com', srtp: 'mandatory' } } })).toContain('transfer_targets.d.srtp');
    expect(issuePaths({ trunks: [{ ...trunk, routes: [{ pattern: '*', sip: 'sip:bot@ai.example.com', srtp: 'optional' }] }] })).toContain('trunks[0].routes[0].srtp');
    expect(issuePaths({ trunks: [trunk], transfer_targets: { d: { uri: 'sip:d@pbx.example.com;transport=tls', srtp: 'mandatory' } } })).toEqual([]);
    expect(issuePaths({ trunks: [trunk], transfer_targets: { d: { uri: 'sip:d@pbx.example.com', srtp: 'mandatory', srtp_keys_without_tls: true } } })).toEqual([]);
  });

  it('resolveTarget: a named target carries its policy; a number through a trunk without TLS gets no keys (optional) or cannot be placed (mandatory)', () => {
    const cfg = validateConfig({ trunks: [{ ...trunk, srtp: 'optional' }], transfer_targets: { d: { uri: 'sip:d@pbx.example.com;transport=tls', srtp: 'mandatory' } } });
    const ctx = { config: cfg, trunk: cfg.trunks[0]!, callerNumber: '15551234567', carrierAddress: '127.0.0.1' };
    expect(resolveTarget('d', ctx).srtp).toMatchObject({ policy: 'mandatory' });
    expect(resolveTarget('sips:x@pbx.example.com', ctx).srtp).toMatchObject({ policy: 'mandatory' });
    expect(resolveTarget('+918001234567', ctx).srtp).toEqual({ policy: 'off' });
    const strict = { ...ctx, trunk: { ...ctx.trunk, srtp: 'mandatory' as const } };
    expect(() => resolveTarget('+918001234567', strict)).toThrow(expect.objectContaining({ code: 'TRANSFER_TARGET_INVALID' }));
    const tlsCfg = validateConfig({ trunks: [{ ...trunk, srtp: 'optional', outbound: { proxy: 'sip:carrier.example.com;transport=tls' } }] });
    const tls = { ...ctx, trunk: tlsCfg.trunks[0]! };
    expect(resolveTarget('+918001234567', tls).srtp).toMatchObject({ policy: 'optional' });
  });
});
