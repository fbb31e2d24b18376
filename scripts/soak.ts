/**
 * The soak (issue 17): calls with audio through the gateway at a steady share of the measured
 * maximum of concurrent calls, for a long time; not part of `npm test`, run by hand:
 *   npx tsx scripts/soak.ts [--concurrent 450] [--call-seconds 30] [--minutes 60] [--out reports/soak-<date>]
 * Each call streams PCMU both ways (SIPp rtp_stream → echo agent) for --call-seconds, new calls
 * start at concurrent ÷ call-seconds per second. The verdict (src/loadtest/soak.ts): failed calls,
 * frames late or lost, and RSS growth from the first steady window to the last.
 * Writes <out>/soak.json (the verdict and the run's report) and prints a markdown summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoadtest } from '../src/loadtest/command.js';
import { machineInfo } from '../src/loadtest/report.js';
import { soakVerdict } from '../src/loadtest/soak.js';

const { values } = parseArgs({
  options: {
    concurrent: { type: 'string', default: '450' },
    'call-seconds': { type: 'string', default: '30' },
    minutes: { type: 'string', default: '60' },
    out: { type: 'string' },
  },
});
const concurrent = Number(values.concurrent);
const callSeconds = Number(values['call-seconds']);
const minutes = Number(values.minutes);
const out = resolve(values.out ?? join('reports', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`));
mkdirSync(out, { recursive: true });

const rate = concurrent / callSeconds;
const calls = Math.round(rate * minutes * 60);
const started = new Date().toISOString();
const report = await runLoadtest({
  peer: 'gateway', rate, calls, durationSec: callSeconds, concurrency: concurrent + 20, audio: true, outDir: out,
  timeoutSec: minutes * 60 + callSeconds + 600,
  progress: (l) => { if (/^loadtest: (\d+ ok|.*calls at)/.test(l) || Math.random() < 1 / 60) console.error(l); },
});
const verdict = soakVerdict(report, callSeconds);
writeFileSync(join(out, 'soak.json'), JSON.stringify({ started, finished: new Date().toISOString(), machine: machineInfo(), concurrent, callSeconds, minutes, rate, calls, verdict, summary: report.summary }, null, 2));
const s = report.summary;
console.log([
  `| soak | ${minutes} min at ${concurrent} concurrent calls with audio (${rate.toFixed(2)} calls/s, ${callSeconds} s each) |`,
  '|---|---|',
  `| verdict | ${verdict.passed ? 'pass' : `FAIL: ${verdict.why.join('; ')}`} |`,
  `| calls ok / failed | ${verdict.callsSuccessful} / ${verdict.callsFailed} |`,
  `| frames late or never sent | ${verdict.latePercent ?? '-'} % |`,
  `| frames lost or dropped | ${verdict.lossPercent ?? '-'} % |`,
  `| RSS first / last steady window | ${verdict.rssFirstMiB ?? '-'} / ${verdict.rssLastMiB ?? '-'} MiB (growth ${verdict.growthPercent ?? '-'} %) |`,
  `| RSS per concurrent call | ${verdict.perConcurrentCallKiB ?? '-'} KiB |`,
  `| CPU mean | ${s.cpu?.meanPercent ?? '-'} % of a core |`,
  `| INVITE → 200 p50 / p99 | ${s.responseTimeMs.p50} / ${s.responseTimeMs.p99} ms |`,
].join('\n'));
console.log(`\nwrote ${join(out, 'soak.json')}`);
