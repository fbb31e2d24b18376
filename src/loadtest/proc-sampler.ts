/**
 * CPU and memory of a process and its descendants, sampled from /proc once per interval:
 * utime+stime from /proc/PID/stat (fields 14 and 15, in clock ticks, proc(5)) and VmRSS from
 * /proc/PID/status. Per-process counters are reliable on these machines; the machine-wide
 * /proc/stat ones are not, so CPU is reported per process tree only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcSample {
  /** ms since the sampler started. */
  atMs: number;
  /** CPU used over the last interval, percent of one core (200 = both cores of a 2-vCPU box). */
  cpuPercent: number;
  /** Resident memory of the tree, bytes. */
  rssBytes: number;
  /** Processes in the tree at this sample. */
  processes: number;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try { clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { clockTicks = 100; }
  }
  return clockTicks;
}

interface ProcStat { pid: number; ppid: number; cpuTicks: number }

/** Parses /proc/PID/stat; the command name in parentheses may contain spaces and ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (![pid, ppid, utime, stime].every(Number.isFinite)) return undefined;
  return { pid, ppid, cpuTicks: utime + stime };
}

/** VmRSS of /proc/PID/status in bytes (0 for a zombie or kernel thread). */
export function parseVmRss(statusText: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  return m ? Number(m[1]) * 1024 : 0;
}

function readStat(pid: number): ProcStat | undefined {
  try { return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return undefined; }
}

/** The pid and every live descendant. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    let list = children.get(st.ppid);
    if (!list) children.set(st.ppid, (list = []));
    list.push(st.pid);
  }
  const out: number[] = [];
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

export interface TreeUsage { cpuTicks: number; rssBytes: number; processes: number }

/** CPU ticks and RSS summed over the tree rooted at `rootPid` (undefined when it is gone). */
export function readTreeUsage(rootPid: number): TreeUsage | undefined {
  if (!readStat(rootPid)) return undefined;
  let cpuTicks = 0;
  let rssBytes = 0;
  const pids = processTree(rootPid);
  for (const pid of pids) {
    const st = readStat(pid);
    if (!st) continue;
    cpuTicks += st.cpuTicks;
    try { rssBytes += parseVmRss(readFileSync(`/proc/${pid}/status`, 'utf8')); } catch { /* exited meanwhile */ }
  }
  return { cpuTicks, rssBytes, processes: pids.length };
}

/** Samples a process tree every `intervalMs` until `stop()`; the first sample is the baseline. */
export class ProcSampler {
  readonly samples: ProcSample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #last: { at: number; ticks: number } | undefined;
  #start = 0;
  /** CPU seconds used by the tree between start() and the last sample. */
  cpuSeconds = 0;

  constructor(private readonly pid: number, private readonly intervalMs = 1000) {}

  start(): void {
    this.#start = Date.now();
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), this.intervalMs);
    this.#timer.unref();
  }

  /** Takes a final sample and stops. Safe to call twice. */
  stop(): ProcSample[] {
    if (this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#sample();
    }
    return this.samples;
  }

  #sample(): void {
    const usage = readTreeUsage(this.pid);
    if (!usage) return;
    const now = Date.now();
    if (this.#last) {
      const dt = (now - this.#last.at) / 1000;
      const dTicks = Math.max(0, usage.cpuTicks - this.#last.ticks);
      if (dt <= 0) return;
      this.cpuSeconds += dTicks / ticksPerSecond();
      this.samples.push({ atMs: now - this.#start, cpuPercent: (100 * dTicks) / ticksPerSecond() / dt, rssBytes: usage.rssBytes, processes: usage.processes });
    } else {
      this.samples.push({ atMs: 0, cpuPercent: 0, rssBytes: usage.rssBytes, processes: usage.processes });
    }
    this.#last = { at: now, ticks: usage.cpuTicks };
  }
}
