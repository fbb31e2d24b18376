import { spawn } from 'node:child_process';
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
  it('counts a child process in its parent tree and its CPU while it spins', async () => {
    // A shell whose child spins for ~1.5 s: the tree rooted at the shell must include the spinner's CPU.
    const sh = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} -e "const e=Date.now()+1500; while(Date.now()<e){}"; sleep 0.2`], { stdio: 'ignore' });
    const exited = new Promise((r) => sh.once('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    expect(processTree(sh.pid!).length).toBeGreaterThanOrEqual(2);
    const sampler = new ProcSampler(sh.pid!, 250);
    sampler.start();
    await new Promise((r) => setTimeout(r, 1000));
    const samples = sampler.stop();
    await exited;
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...samples.map((s) => s.cpuPercent))).toBeGreaterThan(5);
    expect(sampler.cpuSeconds).toBeGreaterThan(0);
    expect(samples.every((s) => s.rssBytes > 0)).toBe(true);
  });

  it('reports nothing for a process that does not exist', () => {
    expect(readTreeUsage(2 ** 22 + 1)).toBeUndefined();
  });
});
