import { describe, expect, it } from 'vitest';
import { currentThreadId, setCurrentThreadNice, setCurrentThreadRealtime } from '../../../src/media/worker/thread-priority.js';

describe('thread priority of a media thread', () => {
  it.runIf(process.platform === 'linux')('the main thread of a process has the process id as its thread id (Linux)', () => {
    expect(currentThreadId()).toBe(process.pid);
  });

  it.each([-21, 20, 1.5, Number.NaN])('refuses nice %s without touching the thread', (nice) => {
    expect(setCurrentThreadNice(nice)).toMatchObject({ applied: false, reason: expect.stringContaining('−20…19') });
  });

  it.each([0, 100, 2.5, Number.NaN])('refuses real-time priority %s without touching the thread', (priority) => {
    expect(setCurrentThreadRealtime(priority)).toMatchObject({ applied: false, reason: expect.stringContaining('1…99') });
  });
});
