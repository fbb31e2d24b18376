/**
 * The built `trunkgate` bin (dist/cli.js) in a child process, as a user runs it, with its JSON
 * log lines parsed as they arrive. Run `npm run build` before a test file that uses it alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { portBound } from '../../src/loadtest/ports.js';
import { GATEWAY_NODE_FLAGS } from '../../src/runtime/node-flags.js';

export const BIN = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface Cli {
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

export function trunkgate(args: string[]): Cli {
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
export async function bound(port: number, protocol: 'udp' | 'tcp', cli: Cli, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!portBound(port, protocol)) {
    if (cli.proc.exitCode !== null) throw new Error(`exited before binding ${protocol} ${port}: ${cli.stderr().slice(-800)}`);
    if (Date.now() > deadline) throw new Error(`${protocol} ${port} not bound within ${timeoutMs} ms`);
    await delay(10);
  }
}

export function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tg-cli-')), 'gateway.yaml');
  writeFileSync(file, text);
  return file;
}

