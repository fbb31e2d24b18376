/**
 * The concurrency claim, CI-sized and able to fail: 100 concurrent calls with audio for 20 s
 * through the gateway (a `trunkgate start` child with the echo agent), SIPp streaming PCMU into
 * every call. Late and lost frames are counted from the gateway's `call_end` lines (framesSent,
 * lateFrames, packetsLost) and the kernel's drop counters of its sockets; none may exceed 0.1 %.
 *
 * `*.alone.test.ts` files run after the rest of the suite, one at a time (vitest.alone.config.ts):
 * a late-frame bound means something only when no other test file shares the two cores.
 * The full ramp (to 500 calls and beyond) is `scripts/ramp.ts`; its results are in docs/benchmarks.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLoadtest } from '../../src/loadtest/command.js';

const workDir = mkdtempSync(join(tmpdir(), 'loadtest-concurrent-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const CALLS = 100;
const SECONDS = 20;
const LIMIT_PERCENT = 0.1;

describe('100 concurrent calls with audio through the gateway (SIPp → trunkgate start → echo agent)', () => {
  it(`carries ${CALLS} calls of ${SECONDS} s at once with none failed and ≤ ${LIMIT_PERCENT} % of frames late or lost`, async () => {
    // 20 calls/s: all 100 are up after 5 s and stay up together until the first hangs up at 20 s.
    const report = await runLoadtest({
      rate: 20, calls: CALLS, durationSec: SECONDS, concurrency: CALLS + 20, audio: true, outDir: workDir, progress: () => undefined,
    });
    const s = report.summary;
    const why = JSON.stringify({ failures: s.failures, refused: s.refusedByGateway, sipp: report.sipp.errorsExcerpt.slice(0, 1500) });
    expect(s.callsFailed, why).toBe(0);
    expect(s.callsSuccessful).toBe(CALLS);
    expect(s.maxConcurrentCalls).toBeGreaterThanOrEqual(CALLS);

    const gw = s.audio.gateway!;
    const detail = JSON.stringify({ gateway: gw, kernelUdpDrops: s.audio.kernelUdpDrops, cpu: s.cpu });
    expect(gw.calls, detail).toBe(CALLS);
    // Every call ran its 20 s: the pacer sent (audio or silence) one frame per 20 ms of answered time.
    expect(gw.framesSent, detail).not.toBeNull();
    expect(gw.framesSent!, detail).toBeGreaterThanOrEqual(CALLS * SECONDS * 50 * 0.99);
    // Late: frames the gateway's pacer sent more than half a ptime after their tick (call_end lateFrames).
    expect(gw.lateFrames, detail).not.toBeNull();
    expect(gw.lateFrames! / gw.framesSent!, detail).toBeLessThanOrEqual(LIMIT_PERCENT / 100);
    // Never sent at all: the shortfall of packets out against answered time / 20 ms.
    expect(gw.outShortfallPercent!, detail).toBeLessThanOrEqual(LIMIT_PERCENT);
    // Lost on the way in: RTP sequence gaps the gateway counted, plus datagrams the kernel dropped
    // on its sockets, against the frames SIPp streamed.
    const lost = gw.packetsLost + s.audio.kernelUdpDrops;
    expect(lost / (gw.packetsIn + gw.packetsLost), detail).toBeLessThanOrEqual(LIMIT_PERCENT / 100);
    expect(gw.packetsIn, detail).toBeGreaterThanOrEqual(CALLS * (SECONDS - 1) * 50);
  }, 180_000);
});
