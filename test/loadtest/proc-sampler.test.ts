import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ProcSampler, parseProcStat, parseVmRss, processTree, readTreeUsage } from '../../src/loadtest/proc-sampler.js';

describe('parseProcStat (proc(5))', () => {
  it('finds ppid, utime and stime after a command name with spaces and parentheses', () => {
    const line = '4242 (node (worker) x) S 17 4242 17 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 11 0 12345 1000000 2000 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 17, cpuTicks: 325 });
  });

  it('reads this process from /proc', async () => {
    const { readFileSync } = await import('node:fs');
    const st = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
    expect(st?.ppid).toBeGreaterThan(0);
  });
});

describe('parseVmRss', () => {
  it('converts the kB figure to bytes and gives 0 without one', () => {
    expect(parseVmRss('Name:\tnode\nVmRSS:\t  123456 kB\nThreads:\t7\n')).toBe(123456 * 1024);
    expect(parseVmRss('Name:\tkthreadd\n')).toBe(0);
  });
});

describe('process tree sampling', () => {
  it('counts a child process in its parent tree and the CPU time it spends between two samples', async () => {
    // A shell whose child spins for 400 ms of its own CPU time (not wall-clock time: the machine may
    // be busy) once told to, then waits to be told to exit.
    const spinner = `process.stdin.once('data', () => {
      const t0 = process.cpuUsage();
      for (;;) { const u = process.cpuUsage(t0); if (u.user + u.system >= 400000) break; }
      process.stdout.write('done\\n');
      process.stdin.once('data', () => process.exit(0));
    });`;
    // `; true` keeps the shell from exec'ing node in its place
    const sh = spawn('sh', ['-c', '"$0" -e "$1"; true', process.execPath, spinner], { stdio: ['pipe', 'pipe', 'ignore'] });
    const exited = new Promise((r) => sh.once('exit', r));
    const done = new Promise<void>((r) => sh.stdout.on('data', (d: Buffer) => { if (d.toString().includes('done')) r(); }));
    // the shell has started node when its tree has two processes (no event for that: poll /proc)
    const deadline = Date.now() + 10_000;
    while (processTree(sh.pid!).length < 2) {
      if (Date.now() > deadline) throw new Error('the shell never started its child');
      await delay(10);
    }
    const sampler = new ProcSampler(sh.pid!, 100);
    sampler.start();
    sh.stdin.write('go\n');
    await done;
    const samples = sampler.stop();
    sh.stdin.write('exit\n');
    await exited;
    expect(samples.length).toBeGreaterThanOrEqual(2); // the baseline and the final sample
    // /proc counts CPU in clock ticks (10 ms): 400 ms of the child's CPU, less rounding at each end.
    expect(sampler.cpuSeconds).toBeGreaterThanOrEqual(0.38);
    expect(Math.max(...samples.map((x) => x.cpuPercent))).toBeGreaterThan(0);
    expect(samples.every((x) => x.rssBytes > 0 && x.processes >= 2)).toBe(true);
  });

  it('reports nothing for a process that does not exist', () => {
    expect(readTreeUsage(2 ** 22 + 1)).toBeUndefined();
  });
});
