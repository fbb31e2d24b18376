import { recordingIO } from '../../helpers.js';

/**
 * recordingIO plus the play queue's mark semantics the agent relies on: `played()` reports queued
 * marks as reached; `clear()` reports the pending ones as cleared, synchronously, like the session.
 */
export function markingIO(rate = 8000) {
  const r = recordingIO(rate);
  const listeners: ((n: string, c: boolean) => void)[] = [];
  const pending: string[] = [];
  let hungUp: (reason: string) => void = () => undefined;
  const hangup = new Promise<string>((resolve) => { hungUp = resolve; });
  r.io.onMark = (l) => { listeners.push(l); };
  r.io.mark = (n) => { r.queuedMarks.push(n); pending.push(n); };
  const baseClear = r.io.clear;
  r.io.clear = () => {
    baseClear();
    for (const n of pending.splice(0)) listeners.forEach((l) => l(n, true));
  };
  r.io.hangup = async (reason) => { r.hangups.push(reason ?? ''); hungUp(reason ?? ''); };
  return Object.assign(r, {
    hangup,
    playedAll: () => { for (const n of pending.splice(0)) listeners.forEach((l) => l(n, false)); },
  });
}
