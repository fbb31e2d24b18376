/**
 * Issue 19: the echo delay of a call through the gateway is one value for the whole call. Many
 * calls run in one gateway process (the slip showed from the second call on), each a probe that
 * sends seeded noise and finds, window by window and to the sample, where its echo came from
 * (src/loadtest/echo-delay.ts). The echo agent keeps ECHO_CUSHION_MS of audio queued, so what is
 * checked is the receive side and the pacing, not the hand-off to the agent on the main thread
 * (which runs at normal priority and, on a machine shared with other test runs, can be held up
 * for longer than a small cushion).
 *
 * The only slip allowed is one the caller caused: after its own frame left `PLAYOUT_GUARD_MS` − 1
 * or more late (the machine is shared), an adaptive jitter buffer must grow, and may shrink later.
 * Until then the delay must not move, and enough windows must be such (more calls are made while
 * too few were), so the test cannot pass on a stalled probe alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EchoDelayCall } from '../../../src/loadtest/echo-delay.js';
import { REPO_ROOT, startGatewayChild } from '../../../src/loadtest/peers.js';
import { PLAYOUT_GUARD_MS } from '../../../src/media/session/parts.js';
import { DEFAULT_WORKER_REALTIME } from '../../../src/media/worker/thread-priority.js';

const workDir = mkdtempSync(join(tmpdir(), 'echo-delay-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/**
 * The calls, made by scripts/echo-delay.ts in a process of its own. The probe plays a carrier,
 * whose RTP is paced on a machine of its own, not between this test runner's other work: once
 * started it makes itself real-time (SCHED_RR) at the priority the gateway's media workers ask
 * for (DEFAULT_WORKER_REALTIME; nice −10 where real-time is refused). Not above them: a machine too
 * busy to run the workers on time (the real-time threads of the gateways of test files running
 * alongside) then holds the probe up as well, and its late frames excuse what follows.
 */
function probeCalls(target: string, calls: number, inPhase: boolean, avoid: { min: number; max: number }[]): Promise<EchoDelayCall[]> {
  const args = ['--import', 'tsx', join(REPO_ROOT, 'scripts/echo-delay.ts'), '--target', target, '--calls', String(calls), '--seconds', '3', '--window-ms', '200', '--max-delay-ms', String(ECHO_CUSHION_MS + 600), '--realtime', String(DEFAULT_WORKER_REALTIME), ...(inPhase ? ['--in-phase'] : []), '--avoid', avoid.map((r) => `${r.min}-${r.max}`).join(',')];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: REPO_ROOT, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`echo-delay probe failed: ${stderr.slice(-2000)}`, { cause: err }));
      else resolve((JSON.parse(stdout) as { calls: EchoDelayCall[] }).calls);
    });
  });
}

const CALLS_PER_BATCH = 3;
const ECHO_CUSHION_MS = 400;
/** Sender lateness that may move a stream's playout by a frame (the tick can run up to 1 ms early). */
const CALLER_LATE_MS = PLAYOUT_GUARD_MS - 1;

/** Windows checked before the test believes it: where the probe paced on time. */
const CHECKED_WINDOWS = 20;
const MAX_BATCHES = 6;

/**
 * Per window: whether the caller was late by then (a frame of this window or an earlier one left
 * CALLER_LATE_MS or more late: from then on the adaptive jitter buffer may grow, and later shrink
 * again, as it should), and whether the echo slipped (the lag changed or the window no longer
 * correlates).
 */
function judge(call: EchoDelayCall): { excused: boolean; slipped: boolean }[] {
  const w = call.windows;
  let late = false;
  return w.map((x, i) => {
    late ||= x.sendLateMaxMs >= CALLER_LATE_MS;
    return { excused: late, slipped: x.correlation < 0.9 || (i > 0 && x.lag !== w[i - 1]!.lag) };
  });
}

describe('echo delay through the gateway (issue 19)', () => {
  it.each([
    ['a caller on its own clock, on the default media workers', false, undefined],
    ['a caller whose packets land right at the gateway\'s ticks, either side (the case of the issue), on the default media workers', true, undefined],
    ['a caller whose packets land right at the gateway\'s ticks, with media.workers 0 (sessions on the main thread)', true, 0],
  ] as const)('is constant within each call, call after call in one gateway process: %s', async (_title, inPhase, mediaWorkers) => {
    // The gateway's side of each call, for the report: its receive underruns, late frames, echo drops.
    const ends: Record<string, unknown>[] = [];
    const onLogRecord = (r: Record<string, unknown>): void => {
      if (r.event === 'call_end') ends.push({ callId: r.callId, underruns: r.underruns, lateFrames: r.lateFrames, framesSent: r.framesSent, packetsIn: r.packetsIn, echoFramesDropped: r.echoFramesDropped });
    };
    const gw = await startGatewayChild({ workDir, mediaPorts: 40, echoDelayMs: ECHO_CUSHION_MS, onLogRecord, ...(mediaWorkers !== undefined ? { mediaWorkers } : {}) });
    const calls: EchoDelayCall[] = [];
    let checked = 0;
    try {
      // Calls in batches until enough windows had a caller on time (the machine is shared).
      for (let batch = 0; batch < MAX_BATCHES && checked < CHECKED_WINDOWS; batch++) {
        // The probe picks its ports in another process: it must keep out of the gateway's media range.
        const more = await probeCalls(gw.target, CALLS_PER_BATCH, inPhase, gw.watchPorts);
        calls.push(...more);
        checked += more.reduce((n, c) => n + judge(c).filter((j) => !j.excused).length, 0);
      }
    } finally {
      await gw.stop();
    }
    const report = JSON.stringify({ gateway: ends }) + JSON.stringify(calls.map((c) => ({ seed: c.seed, lag: c.lag, delayMs: c.delayMs, sendLateMaxMs: c.sendLateMaxMs, windows: c.windows.map((w) => [w.lag, w.correlation, w.sendLateMaxMs]) })));
    for (const c of calls) {
      const judged = judge(c);
      // No slip where the caller was on time.
      expect(judged.flatMap((j, i) => (j.slipped && !j.excused ? [i] : [])), report).toEqual([]);
      // A call whose caller was late from its first window on says nothing more (a stall of the
      // whole machine can leave no window that correlates); the others must echo what was sent.
      if (judged.every((j) => j.excused)) continue;
      expect(c.windows.length, report).toBeGreaterThanOrEqual(10);
      expect(c.delayMs, report).not.toBeNull();
      // The echo is the caller's audio, sample for sample (G.711 in and out).
      expect(Math.max(...c.windows.map((w) => w.correlation)), report).toBe(1);
    }
    // Not passed on excuses alone.
    expect(checked, `too few windows with the probe on time — the machine was too busy to pace a caller: ${report}`).toBeGreaterThanOrEqual(CHECKED_WINDOWS);
  }, 240_000);
});
