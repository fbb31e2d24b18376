/** Child processes of a load test: spawn, wait for readiness, stop by pid (never by name). */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LoadtestError } from './errors.js';

export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Last 64 KB of stderr (for error messages). */
  stderrTail(): string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

export function startChild(command: string, args: string[], options: SpawnOptions & { name: string }): Child {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (proc.pid === undefined) throw new LoadtestError('PEER_START_FAILED', `${options.name}: could not spawn ${command}`);
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-65536); });
  const exited = new Promise<number | null>((resolve) => {
    if (proc.exitCode !== null) resolve(proc.exitCode);
    else proc.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
  });
  let stopping: Promise<void> | undefined;
  return {
    proc,
    pid: proc.pid,
    stderrTail: () => stderr,
    exited,
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** True when some socket is bound to this local UDP port (from /proc/net/udp). */
export function udpPortBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    try { if (readFileSync(file, 'utf8').includes(hex)) return true; } catch { /* no IPv6 */ }
  }
  return false;
}

/** Waits until the child binds `port` (UDP), failing early when it exits. */
export async function waitForUdpPort(child: Child, port: number, timeoutMs: number, name: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => { exited = true; });
  while (!udpPortBound(port)) {
    if (exited) throw new LoadtestError('PEER_START_FAILED', `${name} exited before listening on ${port}: ${child.stderrTail().slice(-500)}`);
    if (Date.now() > deadline) throw new LoadtestError('PEER_START_FAILED', `${name} did not listen on UDP ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
