import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, loadConfigWithNotes, parseConfigText, validateConfig } from '../../../src/gateway/config/load.js';

const minimal = { trunks: [{ name: 't', sources: ['127.0.0.1/32'], routes: [{ pattern: '*', agent: 'echo' }] }] };
const issuesOf = (fn: () => unknown): { path: string }[] => {
  try { fn(); } catch (err) { if (err instanceof ConfigError) return err.issues; throw err; }
  throw new Error('no ConfigError');
};

describe('gateway configuration', () => {
  it('fills defaults: embedded drachtio, UDP 5060 listener, media range, session timers', () => {
    const c = validateConfig(minimal);
    expect(c.drachtio).toMatchObject({ mode: 'embedded', host: '127.0.0.1', port: 9022 });
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
    [{ trunks: [{ ...minimal.trunks[0], record: true }] }, 'trunks[0].record'],
    [{ trunks: [{ ...minimal.trunks[0], record: true }], media: { anchor: 'rtpengine', rtpengine: { ng: ['127.0.0.1:22222'] } } }, 'trunks[0].record'],
  ])('names the field of a bad value (%#: %s)', (raw, path) => {
    expect(issuesOf(() => validateConfig(raw)).map((i) => i.path)).toContain(path);
  });

  it('reports YAML syntax errors as CONFIG_YAML and a missing file as CONFIG_UNREADABLE', () => {
    expect(() => parseConfigText('trunks: [ {name: x\n', 'x.yaml')).toThrow(expect.objectContaining({ code: 'CONFIG_YAML', file: 'x.yaml' }));
    expect(() => loadConfig('/nonexistent/trunkgate.yaml')).toThrow(expect.objectContaining({ code: 'CONFIG_UNREADABLE' }));
  });

  it('reads an unquoted on_reject: 403 (a YAML number) as the 403 choice and explains a wrong value', () => {
    expect(parseConfigText('trunks: [{ name: t, sources: [127.0.0.1/32], on_reject: 403, routes: [{ pattern: "*", agent: echo }] }]').trunks[0]!.on_reject).toBe('403');
    expect(() => validateConfig({ ...minimal, trunks: [{ ...minimal.trunks[0], on_reject: 404 }] })).toThrow(expect.objectContaining({ message: expect.stringContaining('on_reject must be drop (no answer) or 403') }));
  });

  it('writes a bare source address out as one host (/32, /128)', () => {
    const c = validateConfig({ ...minimal, trunks: [{ ...minimal.trunks[0], sources: ['192.0.2.7', '2001:db8::1', '10.0.0.0/8'] }] });
    expect(c.trunks[0]!.sources).toEqual(['192.0.2.7/32', '2001:db8::1/128', '10.0.0.0/8']);
  });

  it('lists the valid agent types for an unknown one', () => {
    expect(() => validateConfig({ ...minimal, agents: { x: { type: 'modul' } } })).toThrow(expect.objectContaining({
      issues: [expect.objectContaining({ path: 'agents.x.type', reason: expect.stringMatching(/unknown agent type 'modul' \(valid types: echo, demo, websocket.*module\)/) })],
    }));
  });

  it('checks a websocket agent\'s settings with the config', () => {
    expect(() => validateConfig({ ...minimal, agents: { bot: { type: 'websocket', settings: { url: 'ws://x', format: 'sip' } } } })).toThrow(expect.objectContaining({
      issues: [expect.objectContaining({ path: 'agents.bot.settings' })],
    }));
  });

  it('resolves a module path against the config file\'s folder, not the working directory, and notes bare addresses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-cfg-'));
    mkdirSync(join(dir, 'agents'));
    writeFileSync(join(dir, 'agents', 'a.mjs'), 'export default () => ({ start() {} });\n');
    writeFileSync(join(dir, 'g.yaml'), 'trunks: [{ name: t, sources: [127.0.0.1], routes: [{ pattern: "*", agent: a }] }]\nagents: { a: { type: module, module: agents/a.mjs } }\n');
    const { config, notes } = loadConfigWithNotes(join(dir, 'g.yaml'));
    expect(config.agents.a!.module).toBe(join(dir, 'agents', 'a.mjs'));
    expect(notes).toEqual([{ path: 'trunks[0].sources[0]', reason: "'127.0.0.1' is one address: taken as 127.0.0.1/32" }]);
    writeFileSync(join(dir, 'bad.yaml'), 'trunks: [{ name: t, sources: [127.0.0.1/32], routes: [{ pattern: "*", agent: a }] }]\nagents: { a: { type: module, module: agents/none.mjs } }\n');
    expect(() => loadConfig(join(dir, 'bad.yaml'))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', issues: [expect.objectContaining({ path: 'agents.a.module' })] }));
  });
});
