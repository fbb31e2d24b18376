/**
 * `trunkgate loadtest`: drives real SIPp against a gateway (started here with the echo agent, or a
 * running one via --target) or a peer for comparison, samples the peer's CPU and memory every
 * second, and writes report.json + report.html. The CLI exits non-zero when any call failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { LoadtestError } from './errors.js';
import { externalPeer, startGatewayChild, startKamailioRelay, startSippUas, type PeerKind, type RunningPeer } from './peers.js';
import { ProcSampler } from './proc-sampler.js';
import { buildReport, summariseGatewayAudio, type AudioQuality, type LoadtestReport } from './report.js';
import { renderReportHtml } from './report-html.js';
import { resolveScenario, startSippUac } from './sipp-uac.js';
import { UdpDropTracker } from './udp-drops.js';

export interface LoadtestOptions {
  /** New calls per second (SIPp -r). */
  rate: number;
  /** Total calls (SIPp -m). */
  calls: number;
  /** Call length in seconds (SIPp -d). */
  durationSec: number;
  /** Most calls alive at once (SIPp -l); default: enough for rate × duration plus slack. */
  concurrency?: number;
  /** A file in sipp-scenarios/ (with or without .xml) or a path; default uac-load-short-call. */
  scenario?: string;
  /** host:port of a running gateway; when absent a peer is started (see `peer`). */
  target?: string;
  /** With --target: the gateway's pid, to sample its CPU and memory. */
  targetPid?: number;
  /** What to start when there is no target: the gateway (default), SIPp's echo UAS, or Kamailio in front of it. */
  peer?: Exclude<PeerKind, 'external'>;
  /** Stream audio in each call (scenarios declaring the `audio` global). Default true. */
  audio?: boolean;
  /** Kamailio UDP workers (peer kamailio). Default 1 (more may reorder 180/200). */
  kamailioWorkers?: number;
  /** The started gateway's `media.workers` (peer gateway): a number of worker threads, 0 = main thread. */
  mediaWorkers?: number | 'auto';
  /** Report folder; default reports/loadtest-<date>/ under the working directory. */
  outDir?: string;
  /** Number dialled. Default 15551234567. */
  service?: string;
  /** A progress line per second (default: to stderr). Pass `() => {}` for silence. */
  progress?: (line: string) => void;
  /** Kill SIPp after this long (default: expected run time × 3 + 60 s). */
  timeoutSec?: number;
}

function positive(name: string, integer: boolean) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new InvalidArgumentError(`${name} must be a positive ${integer ? 'integer' : 'number'}`);
    return n;
  };
}

function buildLoadtestCommand(): Command {
  return new Command('loadtest')
    .description('load a trunkgate gateway (or a comparison peer) with SIPp and write report.json + report.html')
    .option('-r, --rate <calls/s>', 'new calls per second', positive('--rate', false), 20)
    .option('-n, --calls <N>', 'total calls', positive('--calls', true), 200)
    .option('-d, --duration <s>', 'call length in seconds', positive('--duration', false), 1)
    .option('-c, --concurrency <C>', 'most calls at once (SIPp -l)', positive('--concurrency', true))
    .option('-s, --scenario <name>', 'scenario in sipp-scenarios/', 'uac-load-short-call')
    .option('-t, --target <host:port>', 'a running gateway (default: start one with the echo agent)')
    .option('--target-pid <pid>', 'pid of the --target gateway, to sample CPU and memory', positive('--target-pid', true))
    .option('--peer <kind>', 'what to start without --target: gateway | sipp-uas | kamailio', 'gateway')
    .option('--no-audio', 'signalling only (no rtp_stream)')
    .option('--kamailio-workers <n>', 'Kamailio UDP workers', positive('--kamailio-workers', true), 1)
    .option('--media-workers <n|auto>', "the started gateway's media worker threads (0 = main thread; default: its config, one per core)")
    .option('-o, --out <dir>', 'report folder (default reports/loadtest-<date>/)')
    .option('--service <number>', 'number dialled', '15551234567')
    .option('--timeout <s>', 'kill SIPp after this many seconds', positive('--timeout', false))
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
}

/** The command's usage text (`trunkgate loadtest --help`). */
export function loadtestHelp(): string {
  return buildLoadtestCommand().helpInformation();
}

/** The command's options as commander parses them (argv without `node script`). Throws LoadtestError BAD_OPTION. */
export function parseLoadtestArgs(argv: string[]): LoadtestOptions {
  const cmd = buildLoadtestCommand();
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    throw new LoadtestError('BAD_OPTION', (err as Error).message, { cause: err });
  }
  const o = cmd.opts<{ rate: number; calls: number; duration: number; concurrency?: number; scenario: string; target?: string; targetPid?: number; peer: string; audio: boolean; kamailioWorkers: number; mediaWorkers?: string; out?: string; service: string; timeout?: number }>();
  if (!['gateway', 'sipp-uas', 'kamailio'].includes(o.peer)) throw new LoadtestError('BAD_OPTION', `--peer must be gateway, sipp-uas or kamailio, not '${o.peer}'`);
  if (o.mediaWorkers !== undefined && o.mediaWorkers !== 'auto' && !/^\d{1,3}$/.test(o.mediaWorkers)) throw new LoadtestError('BAD_OPTION', `--media-workers must be a number or auto, not '${o.mediaWorkers}'`);
  if (o.target !== undefined && !/^[^\s:]+:\d{1,5}$/.test(o.target)) throw new LoadtestError('BAD_OPTION', `--target must be host:port, not '${o.target}'`);
  return {
    rate: o.rate, calls: o.calls, durationSec: o.duration, scenario: o.scenario, peer: o.peer as LoadtestOptions['peer'],
    audio: o.audio, kamailioWorkers: o.kamailioWorkers, service: o.service,
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
    ...(o.mediaWorkers !== undefined ? { mediaWorkers: o.mediaWorkers === 'auto' ? 'auto' as const : Number(o.mediaWorkers) } : {}),
    ...(o.target !== undefined ? { target: o.target } : {}),
    ...(o.targetPid !== undefined ? { targetPid: o.targetPid } : {}),
    ...(o.out !== undefined ? { outDir: o.out } : {}),
    ...(o.timeout !== undefined ? { timeoutSec: o.timeout } : {}),
  };
}

function defaultOutDir(): string {
  return resolve('reports', `loadtest-${new Date().toISOString().replace(/[:.]/g, '-')}`);
}

async function startPeer(o: LoadtestOptions, workDir: string): Promise<RunningPeer> {
  if (o.target) return externalPeer(o.target, o.targetPid);
  switch (o.peer ?? 'gateway') {
    case 'sipp-uas': return startSippUas({ workDir });
    case 'kamailio': return startKamailioRelay({ workDir, workers: o.kamailioWorkers ?? 1 });
    default: {
      const concurrency = o.concurrency ?? defaultConcurrency(o);
      return startGatewayChild({ workDir, agent: 'echo', mediaPorts: Math.max(200, 2 * concurrency + 100), ...(o.mediaWorkers !== undefined ? { mediaWorkers: o.mediaWorkers } : {}) });
    }
  }
}

function defaultConcurrency(o: LoadtestOptions): number {
  return Math.max(10, Math.ceil(o.rate * (o.durationSec + 2) * 1.5));
}

/** Runs one load test to the end and writes its report; resolves with the report (also when calls failed). */
export async function runLoadtest(opts: LoadtestOptions): Promise<LoadtestReport> {
  if (!(opts.rate > 0) || !(opts.calls > 0) || !(opts.durationSec > 0)) throw new LoadtestError('BAD_OPTION', 'rate, calls and durationSec must be positive');
  const progress = opts.progress ?? ((line: string) => { process.stderr.write(`${line}\n`); });
  const outDir = resolve(opts.outDir ?? defaultOutDir());
  mkdirSync(outDir, { recursive: true });
  const scenarioFile = resolveScenario(opts.scenario ?? 'uac-load-short-call');
  const concurrency = opts.concurrency ?? defaultConcurrency(opts);
  const audio = opts.audio ?? true;
  const expectedSec = opts.calls / opts.rate + opts.durationSec;
  const timeoutMs = (opts.timeoutSec ?? expectedSec * 3 + 60) * 1000;

  const peer = await startPeer(opts, outDir);
  const startedAt = new Date();
  let sampler: ProcSampler | undefined;
  const drops = new UdpDropTracker(peer.watchPorts, peer.pid);
  let ticker: NodeJS.Timeout | undefined;
  try {
    if (peer.pid) { sampler = new ProcSampler(peer.pid, 1000); sampler.start(); }
    drops.sample();
    progress(`loadtest: ${opts.calls} calls at ${opts.rate}/s, ${opts.durationSec} s each (-l ${concurrency}) -> ${peer.description}`);
    const uac = await startSippUac({
      workDir: outDir, scenarioFile, target: peer.target, rate: opts.rate, calls: opts.calls, concurrency,
      durationMs: Math.round(opts.durationSec * 1000), audio, service: opts.service ?? '15551234567', timeoutMs,
      avoidPorts: peer.watchPorts,
    });
    ticker = setInterval(() => {
      drops.sample();
      const last = uac.readStats().at(-1);
      const p = sampler?.samples.at(-1);
      if (!last) return;
      progress(`t=${last.elapsedSec.toFixed(0)}s created ${last.totalCreated}/${opts.calls} ok ${last.successfulTotal} failed ${last.failedTotal} ` +
        `alive ${last.currentCalls} rate ${last.callRate.toFixed(1)}/s retrans ${last.retransmissionsTotal}` +
        (p ? ` cpu ${p.cpuPercent.toFixed(0)}% rss ${(p.rssBytes / 2 ** 20).toFixed(0)}MiB` : ''));
    }, 1000);
    const result = await uac.done;
    clearInterval(ticker);
    ticker = undefined;
    drops.sample();
    // Let the gateway finish logging its last call_end lines.
    if (peer.kind === 'gateway') await new Promise((r) => setTimeout(r, 500));
    const processSamples = sampler?.stop() ?? [];
    if (result.stats.length === 0) {
      throw new LoadtestError('SIPP_FAILED', `SIPp (exit ${result.exitCode}) wrote no statistics: ${uac.child.stderrTail().slice(-800) || result.errorsExcerpt}`);
    }
    const audioQuality: AudioQuality = {
      sources: [`kernel /proc/net/udp drop counters of ${drops.maxSockets} socket(s) the peer process owns on its media and SIP ports, sampled each second`],
      kernelUdpDrops: drops.drops(),
      notes: [],
    };
    if (peer.kind === 'gateway') {
      audioQuality.sources.push("gateway 'call_end' log lines (packetsIn, packetsLost, jitterMs, framesSent, lateFrames per call)");
      audioQuality.gateway = summariseGatewayAudio(peer.callEnds);
      if (audioQuality.gateway.lateFrames === null) audioQuality.notes.push('The gateway\'s call_end lines carry no lateFrames (an older gateway): late frames are not reported.');
    } else if (peer.kind !== 'external') {
      audioQuality.notes.push('SIPp cannot measure RTP loss (its uac never reads the echoed RTP): only kernel drops are reported.');
    } else {
      audioQuality.notes.push('External target: no audio statistics (the gateway exposes none over the network).');
    }
    if (!audio) audioQuality.notes.push('Run without audio (signalling only).');
    const finishedAt = new Date();
    const files = { json: join(outDir, 'report.json'), html: join(outDir, 'report.html'), sippStat: uac.statFile, sippErrors: join(outDir, 'sipp-errors.log') };
    const report = buildReport({
      startedAt, finishedAt,
      options: { rate: opts.rate, calls: opts.calls, durationSec: opts.durationSec, concurrency, scenario: basename(scenarioFile), peer: peer.kind, target: peer.target, audio },
      peer: { kind: peer.kind, description: peer.description, target: peer.target, pid: peer.pid ?? null },
      sipp: { args: uac.args, exitCode: result.exitCode, killedByTimeout: result.killedByTimeout, errorLines: result.errorLines, errorsExcerpt: result.errorsExcerpt },
      stats: result.stats, rtt: result.rtt, process: processSamples, cpuSeconds: sampler?.cpuSeconds ?? 0,
      audio: audioQuality, refused: { ...peer.refused }, files,
    });
    writeFileSync(files.json, JSON.stringify(report, null, 2));
    writeFileSync(files.html, renderReportHtml(report));
    const s = report.summary;
    progress(`loadtest: ${s.callsSuccessful} ok, ${s.callsFailed} failed, ${s.achievedRate} calls/s, response p50/p99 ${s.responseTimeMs.p50}/${s.responseTimeMs.p99} ms` +
      (s.cpu ? `, cpu ${s.cpu.meanPercent}% mean (${s.cpu.cpuMsPerCall} ms/call)` : '') + ` -> ${files.html}`);
    return report;
  } finally {
    if (ticker) clearInterval(ticker);
    sampler?.stop();
    await peer.stop();
  }
}

/** For src/cli.ts: parse, run, and return the exit status (1 when any call failed, 2 for bad options). */
export async function loadtestMain(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(loadtestHelp());
    return 0;
  }
  let opts: LoadtestOptions;
  try {
    opts = parseLoadtestArgs(argv);
  } catch (err) {
    process.stderr.write(`trunkgate loadtest: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const report = await runLoadtest(opts);
    return report.summary.callsFailed === 0 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`trunkgate loadtest: ${(err as Error).message}\n`);
    return err instanceof LoadtestError && err.code === 'BAD_OPTION' ? 2 : 1;
  }
}
