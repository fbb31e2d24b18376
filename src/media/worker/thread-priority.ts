/**
 * Scheduling priority of a media thread. Media is the one part of a call that cannot wait: a
 * frame sent 10 ms late is heard as a click, where SIP signalling or an agent's reply can take a
 * few milliseconds more unnoticed. So media worker threads ask the kernel for a higher priority,
 * as media servers do for their audio threads (Asterisk -p, FreeSWITCH -rp).
 *
 * First the real-time class SCHED_RR at a low RT priority; a lower nice value is the fallback. A
 * nice value only weights the scheduler's share, so a thread woken at its tick deadline still waits
 * for the running thread's slice: on a busy 2-core box that made 4–6× more frames late than
 * SCHED_RR did (docs/benchmarks.md, "Real-time media threads"). A runaway real-time thread cannot
 * lock the machine up: the kernel's RT throttling (sched_rt_runtime_us, 95 % of each period by
 * default) leaves the rest to normal threads. The system call is in the native addon (Node has no
 * sched_setscheduler).
 *
 * Linux only: setpriority(2) / sched_setscheduler(2) change the calling thread alone. Both need
 * CAP_SYS_NICE (root has it; in a container, `cap_add: [SYS_NICE]`); without it the thread keeps
 * its priority and the caller is told why.
 */
import { readlinkSync } from 'node:fs';
import { constants, getPriority, setPriority } from 'node:os';
import { loadNativePump, nativePumpLoadError } from '../udp/native-pump.js';

/** The nice value media worker threads ask for by default (`media.worker_nice`). */
export const DEFAULT_WORKER_NICE = -10;
/**
 * The SCHED_RR priority they ask for first by default (`media.worker_realtime_priority`): above
 * every normal thread, below the kernel's own real-time threads (50 and up).
 */
export const DEFAULT_WORKER_REALTIME = 10;

export type ThreadPriorityResult =
  | { applied: true; tid: number; nice: number }
  | { applied: false; reason: string };

export type RealtimeResult =
  | { applied: true; realtime: number }
  | { applied: false; reason: string };

/** The kernel's id of the calling thread (Linux: /proc/thread-self → "<pid>/task/<tid>"). */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** Set the calling thread's nice value (−20 … 19). Never throws. */
export function setCurrentThreadNice(nice: number): ThreadPriorityResult {
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) return { applied: false, reason: `nice ${nice} is not an integer in −20…19` };
  const tid = currentThreadId();
  if (tid === undefined) return { applied: false, reason: 'thread ids are not available on this platform' };
  try {
    setPriority(tid, nice);
    return { applied: true, tid, nice: getPriority(tid) };
  } catch (err) {
    const code = (err as { info?: { code?: string } }).info?.code ?? (err as { code?: string }).code;
    return { applied: false, reason: code === 'EACCES' || code === 'EPERM' ? 'raising a thread priority needs CAP_SYS_NICE' : (err as Error).message };
  }
}

/** Move the calling thread to SCHED_RR at `priority` (1–99). Never throws. */
export function setCurrentThreadRealtime(priority: number): RealtimeResult {
  if (!Number.isInteger(priority) || priority < 1 || priority > 99) return { applied: false, reason: `real-time priority ${priority} is not an integer in 1…99` };
  if (process.platform !== 'linux') return { applied: false, reason: 'real-time scheduling is set on Linux only' };
  const addon = loadNativePump();
  if (!addon?.setRealtime) return { applied: false, reason: `the native addon (npm run build:native) is needed: ${nativePumpLoadError()?.message ?? 'built before setRealtime existed'}` };
  const rc = addon.setRealtime(priority);
  if (rc === 0) return { applied: true, realtime: priority };
  return { applied: false, reason: rc === -constants.errno.EPERM || rc === -constants.errno.EACCES ? 'real-time scheduling needs CAP_SYS_NICE' : `sched_setscheduler failed (${rc})` };
}
