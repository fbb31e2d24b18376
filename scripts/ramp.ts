/**
 * Ramps that find the maxima on this machine (issue 6). Not part of `npm test`: run by hand.
 *   npx tsx scripts/ramp.ts [--what rate,media,latency] [--peers gateway,kamailio,sipp-uas]
 *     [--max-rate 3000] [--levels 50,100,200,400,800] [--call-seconds 6] [--media-workers n|auto]
 *     [--out reports/ramp-<date>]
 * - rate:    highest calls/s with 0 failed calls (0.2 s calls, no audio), each step 5 s of load;
 * - media:   most concurrent calls with audio at < 0.1% lost/dropped frames, memory per call;
 * - latency: p50/p99 of the echo path (probe RTP bursts through the echo agent at delay 0,
 *            compared with SIPp -rtp_echo), then --latency-calls calls one after another through
 *            the same peer, each call's delay measured to the sample (src/loadtest/echo-delay.ts):
 *            the distribution of the per-call delays and how many stayed constant.
 * Writes <out>/ramp.json and prints a markdown summary (the figures for docs/benchmarks.md, "Load tests").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { echoDelayDistribution, measureEchoDelay, type EchoDelayCall, type EchoDelayDistribution } from '../src/loadtest/echo-delay.js';
import { measureEchoLatency, type EchoLatencyResult } from '../src/loadtest/echo-latency.js';
import { startGatewayChild, startSippUas } from '../src/loadtest/peers.js';
import { rampCallRate, rampConcurrentMedia, type RampResult } from '../src/loadtest/ramp.js';
import { machineInfo } from '../src/loadtest/report.js';

type Peer = 'gateway' | 'kamailio' | 'sipp-uas';

const { values } = parseArgs({
  options: {
    what: { type: 'string', default: 'rate,media,latency' },
    peers: { type: 'string', default: 'gateway,kamailio,sipp-uas' },
    'max-rate': { type: 'string', default: '3000' },
    'start-rate': { type: 'string', default: '50' },
    levels: { type: 'string', default: '50,100,200,400,800' },
    'call-seconds': { type: 'string', default: '6' },
    'latency-seconds': { type: 'string', default: '10' },
    'latency-calls': { type: 'string', default: '20' },
    'media-workers': { type: 'string' },
    out: { type: 'string' },
  },
});
const what = new Set(values.what!.split(','));
const mediaWorkers = values['media-workers'] === undefined ? {} : { mediaWorkers: values['media-workers'] === 'auto' ? 'auto' as const : Number(values['media-workers']) };
const peers = values.peers!.split(',') as Peer[];
const out = resolve(values.out ?? join('reports', `ramp-${new Date().toISOString().replace(/[:.]/g, '-')}`));
mkdirSync(out, { recursive: true });

const rate: RampResult[] = [];
const media: RampResult[] = [];
const latency: Record<string, EchoLatencyResult> = {};
const perCall: Record<string, { distribution: EchoDelayDistribution; calls: EchoDelayCall[] }> = {};

if (what.has('rate')) {
  for (const peer of peers) {
    rate.push(await rampCallRate({ peer, outDir: out, startRate: Number(values['start-rate']), maxRate: Number(values['max-rate']), progress: (l) => console.error(l) }));
  }
}
if (what.has('media')) {
  // Kamailio relays signalling only: its media figure would be the SIPp echo's.
  for (const peer of peers.filter((p) => p !== 'kamailio')) {
    media.push(await rampConcurrentMedia({ peer, outDir: out, levels: values.levels!.split(',').map(Number), callSeconds: Number(values['call-seconds']), ...mediaWorkers, progress: (l) => console.error(l) }));
  }
}
if (what.has('latency')) {
  for (const peer of peers.filter((p) => p !== 'kamailio')) {
    const running = peer === 'gateway' ? await startGatewayChild({ workDir: out, mediaPorts: 100 }) : await startSippUas({ workDir: out });
    try {
      latency[peer] = await measureEchoLatency({ target: running.target, workDir: out, seconds: Number(values['latency-seconds']) });
      console.error(`latency ${peer}: p50 ${latency[peer]!.p50Ms} ms, p99 ${latency[peer]!.p99Ms} ms (${latency[peer]!.echoed}/${latency[peer]!.bursts} bursts echoed)`);
      const calls: EchoDelayCall[] = [];
      for (let i = 0; i < Number(values['latency-calls']); i++) calls.push(await measureEchoDelay({ target: running.target, workDir: out, seconds: 4 }));
      perCall[peer] = { distribution: echoDelayDistribution(calls), calls };
      console.error(`per-call echo delay ${peer}: ${JSON.stringify(perCall[peer]!.distribution)}`);
    } finally {
      await running.stop();
    }
  }
}

const result = { date: new Date().toISOString(), machine: machineInfo(), command: `npx tsx scripts/ramp.ts ${process.argv.slice(2).join(' ')}`.trim(), rate, media, latency, perCall };
writeFileSync(join(out, 'ramp.json'), JSON.stringify(result, null, 2));

const lines: string[] = [];
const ratio = (a: number | null | undefined, b: number | null | undefined): string => (a && b ? (a / b).toFixed(2) : 'n/a');
if (rate.length) {
  const gw = rate.find((r) => r.peer === 'gateway')?.max;
  lines.push('| peer | max calls/s, 0 failed | gateway ÷ peer | CPU ms/call at max | p99 INVITE→200 at max |', '|---|---|---|---|---|');
  for (const r of rate) {
    const best = r.steps.filter((s) => s.passed).at(-1);
    lines.push(`| ${r.peer} | ${r.max ?? 'none'} | ${r.peer === 'gateway' ? '1' : ratio(gw, r.max)} | ${best?.cpuMsPerCall ?? '-'} | ${best?.responseP99Ms ?? '-'} ms |`);
  }
}
if (media.length) {
  const gw = media.find((r) => r.peer === 'gateway')?.max;
  lines.push('', '| peer | max concurrent calls with audio, < 0.1% lost/dropped | gateway ÷ peer | CPU at max | KiB per concurrent call at max |', '|---|---|---|---|---|');
  for (const r of media) {
    const best = r.steps.filter((s) => s.passed).at(-1);
    lines.push(`| ${r.peer} | ${r.max ?? 'none'} | ${r.peer === 'gateway' ? '1' : ratio(gw, r.max)} | ${best?.cpuMeanPercent ?? '-'}% | ${best?.perConcurrentCallKiB ?? '-'} |`);
  }
}
if (Object.keys(latency).length) {
  lines.push('', '| echo path | p50 ms | p99 ms | max ms | bursts echoed |', '|---|---|---|---|---|');
  for (const [peer, l] of Object.entries(latency)) lines.push(`| ${peer} | ${l.p50Ms} | ${l.p99Ms} | ${l.maxMs} | ${l.echoed}/${l.bursts} |`);
  lines.push('', '| echo path, per call | calls | constant | per-call delay min / p10 / p50 / p90 / max ms | probe on time: calls, constant |', '|---|---|---|---|---|');
  for (const [peer, { distribution: d }] of Object.entries(perCall)) {
    const q = d.delayMs ? `${d.delayMs.min} / ${d.delayMs.p10} / ${d.delayMs.p50} / ${d.delayMs.p90} / ${d.delayMs.max}` : '-';
    lines.push(`| ${peer} | ${d.calls} | ${d.constant} | ${q} | ${d.paced}, ${d.pacedConstant} |`);
  }
}
writeFileSync(join(out, 'ramp.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
console.log(`\nwrote ${join(out, 'ramp.json')}`);
