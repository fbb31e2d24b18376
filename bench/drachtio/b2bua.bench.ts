/**
 * Highest calls/s through the embedded drachtio server + a drachtio-srf B2BUA with 0 failed calls:
 * SIPp uac → trunkgate (child process) → SIPp uas, 5 s at 100, 200, 300 … calls/s until a step
 * fails. CPU per call and RSS are read from the child's /proc/PID/stat and /proc/PID/status.
 * TG_BENCH_B2BUA_RATES=400,800 runs only those steps (no stop at a failed one);
 * TG_BENCH_CPU_PROF=<dir> runs the child with `--cpu-prof` into that directory (see
 * scripts/cpuprofile-report.ts for the flame graph and the cost by layer).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../run.js';
import { freePort } from '../../test/helpers/ports.js';
import { runSipp } from '../../test/helpers/sipp.js';

const CLK_TCK = 100;
const STEP_SECONDS = 5;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime (fields 14, 15)
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function run(): Promise<BenchResult[]> {
  const [sipPort, controlPort, bPort] = [await freePort(), await freePort(), await freePort()];
  const profDir = process.env.TG_BENCH_CPU_PROF;
  const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const worker = spawn(process.execPath, [...prof, '--import', 'tsx', fileURLToPath(new URL('./b2bua-worker.ts', import.meta.url)),
    String(sipPort), String(controlPort), String(bPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    worker.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
    worker.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
  });
  const uas = runSipp({ args: ['-sn', 'uas', '-p', String(bPort), '-i', '127.0.0.1', '-buff_size', '4194304'], timeoutMs: 1_800_000 });
  await new Promise((r) => setTimeout(r, 300));
  const results: BenchResult[] = [];
  let best = 0;
  try {
    // Warm-up (JIT, buffers), not recorded: 3 s at 50 calls/s.
    await runSipp({ args: ['-sn', 'uac', `127.0.0.1:${sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-r', '50',
      '-m', '150', '-d', '500', '-buff_size', '4194304'], timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 2000));
    const fixed = process.env.TG_BENCH_B2BUA_RATES?.split(',').map(Number);
    const ladder = fixed ?? Array.from({ length: 40 }, (_, i) => 100 * (i + 1));
    for (const rate of ladder) {
      const calls = rate * STEP_SECONDS;
      const cpu0 = cpuSeconds(worker.pid!);
      const a = await runSipp({
        args: ['-sn', 'uac', `127.0.0.1:${sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-r', String(rate),
          '-m', String(calls), '-d', '1000', '-buff_size', '4194304', '-timeout', '90s'],
        timeoutMs: 120_000,
      });
      const cpu = cpuSeconds(worker.pid!) - cpu0;
      const failed = Number(a.stats['FailedCall(C)'] ?? NaN);
      const ok = Number(a.stats['SuccessfulCall(C)'] ?? 0);
      const rss = rssMiB(worker.pid!);
      const perCallMs = (cpu * 1000) / Math.max(ok, 1);
      process.stdout.write(`rate ${rate}/s: ${ok} ok, ${failed} failed, ${perCallMs.toFixed(3)} ms CPU/call, RSS ${rss.toFixed(0)} MiB\n`);
      results.push({ suite: 'drachtio', name: `b2bua ${rate} calls/s (5 s)`, value: perCallMs, unit: 'ms CPU/call',
        detail: { ok, failed, rssMiB: +rss.toFixed(1), cpuSeconds: +cpu.toFixed(2) } });
      if (failed !== 0 || ok !== calls) { if (fixed) continue; break; }
      best = Math.max(best, rate);
      await new Promise((r) => setTimeout(r, 3000)); // let BYEs and timewaits drain
    }
  } finally {
    uas.kill();
    await uas;
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGTERM');
    await exited; // the --cpu-prof file is written on exit
  }
  results.push({ suite: 'drachtio', name: 'b2bua highest rate with 0 failed calls', value: best, unit: 'calls/s',
    detail: { peer: 'C++ drachtio-server + srf on this machine: 800 calls/s, 1.76 ms CPU/call (1.23 server + 0.53 app)' } });
  return results;
}
