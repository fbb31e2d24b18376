import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rampCallRate, rampConcurrentMedia } from '../../src/loadtest/ramp.js';

const workDir = mkdtempSync(join(tmpdir(), 'loadtest-ramp-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

// The full ramps are scripts/ramp.ts; these short ones check the ramp logic end to end.
describe.skipIf(!process.env.TRUNKGATE_SLOW)('ramps (slow: set TRUNKGATE_SLOW=1)', () => {
  it('rampCallRate climbs through passing steps against SIPp uas and reports the best one', async () => {
    const r = await rampCallRate({ peer: 'sipp-uas', outDir: workDir, startRate: 20, factor: 2, maxRate: 80, stepSeconds: 2, progress: () => undefined });
    expect(r.steps.map((s) => s.target)).toEqual([20, 40, 80]);
    expect(r.steps.every((s) => s.passed)).toBe(true);
    expect(r.max).toBeGreaterThanOrEqual(72);
  }, 180_000);

  it('rampConcurrentMedia passes 10 concurrent calls through the gateway with audio, stops at the first failing level and reports the best passing one', async () => {
    const r = await rampConcurrentMedia({ peer: 'gateway', outDir: workDir, levels: [10, 20], callSeconds: 3, progress: () => undefined });
    expect(r.steps[0]!.target).toBe(10);
    expect(r.steps[0]!.passed, r.steps[0]!.why).toBe(true);
    expect(r.steps[0]!.mediaLossPercent).not.toBeNull();
    // whatever 20 gives on this machine: only the last step may have failed, and max is the best pass
    expect(r.steps.slice(0, -1).every((s) => s.passed)).toBe(true);
    expect(r.max).toBe(Math.max(...r.steps.filter((s) => s.passed).map((s) => s.target)));
  }, 180_000);
});
