import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { portBound } from '../../src/loadtest/ports.js';

export interface SippResult {
  /** SIPp exit code: 0 = every call succeeded, 1 = at least one failed, 97/99 = errors. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Contents of the -trace_err file, if any. */
  errors: string;
  /** Last row of the -trace_stat CSV, keyed by column name (SuccessfulCall(C), FailedCall(C) …). */
  stats: Record<string, string>;
  dir: string;
}

export interface SippOptions {
  /** Arguments after `sipp`, e.g. ['-sn', 'uac', '127.0.0.1:5060', '-m', '10']. `-nostdin`, traces are added. */
  args: string[];
  cwd?: string;
  /** Kill SIPp after this many ms (default 120 s). */
  timeoutMs?: number;
}

export interface SippRun extends Promise<SippResult> {
  kill: () => void;
  /**
   * Resolves once SIPp holds its SIP port (`-p`): bound over UDP, listening over TCP (`-t t1`).
   * Rejects if SIPp exits first (with its stderr) or after `timeoutMs`. Start the other side only
   * after this: a request sent before the bind is refused (TCP) or waits for a retransmission (UDP).
   */
  listening: (timeoutMs?: number) => Promise<void>;
}

/** Runs real SIPp to completion and collects its statistics. Always on loopback. */
export function runSipp(opts: SippOptions): SippRun {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const args = [...opts.args, '-nostdin', '-trace_err', '-error_file', join(dir, 'err.log'),
    '-trace_stat', '-stf', join(dir, 'stat.csv'), '-fd', '1'];
  const child = spawn('sipp', args, { cwd: opts.cwd ?? dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (stdout.length > 200_000) stdout = stdout.slice(-100_000); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const p = new Promise<SippResult>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      let errors = '';
      try { errors = readFileSync(join(dir, 'err.log'), 'utf8'); } catch { /* no errors file */ }
      const stats: Record<string, string> = {};
      try {
        const csv = readdirSync(dir).find((f) => f.startsWith('stat'));
        if (csv) {
          const lines = readFileSync(join(dir, csv), 'utf8').trim().split('\n');
          const head = lines[0]!.split(';');
          const last = lines[lines.length - 1]!.split(';');
          head.forEach((h, i) => { if (h) stats[h] = last[i] ?? ''; });
        }
      } catch { /* no stats */ }
      resolve({ code, stdout, stderr, errors, stats, dir });
    });
  }) as SippRun;
  p.kill = () => child.kill('SIGTERM');
  let closed = false;
  child.once('close', () => { closed = true; });
  p.listening = async (timeoutMs = 10_000) => {
    const pIndex = opts.args.indexOf('-p');
    if (pIndex < 0) throw new Error('runSipp().listening() needs an explicit -p PORT');
    const port = Number(opts.args[pIndex + 1]);
    const tIndex = opts.args.indexOf('-t');
    const protocol = tIndex >= 0 && opts.args[tIndex + 1]?.startsWith('t') ? 'tcp' : 'udp';
    const deadline = Date.now() + timeoutMs;
    // The kernel has no event for another process's bind: poll /proc/net until it shows the port.
    while (!portBound(port, protocol)) {
      if (closed) throw new Error(`SIPp exited before binding ${protocol} ${port}: ${stderr.slice(-500)}`);
      if (Date.now() > deadline) throw new Error(`SIPp did not bind ${protocol} ${port} within ${timeoutMs} ms`);
      await delay(10);
    }
  };
  return p;
}
