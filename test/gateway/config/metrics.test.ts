import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../../src/gateway/config/load.js';
import { splitHostPort } from '../../../src/gateway/config/metrics.js';

const base = { trunks: [{ name: 't', sources: ['127.0.0.1/32'], routes: [{ pattern: '*', agent: 'echo' }] }] };

function issues(raw: unknown): { path: string; reason: string }[] {
  try { validateConfig(raw); } catch (err) { if (err instanceof ConfigError) return err.issues; throw err; }
  throw new Error('no ConfigError');
}

describe('config: metrics, media timeouts, shutdown', () => {
  it('no metrics section: no listener; metrics: {} listens on 127.0.0.1:9464', () => {
    expect(validateConfig(base).metrics).toBeUndefined();
    expect(validateConfig({ ...base, metrics: {} }).metrics).toEqual({ listen: '127.0.0.1:9464' });
    expect(validateConfig({ ...base, metrics: { listen: '[::1]:9100' } }).metrics).toEqual({ listen: '[::1]:9100' });
  });

  it('a listen that is not host:port, or a port above 65535, is a ConfigError naming metrics.listen', () => {
    expect(issues({ ...base, metrics: { listen: '9464' } })).toEqual([expect.objectContaining({ path: 'metrics.listen' })]);
    expect(issues({ ...base, metrics: { listen: '127.0.0.1:70000' } })).toEqual([expect.objectContaining({ path: 'metrics.listen', reason: 'port must be 0–65535' })]);
    expect(issues({ ...base, metrics: { listen: '127.0.0.1:9464', path: '/m' } })[0]!.path).toBe('metrics');
  });

  it('splitHostPort takes IPv6 out of its brackets', () => {
    expect(splitHostPort('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(splitHostPort('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it('media.rtp_timeout_s defaults to 60 and hold_timeout_s to 3600; negatives are refused', () => {
    const c = validateConfig(base);
    expect([c.media.rtp_timeout_s, c.media.hold_timeout_s, c.shutdown.grace_seconds]).toEqual([60, 3600, 30]);
    expect(issues({ ...base, media: { rtp_timeout_s: -1 } })[0]!.path).toBe('media.rtp_timeout_s');
  });
});
