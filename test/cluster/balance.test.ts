/**
 * Calls with audio through real Kamailio (sip-configs/kamailio/kamailio.cfg) to two trunkgate
 * instances on 127.0.0.1: every call answered, the two instances' shares within 10 % of even, and
 * each instance's call_end names it. TRUNKGATE_CLUSTER_CALLS sets the count (default 200; the
 * 2,000-call run is bench/cluster/dispatcher.bench.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../src/cluster/run.js';
import { outcome, startLoad } from './load.js';

const CALLS = Number(process.env.TRUNKGATE_CLUSTER_CALLS ?? 200);

describe('Kamailio dispatcher in front of two trunkgate instances', () => {
  let cluster: Cluster;
  let workDir: string;
  const ends = new Map<string, Record<string, unknown>[]>();

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'cluster-balance-'));
    cluster = await startCluster({
      instances: 2, workDir, agent: 'echo', mediaPorts: 2 * CALLS,
      onLogRecord: (instance, rec) => {
        if (rec.event === 'call_end') ends.set(instance, [...(ends.get(instance) ?? []), rec]);
      },
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it(`answers ${CALLS} calls with audio, 0 failed, balanced within 10 % between the instances`, async () => {
    const run = await startLoad(cluster, workDir, { calls: CALLS, rate: 40, durationMs: 1500 });
    const result = await run.done;
    if (result.errorLines) console.warn(result.errorsExcerpt);
    expect(outcome(result)).toEqual({ successful: CALLS, failed: 0 });
    // Every call's call_end line, from the instance that took it (its log lines name it).
    await expect.poll(() => (ends.get('tg-1')?.length ?? 0) + (ends.get('tg-2')?.length ?? 0), { timeout: 10_000 }).toBe(CALLS);
    const shares = ['tg-1', 'tg-2'].map((id) => ends.get(id)?.length ?? 0);
    console.info(`cluster balance: ${CALLS} calls → tg-1 ${shares[0]}, tg-2 ${shares[1]}`);
    for (const n of shares) expect(Math.abs(n - CALLS / 2)).toBeLessThanOrEqual(0.1 * (CALLS / 2));
    for (const [id, recs] of ends) {
      for (const r of recs) {
        expect(r.instance).toBe(id);
        expect(r.answered).toBe(true);
        // audio both ways: SIPp's stream reached the gateway and the echo came back out
        expect(r.packetsIn).toBeGreaterThan(20);
        expect(r.packetsOut).toBeGreaterThan(20);
      }
    }
  });
});
