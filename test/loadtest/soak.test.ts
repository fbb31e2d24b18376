/**
 * The soak's verdict (src/loadtest/soak.ts) from a run's report: failed calls, frames late or lost,
 * and RSS growth between the first and the last steady windows of the run.
 */
import { describe, expect, it } from 'vitest';
import type { LoadtestReport } from '../../src/loadtest/report.js';
import { soakVerdict } from '../../src/loadtest/soak.js';

/** A 600 s run of 30 s calls at 15 calls/s: SIPp starts calls from t = 1 to t = 600. */
function report(o: { rss: (t: number) => number; failed?: number; late?: number; lost?: number }): LoadtestReport {
  const sipp = Array.from({ length: 640 }, (_, i) => ({ t: i, callRate: i >= 1 && i <= 600 ? 15 : 0, currentCalls: Math.min(450, Math.max(0, 15 * (i - 1))), successful: 0, failed: 0 }));
  const processSamples = Array.from({ length: 640 }, (_, i) => ({ t: i, cpuPercent: 80, rssMiB: o.rss(i) }));
  const calls = 9000;
  return {
    summary: {
      callsSuccessful: calls - (o.failed ?? 0), callsFailed: o.failed ?? 0, failures: o.failed ? { FailedCallRejected: o.failed } : {},
      audio: { kernelUdpDrops: 0, gateway: { packetsLost: o.lost ?? 0, lateFramePercent: o.late ?? 0, outShortfallPercent: 0 } },
    },
    series: { sipp, process: processSamples, responseTime: [] },
  } as unknown as LoadtestReport;
}

describe('soakVerdict', () => {
  it('passes a run with no failed call, no late or lost frame and flat memory; memory per call is the steady RSS over the idle one', () => {
    const v = soakVerdict(report({ rss: (t) => (t < 1 ? 200 : 290) }), 30);
    expect(v).toMatchObject({ passed: true, why: [], callsFailed: 0, latePercent: 0, lossPercent: 0, rssFirstMiB: 290, rssLastMiB: 290, growthPercent: 0 });
    expect(v.perConcurrentCallKiB).toBeCloseTo((90 * 1024) / 450, 1);
  });

  it('measures growth from the first steady window (after one call length) to the last one, ignoring the ramp-up', () => {
    // RSS climbs during the first 30 s (calls arriving), then grows 5 MiB over the run.
    const v = soakVerdict(report({ rss: (t) => (t < 31 ? 200 + 3 * t : 290 + (5 * (t - 31)) / 570) }), 30);
    expect(v.rssFirstMiB).toBeGreaterThan(290);
    expect(v.rssLastMiB).toBeGreaterThan(294);
    expect(v.growthPercent).toBeGreaterThan(1);
    expect(v.passed).toBe(false);
    expect(v.why).toEqual([expect.stringMatching(/^RSS grew 1\.\d+ %$/)]);
  });

  it('fails a run with a failed call, late frames or lost frames, and says which', () => {
    const v = soakVerdict(report({ rss: () => 290, failed: 2, late: 0.2, lost: 30_000 }), 30);
    expect(v.passed).toBe(false);
    expect(v.why).toEqual(['2 calls failed (FailedCallRejected 2)', expect.stringMatching(/^0\.\d+ % of frames lost or dropped$/), '0.2 % of frames late or never sent']);
  });
});
