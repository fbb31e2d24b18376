import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../../src/gateway/config/load.js';
import { apiListenAddress } from '../../../src/gateway/config/api.js';

const base = { trunks: [{ name: 't', sources: ['127.0.0.1/32'], routes: [{ pattern: '*', agent: 'echo' }] }] };
const withOutbound = (outbound: Record<string, unknown>): unknown => ({ trunks: [{ ...base.trunks[0], outbound }] });

function issues(raw: unknown): { path: string; reason: string }[] {
  try { validateConfig(raw); } catch (err) { if (err instanceof ConfigError) return err.issues; throw err; }
  return [];
}

describe('config: trunks[].outbound and api', () => {
  it('defaults: no registration, caller ID in From only, 45 s ring timeout; no api section', () => {
    const c = validateConfig(withOutbound({ proxy: 'sip.carrier.example' }));
    expect(c.trunks[0]!.outbound).toMatchObject({ register: false, caller_id_header: 'from', ring_timeout_s: 45 });
    expect(c.api).toBeUndefined();
  });

  it('takes register: { expires } with its retry default, and names the field of a bad value', () => {
    const c = validateConfig(withOutbound({ proxy: 'sip.carrier.example', username: 'u', password: 'p', register: { expires: 300 } }));
    expect(c.trunks[0]!.outbound!.register).toEqual({ expires: 300, retry_s: 30 });
    expect(issues(withOutbound({ proxy: 'x', register: true }))[0]!.path).toBe('trunks[0].outbound.register');
    expect(issues(withOutbound({ proxy: 'x', caller_id_header: 'pid' }))[0]!.path).toBe('trunks[0].outbound.caller_id_header');
  });

  it('refuses a registration without a user and a username without a password', () => {
    expect(issues(withOutbound({ proxy: 'x', register: {} }))).toEqual([expect.objectContaining({ path: 'trunks[0].outbound.register' })]);
    expect(issues(withOutbound({ proxy: 'x', username: 'u' }))).toEqual([expect.objectContaining({ path: 'trunks[0].outbound.password' })]);
  });

  it('api: listen defaults to 127.0.0.1:8080, the token must be long enough, listen must be host:port', () => {
    expect(validateConfig({ ...base, api: { token: 'x'.repeat(16) } }).api).toEqual({ listen: '127.0.0.1:8080', token: 'x'.repeat(16) });
    expect(issues({ ...base, api: { token: 'short' } })[0]!.path).toBe('api.token');
    expect(issues({ ...base, api: { token: 'x'.repeat(16), listen: '8080' } })[0]!.path).toBe('api.listen');
    expect(apiListenAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
  });
});
