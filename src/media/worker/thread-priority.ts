/**
 * Scheduling priority of a media thread. Media is the one part of a call that cannot wait: a
 * frame sent 10 ms late is heard as a click, where SIP signalling or an agent's reply can take a
 * few milliseconds more unnoticed. So media worker threads ask the kernel for a higher priority
 * (a lower nice value), as media servers do (FreeSWITCH, rtpengine's kernel path, Asterisk -p) —
 * nice rather than a real-time class, so a runaway thread cannot lock the machine up.
 *
 * Linux only: setpriority(2) on a thread id changes that thread alone. Lowering the nice value
 * needs CAP_SYS_NICE (root has it; in a container, `cap_add: [SYS_NICE]`); without it the thread
 * keeps its priority and the caller is told why.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export type ThreadPriorityResult =
  | { applied: true; tid: number; nice: number }
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
