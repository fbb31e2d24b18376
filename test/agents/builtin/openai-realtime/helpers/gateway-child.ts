/**
 * The whole gateway as its own process (`src/runtime/start-command.ts` under tsx, as `trunkgate
 * start` runs it), because NODE_EXTRA_CA_CERTS — how it trusts the stand-in's self-signed
 * certificate — is read only when a process starts. Its JSON log lines are collected from stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, freePortRange } from '../../../../helpers/ports.js';

export const REPO = resolve(import.meta.dirname, '../../../../..');

/** A fresh folder under the checkout's .tmp/ (created when missing; git ignores it). */
export function repoTmp(prefix: string): string {
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  return mkdtempSync(join(REPO, '.tmp', prefix));
}

export interface ChildGateway {
  sipPort: number;
  pid: number;
  logs(): Record<string, unknown>[];
  /** Resolves with the first log line that satisfies `pred` (checked on every line). */
  line(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  output(): string;
  stop(): Promise<void>;
}

export interface ChildGatewayOptions {
  agent: Record<string, unknown>;
  env: Record<string, string>;
  codecs?: string[];
  transferTargets?: Record<string, { uri: string }>;
  /** Where the config file goes. */
  dir: string;
  workers?: number | 'auto';
  /** Media port pairs (default 20). */
  mediaPorts?: number;
  maxCalls?: number;
}

export async function startChildGateway(o: ChildGatewayOptions): Promise<ChildGateway> {
  const sipPort = await freePort();
  const media = await freePortRange(o.mediaPorts ?? 20);
  const config = {
    sip: { listen: [{ address: '127.0.0.1', port: sipPort, transport: 'udp' }, { address: '127.0.0.1', port: sipPort, transport: 'tcp' }] },
    drachtio: { embedded: { host: '127.0.0.1', port: await freePort(), secret: 'test-secret' } },
    trunks: [{ name: 'test', sources: ['127.0.0.1/32'], country_code: '91', codecs: o.codecs ?? ['PCMU', 'PCMA', 'G722'], ...(o.maxCalls ? { max_calls: o.maxCalls } : {}), routes: [{ pattern: '*', agent: 'ai' }] }],
    agents: { ai: o.agent },
    transfer_targets: o.transferTargets ?? {},
    media: { address: '127.0.0.1', port_min: media.min, port_max: media.max, workers: o.workers ?? 1 },
    edge: { rate_per_second: 5000, burst: 5000 },
    shutdown: { grace_seconds: 0 },
    logging: { level: 'info' },
  };
  mkdirSync(o.dir, { recursive: true });
  const file = join(o.dir, `gateway-${sipPort}.yaml`);
  // JSON is YAML.
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=4', '--import', 'tsx', join(REPO, 'src/runtime/start-command.ts'), '--config', file], {
    cwd: REPO,
    env: { ...process.env, TRUNKGATE_LOG_LEVEL: 'info', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let out = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const parts = text.split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      out += `${l}\n`;
      try { lines.push(JSON.parse(l) as Record<string, unknown>); } catch { /* not JSON */ }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((r) => child.on('close', (code) => {
    exitCode = code;
    for (const w of [...waiters]) w();
    r(code);
  }));

  const line = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    const check = (): void => {
      const hit = lines.find(pred);
      if (hit) { done(); resolve(hit); return; }
      if (exitCode !== undefined) { done(); reject(new Error(`gateway exited (${exitCode}) first:\n${out.slice(-3000)}`)); }
    };
    const timer = setTimeout(() => { done(); reject(new Error(`no such log line within ${timeoutMs} ms:\n${out.slice(-3000)}`)); }, timeoutMs);
    const done = (): void => { clearTimeout(timer); waiters.delete(check); };
    waiters.add(check);
    check();
  });

  const gw: ChildGateway = {
    sipPort,
    pid: child.pid!,
    logs: () => lines,
    line,
    output: () => out,
    async stop() {
      if (exitCode === undefined) child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
    },
  };
  try {
    await line((l) => l.msg === 'connected to drachtio server');
  } catch (err) {
    await gw.stop();
    throw err;
  }
  return gw;
}

/** Runs the gateway CLI entry with this config and env and returns its exit code and output (for start-up refusals). */
export async function runGatewayToExit(o: ChildGatewayOptions): Promise<{ code: number | null; output: string }> {
  try {
    const gw = await startChildGateway(o);
    await gw.stop();
    return { code: 0, output: gw.output() };
  } catch (err) {
    const m = /gateway exited \((\w+)\) first:\n([\s\S]*)$/.exec((err as Error).message);
    if (!m) throw err;
    return { code: m[1] === 'null' ? null : Number(m[1]), output: m[2]! };
  }
}
