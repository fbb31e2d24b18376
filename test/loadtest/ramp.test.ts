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

  it('rampConcurrentMedia passes small levels through the gateway with audio', async () => {
    const r = await rampConcurrentMedia({ peer: 'gateway', outDir: workDir, levels: [10, 20], callSeconds: 3, progress: () => undefined });
    expect(r.steps.length).toBeGreaterThan(0);
    expect(r.steps[0]!.mediaLossPercent).not.toBeNull();
    if (r.steps[0]!.passed) expect(r.max).toBeGreaterThanOrEqual(10);
  }, 180_000);
});
