import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/gateway/config/load.js';
import type { TrunkConfig } from '../../../src/gateway/config/schema.js';
import { resolveTarget, TransferTargetError, type TargetContext } from '../../../src/gateway/transfer/targets.js';

function context(trunk: Record<string, unknown> = {}, targets: Record<string, unknown> = {}): TargetContext {
  const config = validateConfig({
    trunks: [{ name: 'carrier', sources: ['127.0.0.1/32'], country_code: '91', national_prefix: '0', routes: [{ pattern: '*', agent: 'echo' }], ...trunk }],
    agents: { echo: { type: 'echo' } },
    transfer_targets: targets,
  });
  return { config, trunk: config.trunks[0] as TrunkConfig, callerNumber: '+919812345678', carrierAddress: '192.0.2.10' };
}

describe('resolveTarget', () => {
  it('a name in transfer_targets: its URI, caller ID, ring time and headers', () => {
    const ctx = context({}, { support: { uri: 'sip:support@pbx.example.com:5070', caller_id: 'gateway', timeout_s: 12, headers: { 'X-Queue': 'gold' } } });
    expect(resolveTarget('support', ctx)).toEqual({
      name: 'support', inviteUri: 'sip:support@pbx.example.com:5070', referTo: 'sip:support@pbx.example.com:5070',
      callerId: 'trunkgate', timeoutSec: 12, headers: { 'X-Queue': 'gold' }, srtp: { policy: 'off' },
    });
  });

  it('a SIP URI: called and referred as written; the caller\'s number is the caller ID', () => {
    expect(resolveTarget('sip:desk@10.1.2.3;transport=tcp', context())).toMatchObject({ inviteUri: 'sip:desk@10.1.2.3;transport=tcp', referTo: 'sip:desk@10.1.2.3;transport=tcp', callerId: '+919812345678', timeoutSec: 30 });
    expect(resolveTarget('sip:desk@10.1.2.3', context())).not.toHaveProperty('proxy');
  });

  it('a number without outbound settings goes back to the carrier the call came from', () => {
    expect(resolveTarget('09876543210', context())).toMatchObject({ inviteUri: 'sip:+919876543210@192.0.2.10', referTo: 'sip:+919876543210@192.0.2.10' });
  });

  it('a number with outbound settings: to the outbound proxy with its credentials', () => {
    const ctx = context({ outbound: { proxy: 'sip.carrier.example:5080', username: 'u', password: 'p' } });
    expect(resolveTarget('+91 98765-43210', ctx)).toMatchObject({
      inviteUri: 'sip:+919876543210@sip.carrier.example:5080', proxy: 'sip:sip.carrier.example:5080', auth: { username: 'u', password: 'p' },
    });
  });

  it('a tel: URI, and transfer.uri_scheme tel writes numbers as tel: in the Refer-To (RFC 3966)', () => {
    const ctx = context({ transfer: { uri_scheme: 'tel' }, outbound: { proxy: 'sip:sip.carrier.example' } });
    expect(resolveTarget('tel:+919876543210', ctx)).toMatchObject({ inviteUri: 'sip:+919876543210@sip.carrier.example', referTo: 'tel:+919876543210', proxy: 'sip:sip.carrier.example' });
    expect(resolveTarget('9876543210', ctx).referTo).toBe('tel:+919876543210');
  });

  it('a named target whose URI is a number goes through the trunk too', () => {
    const ctx = context({ outbound: { proxy: 'sip.carrier.example' } }, { sales: { uri: '+919800000001', caller_id: '+911140000000' } });
    expect(resolveTarget('sales', ctx)).toMatchObject({ name: 'sales', inviteUri: 'sip:+919800000001@sip.carrier.example', callerId: '+911140000000' });
  });

  it.each(['', 'nobody', 'sip:', 'sip:desk @pbx', 'mailto:desk@pbx', '12'])('%j is a TransferTargetError', (t) => {
    expect(() => resolveTarget(t, context())).toThrow(TransferTargetError);
    try { resolveTarget(t, context()); } catch (err) { expect((err as TransferTargetError).code).toBe('TRANSFER_TARGET_INVALID'); }
  });

  it('every written form of a national number reaches the same URI (property)', () => {
    const ctx = context();
    fc.assert(fc.property(fc.stringMatching(/^[6-9]\d{9}$/), (nsn) => {
      const uris = new Set([`+91${nsn}`, `0${nsn}`, nsn, `tel:+91${nsn}`, `+91 ${nsn.slice(0, 5)}-${nsn.slice(5)}`].map((f) => resolveTarget(f, ctx).inviteUri));
      expect([...uris]).toEqual([`sip:+91${nsn}@192.0.2.10`]);
    }));
  });
});
