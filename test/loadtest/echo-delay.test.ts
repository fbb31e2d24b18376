import { describe, expect, it } from 'vitest';
import { correlateEcho, echoDelayDistribution, summariseEchoCall } from '../../src/loadtest/echo-delay.js';

const FRAME = 160;

/** Seeded noise, as the probe sends. */
function noise(samples: number, seed: number): Int16Array {
  let a = seed;
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    a = (a * 1103515245 + 12345) % 2147483648;
    out[i] = Math.round((a / 2147483648 - 0.5) * 16000);
  }
  return out;
}

/** An echo of `tx`: `leadFrames` of silence, then tx frame by frame, with `insertAt` frames of silence inserted (a slip). */
function echoOf(tx: Int16Array, leadFrames: number, insertAt?: number): Int16Array {
  const frames: Int16Array[] = [];
  for (let k = 0; k < leadFrames; k++) frames.push(new Int16Array(FRAME));
  for (let k = 0; k * FRAME < tx.length; k++) {
    if (k === insertAt) frames.push(new Int16Array(FRAME));
    frames.push(tx.subarray(k * FRAME, (k + 1) * FRAME));
  }
  const rx = new Int16Array(frames.length * FRAME);
  frames.forEach((f, k) => rx.set(f, k * FRAME));
  return rx;
}

describe('correlateEcho', () => {
  const frames = 150;
  const tx = noise(frames * FRAME, 7);
  const txSent = Array.from({ length: frames }, (_, k) => 1000 + k * 20);

  it('finds one lag, correlation 1 and the delay of every window of a constant echo', () => {
    const rx = echoOf(tx, 3);
    // The echo's frame j (tx frame j − 3 after 3 frames of silence) arrives 35 ms after tx frame j − 3 was sent.
    const arrival = Array.from({ length: rx.length / FRAME }, (_, j) => 1000 + (j - 3) * 20 + 35);
    const windows = correlateEcho(tx, txSent, rx, arrival);
    const call = summariseEchoCall(1, frames, arrival.length, windows);
    expect(windows.length).toBeGreaterThanOrEqual(6);
    expect(call.constant).toBe(true);
    expect(call.lag).toBe(3 * FRAME);
    expect(call.minCorrelation).toBe(1);
    expect(call.delayMs).toBeCloseTo(35, 6);
  });

  it('shows a 20 ms slip as a lag change of one frame and a window that no longer correlates', () => {
    const rx = echoOf(tx, 3, 70);
    const arrival = Array.from({ length: rx.length / FRAME }, (_, j) => 1000 + (j - 3) * 20 + 35);
    const windows = correlateEcho(tx, txSent, rx, arrival);
    const call = summariseEchoCall(1, frames, arrival.length, windows);
    expect(call.constant).toBe(false);
    expect(new Set(windows.map((w) => w.lag))).toEqual(new Set([3 * FRAME, 4 * FRAME]));
    expect(call.minCorrelation).toBeLessThan(0.9);
  });

  it('records how late the probe sent the audio of each window', () => {
    const late = [...txSent];
    late[50] = late[50]! + 12; // mid-window: only that window (and not its neighbours, one frame either side) sees it
    const rx = echoOf(tx, 3);
    const arrival = Array.from({ length: rx.length / FRAME }, (_, j) => 1000 + (j - 3) * 20 + 35);
    const windows = correlateEcho(tx, late, rx, arrival);
    const lateWindows = windows.filter((w) => w.sendLateMaxMs > 0);
    expect(lateWindows).toHaveLength(1);
    expect(lateWindows[0]!.sendLateMaxMs).toBeCloseTo(12, 6);
  });

  it('measures lateness against the probe\'s clock, not against a first frame that itself left late', () => {
    const late = [...txSent];
    late[0] = late[0]! + 9;
    const rx = echoOf(tx, 3);
    const arrival = Array.from({ length: rx.length / FRAME }, (_, j) => 1000 + (j - 3) * 20 + 35);
    const windows = correlateEcho(tx, late, rx, arrival);
    // Only the window holding frame 0 saw a late frame; the others are on time.
    expect(windows[0]!.sendLateMaxMs).toBeCloseTo(9, 6);
    expect(windows.slice(1).every((w) => w.sendLateMaxMs === 0)).toBe(true);
  });
});

describe('echoDelayDistribution', () => {
  it('takes its quantiles over the calls\' own delays, and counts the constant ones', () => {
    const call = (delayMs: number | null, constant: boolean, sendLateMaxMs = 0) => ({ seed: 1, framesSent: 1, framesReceived: 1, windows: [], delayMs, lag: 0, minCorrelation: 1, constant, sendLateMaxMs });
    const d = echoDelayDistribution([call(30, true), call(50, true), call(10, false, 20), call(null, false), call(20, true)]);
    expect(d.calls).toBe(5);
    expect(d.constant).toBe(3);
    expect(d.paced).toBe(4);
    expect(d.pacedConstant).toBe(3);
    expect(d.delayMs).toEqual({ min: 10, p10: 10, p50: 30, p90: 50, max: 50 });
    expect(d.perCallMs).toEqual([30, 50, 10, null, 20]);
  });
});
