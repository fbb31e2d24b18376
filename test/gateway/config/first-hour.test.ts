/**
 * A new user's first hour, run as they run it: the built bin (`node dist/cli.js start`, run
 * `npm run build` first) in a child process, with a config and an agent in a temporary folder
 * outside the checkout, started from yet another working directory.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, freePortRange, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { byeFromCaller, expectAnswer, invite, pause, scenario, scenarioFile } from '../helpers/scenarios.js';

const cli = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));
const template = fileURLToPath(new URL('../../../examples/agents/beep-agent.ts', import.meta.url));
const jsTemplate = fileURLToPath(new URL('../../../examples/agents/echo-agent.mjs', import.meta.url));

interface Run { code: number | null; stdout: string; stderr: string; lines: Record<string, unknown>[] }

/** Runs the bin from `cwd`; `onLine` sees each JSON log line and may stop the process. */
function runBin(args: string[], cwd: string, onLine?: (line: Record<string, unknown>, stop: () => void) => void): Promise<Run> {
  // A user's environment: none of vitest's variables (VITEST makes the registry leave .ts to vite).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, TRUNKGATE_LOG_LEVEL: 'info', TRUNKGATE_LOG_FORMAT: 'json' } });
  let stdout = '';
  let stderr = '';
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      if (!p) continue;
      const line = JSON.parse(p) as Record<string, unknown>;
      lines.push(line);
      onLine?.(line, () => child.kill('SIGTERM'));
    }
  });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const guard = setTimeout(() => child.kill('SIGKILL'), 40_000);
  return new Promise((resolve) => child.on('close', (code) => { clearTimeout(guard); resolve({ code, stdout, stderr, lines }); }));
}

async function userFolder(agentFile: string, extra: { agents?: string; trunk?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tg-user-'));
  copyFileSync(/\.[cm]?ts$/.test(agentFile) ? template : jsTemplate, join(dir, agentFile));
  const sip = await freePort();
  const control = await freePort();
  const media = await freePortRange(20);
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, `sip: { listen: [{ address: 127.0.0.1, port: ${sip}, transport: udp }] }
drachtio: { embedded: { host: 127.0.0.1, port: ${control}, secret: s } }
trunks:
  - name: carrier
    sources: [127.0.0.1/32]
    routes: [{ pattern: "*", agent: beeper }]
${extra.trunk ?? ''}
agents:
  beeper: { type: module, module: ./${agentFile}, settings: { greeting_hz: 660 } }
${extra.agents ?? ''}
media: { address: 127.0.0.1, port_min: ${media.min}, port_max: ${media.max} }
shutdown: { grace_seconds: 1 }
`);
  return { dir, config, sip, elsewhere: mkdtempSync(join(tmpdir(), 'tg-cwd-')) };
}

const isStartup = (l: Record<string, unknown>): boolean => l.event === 'startup';

describe('trunkgate start with a config and an agent outside the checkout', () => {
  it.each(['beep-agent.ts', 'beep-agent.mts', 'echo-agent.mjs', 'echo-agent.js'])('loads %s by a module path relative to the config file, from another working directory, and says what it loaded', async (file) => {
    const u = await userFolder(file);
    const r = await runBin(['start', '--config', u.config], u.elsewhere, (l, stop) => { if (isStartup(l)) stop(); });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const startup = r.lines.find(isStartup)!;
    expect(startup.config).toBe(u.config);
    expect(startup.agents).toEqual({ beeper: `module ${join(u.dir, file)}` });
    expect(startup.msg).toMatch(/1 trunk \(carrier\), 1 route, agents beeper=module/);
  }, 60_000);

  it('answers a SIPp call with the copied TypeScript template agent', async () => {
    const u = await userFolder('beep-agent.ts');
    let ready: () => void = () => undefined;
    const started = new Promise<void>((resolve) => { ready = resolve; });
    let answered = false;
    const run = runBin(['start', '--config', u.config], u.elsewhere, (l, stop) => {
      if (isStartup(l)) ready();
      if (l.msg === 'beep agent answering') answered = true;
      if (l.event === 'call_end') stop();
    });
    await started;
    const scn = scenarioFile('uac-first-hour', scenario('uac-first-hour', `${invite()}${expectAnswer}${pause(500)}${byeFromCaller()}`));
    const s = await runSipp({ args: ['-sf', scn, `127.0.0.1:${u.sip}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'], timeoutMs: 20_000 });
    expect(s.code, s.errors).toBe(0);
    const r = await run;
    expect(answered).toBe(true);
    expect(r.code).toBe(0);
  }, 60_000);

  it('takes `on_reject: 403` unquoted and a bare source address as one host, with a note', async () => {
    const u = await userFolder('beep-agent.ts', { trunk: '    on_reject: 403\n  - name: other\n    sources: [192.0.2.7]\n    routes: [{ pattern: "*", agent: echo }]' });
    const r = await runBin(['start', '--config', u.config], u.elsewhere, (l, stop) => { if (isStartup(l)) stop(); });
    expect(r.code).toBe(0);
    const note = r.lines.find((l) => l.path === 'trunks[1].sources[0]');
    expect(note?.msg).toContain('192.0.2.7/32');
    expect((r.lines.find(isStartup)!.trunks as { sources: string[] }[])[1]!.sources).toEqual(['192.0.2.7/32']);
  }, 60_000);
});

describe('trunkgate start with a broken agent definition exits 2 before listening, naming the file and the field', () => {
  it.each([
    ['a misspelt type', "  typo: { type: modul, module: ./x.ts }\n", 'agents.typo.type', /valid types: echo, demo, websocket.*module/],
    ['a module file that is not there', '  gone: { type: module, module: ./missing.ts }\n', 'agents.gone.module', /no such file: .*missing\.ts/],
    ['bad websocket settings', '  bot: { type: websocket, settings: { url: http://x } }\n', 'agents.bot.settings', /url must be ws/],
  ])('%s', async (_what, agents, field, reason) => {
    const u = await userFolder('beep-agent.ts', { agents });
    const r = await runBin(['start', '--config', u.config], u.elsewhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(u.config);
    expect(r.stderr).toContain(field);
    expect(r.stderr).toMatch(reason);
    expect(r.stdout).not.toContain('connected to drachtio server');
  }, 60_000);

  it('a module that fails to import or exports no factory', async () => {
    const u = await userFolder('beep-agent.ts', { agents: '  broken: { type: module, module: ./broken.mjs }\n  empty: { type: module, module: ./empty.js }\n' });
    writeFileSync(join(u.dir, 'broken.mjs'), 'export default function ( {\n');
    writeFileSync(join(u.dir, 'empty.js'), 'export const nothing = 1;\n');
    const r = await runBin(['start', '--config', u.config], u.elsewhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('agents.broken.module');
    expect(r.stderr).toMatch(/agents\.empty\.module: .*exports neither a default factory nor createAgent/);
  }, 60_000);

  it('an --agent that names no agent', async () => {
    const u = await userFolder('beep-agent.ts');
    const r = await runBin(['start', '--config', u.config, '--agent', 'nobody'], u.elsewhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--agent: unknown agent 'nobody' \(agents: beeper/);
  }, 60_000);
});
