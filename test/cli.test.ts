/**
 * The `trunkgate` command as a user runs it: the built bin (dist/cli.js, what `npm start` and
 * `npx trunkgate` run) in a child process, a real SIPp caller, and the JSON log on its stdout.
 * `npm test` builds dist/ before it runs the suite; run `npm run build` before this file alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO_DIR } from '../src/loadtest/peers.js';
import { portBound } from '../src/loadtest/ports.js';
import { GATEWAY_NODE_FLAGS } from '../src/runtime/node-flags.js';
import { freePort, freePortRange, sippMediaPort } from './helpers/ports.js';
import { runSipp } from './helpers/sipp.js';

const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

interface Cli {
  proc: ChildProcess;
  /** Parsed JSON lines of stdout so far. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves with the first log line `match` accepts; rejects if the process exits first or after `timeoutMs`. */
  waitForLog: (match: (l: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>;
}

const running: Cli[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) { c.proc.kill('SIGKILL'); await c.exited; }
  }
});

function trunkgate(args: string[]): Cli {
  const proc = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRUNKGATE_LOG_LEVEL: 'info' } });
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try { logs.push(JSON.parse(line) as Record<string, unknown>); } catch { /* not a log line */ }
    }
    for (const w of waiters) w();
  });
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => { for (const w of waiters) w(); resolve(code); }));
  const cli: Cli = {
    proc, logs, exited, stderr: () => stderr,
    waitForLog: (match, timeoutMs = 30_000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr.slice(-800)}`)); }, timeoutMs);
      const check = (): void => {
        const hit = logs.find(match);
        if (hit) { clearTimeout(timer); waiters.delete(check); resolve(hit); return; }
        if (proc.exitCode !== null || proc.signalCode !== null) {
          clearTimeout(timer); waiters.delete(check);
          reject(new Error(`trunkgate ${args.join(' ')} exited (${proc.exitCode ?? proc.signalCode}) first: ${stderr.slice(-800)}`));
        }
      };
      waiters.add(check);
      check();
    }),
  };
  running.push(cli);
  return cli;
}

/** Waits until a port is held (UDP bound / TCP listening); the kernel has no event for that. */
async function bound(port: number, protocol: 'udp' | 'tcp', cli: Cli, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!portBound(port, protocol)) {
    if (cli.proc.exitCode !== null) throw new Error(`exited before binding ${protocol} ${port}: ${cli.stderr().slice(-800)}`);
    if (Date.now() > deadline) throw new Error(`${protocol} ${port} not bound within ${timeoutMs} ms`);
    await delay(10);
  }
}

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tg-cli-')), 'gateway.yaml');
  writeFileSync(file, text);
  return file;
}

/** A gateway config on free ports whose only route sends every number to the agent `parrot` (an echo agent). */
async function gatewayConfig(drachtio: 'embedded' | 'external', control: number, sipPort: number): Promise<string> {
  const media = await freePortRange(20);
  return configFile(`sip: { listen: [{ address: 127.0.0.1, port: ${sipPort}, transport: udp }] }
drachtio: { ${drachtio}: { host: 127.0.0.1, port: ${control}, secret: s3cret } }
trunks: [{ name: local, sources: [127.0.0.1/32], codecs: [PCMU], routes: [{ pattern: "*", agent: parrot }] }]
agents: { parrot: { type: echo } }
media: { address: 127.0.0.1, port_min: ${media.min}, port_max: ${media.max}, workers: 0 }
shutdown: { grace_seconds: 2 }
`);
}

/** One SIPp call with 1.5 s of PCMU speech to `sipPort`; returns SIPp's exit code and error trace. */
async function call(sipPort: number): Promise<{ code: number | null; errors: string }> {
  const r = await runSipp({
    args: [`127.0.0.1:${sipPort}`, '-sf', join(SCENARIO_DIR, 'uac-pcmu-caller-hangs-up-expect-200.xml'), '-s', '919876543210',
      '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1', '-d', '1500'],
    cwd: SCENARIO_DIR, timeoutMs: 40_000,
  });
  return { code: r.code, errors: r.errors };
}

const isEvent = (event: string) => (l: Record<string, unknown>): boolean => l.event === event;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build (npm test does)`);
});

describe('trunkgate start (the built bin)', () => {
  it('--config FILE: answers a SIPp call with the agent the config routes to, logs call_end with RTP both ways, and exits 0 on SIGTERM', async () => {
    const [sipPort, control] = [await freePort(), await freePort()];
    const gw = trunkgate(['start', '--config', await gatewayConfig('embedded', control, sipPort)]);
    await gw.waitForLog((l) => l.msg === 'connected to drachtio server');
    await bound(sipPort, 'udp', gw);
    const r = await call(sipPort);
    expect(r.code, r.errors).toBe(0);
    expect(await gw.waitForLog(isEvent('call_answered'))).toMatchObject({ agent: 'parrot', trunk: 'local', codec: 'PCMU' });
    const end = await gw.waitForLog(isEvent('call_end'));
    expect(end).toMatchObject({ agent: 'parrot', hangupBy: 'caller' });
    expect(end.packetsIn as number).toBeGreaterThan(0);
    expect(end.packetsOut as number).toBeGreaterThan(0);
    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 60_000);

  it('--agent NAME sends every call to that agent instead of the routes\' one', async () => {
    const [sipPort, control] = [await freePort(), await freePort()];
    const gw = trunkgate(['start', '--config', await gatewayConfig('embedded', control, sipPort), '--agent', 'echo']);
    await gw.waitForLog((l) => l.msg === 'connected to drachtio server');
    await bound(sipPort, 'udp', gw);
    const r = await call(sipPort);
    expect(r.code, r.errors).toBe(0);
    expect(await gw.waitForLog(isEvent('call_answered'))).toMatchObject({ agent: 'echo' });
    expect(await gw.waitForLog(isEvent('call_end'))).toMatchObject({ agent: 'echo' });
    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 60_000);

  it('--agent with a name no config or built-in knows exits 2 with a configuration error naming --agent and the agents there are', async () => {
    const [sipPort, control] = [await freePort(), await freePort()];
    const gw = trunkgate(['start', '--config', await gatewayConfig('embedded', control, sipPort), '--agent', 'no-such-agent']);
    expect(await gw.exited).toBe(2);
    expect(gw.stderr()).toContain("--agent: unknown agent 'no-such-agent'");
    const fatal = gw.logs.find((l) => l.level === 60) as { code?: string; issues?: { path: string }[] } | undefined;
    expect(fatal).toMatchObject({ code: 'CONFIG_INVALID', issues: [{ path: '--agent' }] });
    expect(gw.logs.some(isEvent('call_answered'))).toBe(false);
  }, 60_000);
});

describe('trunkgate server + trunkgate start with drachtio.external (the application without the embedded server)', () => {
  it('the gateway connects to the separately running server and answers a SIPp call that reaches the server; both exit 0 on SIGTERM', async () => {
    const [sipPort, control] = [await freePort(), await freePort()];
    // As the README's command line shows it, on free ports.
    const server = trunkgate(['server', '--contact', `sip:127.0.0.1:${sipPort};transport=udp,tcp`, '--port', String(control), '--secret', 's3cret']);
    await bound(control, 'tcp', server);
    await bound(sipPort, 'udp', server);
    const gw = trunkgate(['start', '--config', await gatewayConfig('external', control, sipPort)]);
    await gw.waitForLog((l) => l.msg === 'connected to drachtio server');
    const r = await call(sipPort);
    expect(r.code, r.errors).toBe(0);
    expect(await gw.waitForLog(isEvent('call_answered'))).toMatchObject({ agent: 'parrot' });
    const end = await gw.waitForLog(isEvent('call_end'));
    expect(end.packetsIn as number).toBeGreaterThan(0);
    expect(end.packetsOut as number).toBeGreaterThan(0);
    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(portBound(control, 'tcp')).toBe(false);
  }, 60_000);
});
