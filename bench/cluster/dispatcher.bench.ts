/**
 * The dispatcher tier's cost and what it buys, in one run on this machine (issue 16):
 * - one trunkgate instance direct vs. two behind Kamailio (sip-configs/kamailio/kamailio.cfg), the
 *   same SIPp load (uac-load-short-call.xml, PCMU audio both ways via the echo agent) stepped up
 *   through TG_CLUSTER_STEPS calls/s (default 20,40) for TG_CLUSTER_STEP_S s of arrivals (default 8),
 *   calls TG_CLUSTER_CALL_S s long (default 4): successful and failed calls, peak concurrent calls,
 *   the highest step with 0 failed for each, their ratio (the scaling factor) and gateway CPU per call;
 * - Kamailio's CPU per call (its whole process tree, over the two-instance steps): the tier's cost;
 * - a balance run of TG_CLUSTER_CALLS calls (default 200; the 2,000 with TG_CLUSTER_CALLS=2000)
 *   through Kamailio: each instance's share and the failed calls.
 * Run: node --import tsx bench/run.ts cluster
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from '../run.js';
import { startCluster, type Cluster } from '../../src/cluster/run.js';
import { SCENARIO_DIR, startGatewayChild, type RunningPeer } from '../../src/loadtest/peers.js';
import { readTreeUsage } from '../../src/loadtest/proc-sampler.js';
import { startSippUac } from '../../src/loadtest/sipp-uac.js';
import type { PortRange } from '../../src/loadtest/udp-drops.js';

const TICK_MS = 10; // getconf CLK_TCK = 100 on Linux
const steps = (process.env.TG_CLUSTER_STEPS ?? '20,40').split(',').map(Number).filter((n) => n > 0);
const stepS = Number(process.env.TG_CLUSTER_STEP_S ?? 8);
const callS = Number(process.env.TG_CLUSTER_CALL_S ?? 4);
const balanceCalls = Number(process.env.TG_CLUSTER_CALLS ?? 200);

interface StepResult { rate: number; calls: number; successful: number; failed: number; peakConcurrent: number; gatewayCpuMsPerCall: number; kamailioCpuMsPerCall?: number }

const cpuTicks = (pids: number[]): number => pids.reduce((sum, pid) => sum + (readTreeUsage(pid)?.cpuTicks ?? 0), 0);

async function load(dir: string, target: string, avoid: PortRange[], rate: number, calls: number, durationMs: number): Promise<{ successful: number; failed: number; peak: number }> {
  const run = await startSippUac({
    workDir: mkdtempSync(join(dir, 'sipp-')), scenarioFile: join(SCENARIO_DIR, 'uac-load-short-call.xml'), target,
    rate, calls, concurrency: calls, durationMs, audio: true, service: '15551234567', timeoutMs: 600_000, avoidPorts: avoid,
  });
  const r = await run.done;
  const last = r.stats.at(-1);
  return { successful: last?.successfulTotal ?? 0, failed: last?.failedTotal ?? 0, peak: Math.max(0, ...r.stats.map((s) => s.currentCalls)) };
}

async function stepUp(dir: string, target: string, avoid: PortRange[], gatewayPids: () => number[], kamailioPid?: number): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (const rate of steps) {
    const calls = Math.round(rate * stepS);
    const gw0 = cpuTicks(gatewayPids());
    const k0 = kamailioPid ? cpuTicks([kamailioPid]) : 0;
    const r = await load(dir, target, avoid, rate, calls, callS * 1000);
    const gw = (cpuTicks(gatewayPids()) - gw0) * TICK_MS / calls;
    const k = kamailioPid ? (cpuTicks([kamailioPid]) - k0) * TICK_MS / calls : undefined;
    out.push({ rate, calls, successful: r.successful, failed: r.failed, peakConcurrent: r.peak, gatewayCpuMsPerCall: +gw.toFixed(2), ...(k !== undefined ? { kamailioCpuMsPerCall: +k.toFixed(3) } : {}) });
    if (r.failed > 0) break;
  }
  return out;
}

const best = (rs: StepResult[]): StepResult | undefined => rs.filter((r) => r.failed === 0).at(-1);

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
  const results: BenchResult[] = [];
  let single: RunningPeer | undefined;
  let cluster: Cluster | undefined;
  try {
    single = await startGatewayChild({ workDir: join(dir), mediaPorts: 2000 });
    const one = await stepUp(dir, single.target, single.watchPorts, () => [single!.pid!]);
    await single.stop();
    single = undefined;

    const ends = new Map<string, number>();
    cluster = await startCluster({
      instances: 2, workDir: join(dir, 'cluster'), agent: 'echo', mediaPorts: 2000,
      onLogRecord: (instance, rec) => { if (rec.event === 'call_end') ends.set(instance, (ends.get(instance) ?? 0) + 1); },
    });
    const c = cluster;
    // The balance run first, on the fresh cluster: the step-up ends past the machine's ceiling.
    const rate = Number(process.env.TG_CLUSTER_BALANCE_RATE ?? 40);
    const bal = await load(dir, c.target, c.portRanges, rate, balanceCalls, 2000);
    const deadline = Date.now() + 15_000;
    while ((ends.get('tg-1') ?? 0) + (ends.get('tg-2') ?? 0) < bal.successful && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const shares = ['tg-1', 'tg-2'].map((id) => ends.get(id) ?? 0);
    results.push({
      suite: 'cluster', name: `balance: ${balanceCalls} calls with audio through Kamailio, largest deviation from an even share`, value: Math.max(...shares.map((n) => Math.abs(n - balanceCalls / 2) / (balanceCalls / 2) * 100)), unit: '%',
      detail: { successful: bal.successful, failed: bal.failed, tg1: shares[0], tg2: shares[1], rate, callSeconds: 2, peakConcurrent: bal.peak },
    });
    ends.clear();
    const two = await stepUp(dir, c.target, c.portRanges, () => c.instances.map((i) => i.peer.pid!), c.kamailio.child.pid);

    for (const [setup, rs] of [['one instance direct', one], ['two instances behind Kamailio', two]] as const) {
      for (const r of rs) {
        results.push({ suite: 'cluster', name: `${setup}: ${r.rate} calls/s offered`, value: r.successful / stepS, unit: 'calls/s', detail: { ...r, callSeconds: callS } });
      }
    }
    const b1 = best(one);
    const b2 = best(two);
    results.push({
      suite: 'cluster', name: 'scaling factor (highest step with 0 failed, two behind Kamailio / one direct)', value: b1 && b2 ? b2.rate / b1.rate : Number.NaN, unit: 'x',
      detail: { one: b1?.rate, two: b2?.rate, onePeakConcurrent: b1?.peakConcurrent, twoPeakConcurrent: b2?.peakConcurrent, stepsTried: steps, ceilingReached: { one: one.some((r) => r.failed > 0), two: two.some((r) => r.failed > 0) } },
    });
    const kam = two.filter((r) => r.failed === 0 && r.kamailioCpuMsPerCall !== undefined);
    const kamCalls = kam.reduce((s, r) => s + r.calls, 0);
    results.push({
      suite: 'cluster', name: 'Kamailio CPU per call (dispatcher tier)', value: kamCalls ? kam.reduce((s, r) => s + r.kamailioCpuMsPerCall! * r.calls, 0) / kamCalls : Number.NaN, unit: 'ms/call',
      detail: { gatewayCpuMsPerCallTwo: b2?.gatewayCpuMsPerCall, gatewayCpuMsPerCallOne: b1?.gatewayCpuMsPerCall },
    });

  } finally {
    await single?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
