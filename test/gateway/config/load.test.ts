import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigText, validateConfig } from '../../../src/gateway/config/load.js';

const minimal = { trunks: [{ name: 't', sources: ['127.0.0.1/32'], routes: [{ pattern: '*', agent: 'echo' }] }] };
const issuesOf = (fn: () => unknown): { path: string }[] => {
  try { fn(); } catch (err) { if (err instanceof ConfigError) return err.issues; throw err; }
  throw new Error('no ConfigError');
};

describe('gateway configuration', () => {
  it('fills defaults: embedded drachtio, UDP 5060 listener, media range, session timers', () => {
    const c = validateConfig(minimal);
    expect(c.drachtio.embedded).toMatchObject({ host: '127.0.0.1', port: 9022 });
    expect(c.sip.listen[0]).toMatchObject({ port: 5060, transport: 'udp' });
    expect(c.media).toMatchObject({ port_min: 30000, ptime: 20 });
    expect(c.session_timers).toMatchObject({ enabled: true, min_se: 90 });
    expect(c.trunks[0]).toMatchObject({ on_reject: 'drop', max_calls: 100 });
  });

  it('ships sip-configs/default.yaml and sip-configs/vobiz.yaml that validate', () => {
    const dflt = loadConfig(fileURLToPath(new URL('../../../sip-configs/default.yaml', import.meta.url)));
    expect(dflt.trunks[0]!.routes[0]!.agent).toBe('demo');
    expect(dflt.sip.listen.map((l) => l.transport).sort()).toEqual(['tcp', 'udp']);
    const vobiz = loadConfig(fileURLToPath(new URL('../../../sip-configs/vobiz.yaml', import.meta.url)));
    expect(vobiz.trunks[0]!.name).toBe('vobiz');
  });

  it.each([
    [{ ...minimal, trunks: [{ ...minimal.trunks[0], sources: ['10.0.0.0/40'] }] }, 'trunks[0].sources[0]'],
    [{ ...minimal, trunks: [{ ...minimal.trunks[0], routes: [{ pattern: '*', agent: 'nobody' }] }] }, 'trunks[0].routes[0].agent'],
    [{ ...minimal, trunks: [{ ...minimal.trunks[0], routes: [{ pattern: 'abc', agent: 'echo' }] }] }, 'trunks[0].routes[0].pattern'],
    [{ ...minimal, trunks: [{ ...minimal.trunks[0], codecs: ['G729'] }] }, 'trunks[0].codecs[0]'],
    [{ ...minimal, trunks: [{ ...minimal.trunks[0], on_reject: '404' }] }, 'trunks[0].on_reject'],
    [{ ...minimal, media: { port_min: 40000, port_max: 30000 } }, 'media.port_max'],
    [{ ...minimal, transfer_targets: { human: { uri: 'http://x' } } }, 'transfer_targets.human.uri'],
    [{ ...minimal, agents: { mine: { type: 'module' } } }, 'agents.mine.module'],
    [{ ...minimal, surprise: 1 }, ''],
  ])('names the field of a bad value (%#: %s)', (raw, path) => {
    expect(issuesOf(() => validateConfig(raw)).map((i) => i.path)).toContain(path);
  });

  it('reports YAML syntax errors as CONFIG_YAML and a missing file as CONFIG_UNREADABLE', () => {
    expect(() => parseConfigText('trunks: [ {name: x\n', 'x.yaml')).toThrow(expect.objectContaining({ code: 'CONFIG_YAML', file: 'x.yaml' }));
    expect(() => loadConfig('/nonexistent/trunkgate.yaml')).toThrow(expect.objectContaining({ code: 'CONFIG_UNREADABLE' }));
  });
});
