/** Child processes of a load test: spawn, wait for readiness, stop by pid (never by name). */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { LoadtestError } from './errors.js';
import { portBound } from './ports.js';

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

/**
 * Waits until the child binds `port` (UDP; over TCP: listens on it), failing early when it exits.
 * Polls /proc/net: the kernel has no event for another process's bind.
 */
export async function waitForPort(child: Child, port: number, timeoutMs: number, name: string, protocol: 'udp' | 'tcp' = 'udp'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => { exited = true; });
  while (!portBound(port, protocol)) {
    if (exited) throw new LoadtestError('PEER_START_FAILED', `${name} exited before listening on ${port}: ${child.stderrTail().slice(-500)}`);
    if (Date.now() > deadline) throw new LoadtestError('PEER_START_FAILED', `${name} did not listen on ${protocol.toUpperCase()} ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
