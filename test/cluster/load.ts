/** A SIPp load (uac-load-short-call.xml, PCMU audio) against a cluster's Kamailio, in a work directory of its own. */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../../src/cluster/run.js';
import { SCENARIO_DIR } from '../../src/loadtest/peers.js';
import { startSippUac, type SippUacRun } from '../../src/loadtest/sipp-uac.js';

export interface LoadOptions { calls: number; rate: number; durationMs: number; audio?: boolean }

export function startLoad(cluster: Cluster, workDir: string, o: LoadOptions): Promise<SippUacRun> {
  return startSippUac({
    workDir: mkdtempSync(join(workDir, 'sipp-')), scenarioFile: join(SCENARIO_DIR, 'uac-load-short-call.xml'), target: cluster.target,
    rate: o.rate, calls: o.calls, concurrency: o.calls, durationMs: o.durationMs, audio: o.audio ?? true, service: '15551234567',
    timeoutMs: 180_000, avoidPorts: cluster.portRanges,
  });
}

/** Successful and failed calls as SIPp counted them (its last statistics row). */
export function outcome(run: Awaited<SippUacRun['done']>): { successful: number; failed: number } {
  const last = run.stats.at(-1);
  return { successful: last?.successfulTotal ?? 0, failed: last?.failedTotal ?? 0 };
}
