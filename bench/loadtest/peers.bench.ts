/**
 * The same SIPp load against the gateway and its peers in one run, compared as ratios:
 * - signalling: 1000 short calls (0.2 s, no audio) at 200 calls/s; CPU ms per call of the
 *   gateway process vs. Kamailio as a stateless relay (the C upper bound for one SIP hop) and
 *   SIPp's own UAS;
 * - media: 100 concurrent calls with audio (6 s each); CPU ms per call-second of the gateway vs.
 *   SIPp -rtp_echo (the floor for media).
 * Run: npx tsx bench/run.ts loadtest
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from '../run.js';
import { runLoadtest } from '../../src/loadtest/command.js';
import type { LoadtestReport } from '../../src/loadtest/report.js';

type Peer = 'gateway' | 'kamailio' | 'sipp-uas';

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-loadtest-'));
  const results: BenchResult[] = [];
  try {
    const signalling: Partial<Record<Peer, LoadtestReport>> = {};
    for (const peer of ['gateway', 'kamailio', 'sipp-uas'] as const) {
      signalling[peer] = await runLoadtest({ peer, rate: 200, calls: 1000, durationSec: 0.2, audio: false, outDir: join(dir, `sig-${peer}`), progress: () => undefined });
    }
    const gwSig = signalling.gateway!.summary.cpu?.cpuMsPerCall ?? Number.NaN;
    for (const [peer, r] of Object.entries(signalling)) {
      const ms = r.summary.cpu?.cpuMsPerCall ?? Number.NaN;
      results.push({
        suite: 'loadtest', name: `signalling CPU per call: ${peer}`, value: ms, unit: 'ms/call',
        detail: { failed: r.summary.callsFailed, rate: r.summary.achievedRate, p99Ms: r.summary.responseTimeMs.p99, gatewayOverPeer: Number((gwSig / ms).toFixed(2)) },
      });
    }
    const media: Partial<Record<Peer, LoadtestReport>> = {};
    for (const peer of ['gateway', 'sipp-uas'] as const) {
      media[peer] = await runLoadtest({ peer, rate: 100 / 6, calls: 200, durationSec: 6, concurrency: 120, audio: true, outDir: join(dir, `media-${peer}`), progress: () => undefined });
    }
    const perCallSecond = (r: LoadtestReport): number => ((r.summary.cpu?.cpuSeconds ?? Number.NaN) * 1000) / ((r.summary.callsSuccessful + r.summary.callsFailed) * 6);
    const gwMedia = perCallSecond(media.gateway!);
    for (const [peer, r] of Object.entries(media)) {
      const v = perCallSecond(r);
      results.push({
        suite: 'loadtest', name: `media CPU per call-second: ${peer}`, value: v, unit: 'ms/call-s',
        detail: { failed: r.summary.callsFailed, concurrent: r.summary.maxConcurrentCalls, kernelDrops: r.summary.audio.kernelUdpDrops, lossPercent: r.summary.audio.gateway?.lossPercent, gatewayOverPeer: Number((gwMedia / v).toFixed(2)) },
      });
    }
    results.push({ suite: 'loadtest', name: 'gateway memory per concurrent call (media)', value: media.gateway!.summary.memory?.perConcurrentCallKiB ?? Number.NaN, unit: 'KiB', detail: { peakMiB: media.gateway!.summary.memory?.peakMiB } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
