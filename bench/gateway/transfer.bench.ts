/**
 * Transfers to a human, bridged by the gateway (trunk `transfer: { method: bridge }`, media relayed
 * through its media engine), issue 10's benchmark. The gateway runs as a child process
 * (src/runtime/start-command through src/loadtest/peers.ts, its V8 flags, 2 media workers by default),
 * SIPp is the carrier's caller (sipp-scenarios/uac-load-short-call.xml) and the human
 * (uas-human-agent-echo.xml with -rtp_echo), all on this machine's cores. Every call goes to an agent
 * (bench/gateway/transfer-agent.ts) that transfers it blind as soon as the gateway lets it (io.transfer()
 * rejects until the call's 200 OK is out; the agent retries every 10 ms).
 *
 * 1. Transfers per second with 0 failed: steps of a call rate (fresh gateway and human per step,
 *    STEP_S of calls, each held HOLD_MS after the answer, no caller audio: the gateway still relays
 *    both legs' idle frames and SIPp echoes them). A step passes when SIPp saw no failed call and
 *    offered ≥ 90 % of the rate, the human's SIPp logged no error, and every call's `call_end` line
 *    carries transfer.result 'transferred' (and as many `transfer` events said so).
 * 2. Concurrent bridged calls with audio: at each level C, C callers streaming PCMU
 *    (media/hello-pcmu.wav looped) are transferred to the echoing human; all C stay bridged together
 *    for STEADY_MS. Late frames (left > 10 ms after their tick) and frames sent, from every
 *    `call_end` line: the caller's leg (top-level fields) and the human's (`human`). CPU of the
 *    gateway process (all threads, /proc) over the steady window, per bridged call. A level passes
 *    with 0 failed calls, all transferred, < 0.1 % late frames and < 0.1 % packets lost beyond
 *    what the SIPp human dropped on its own socket (its kernel drop counter). Each level is followed
 *    by a reference in the same run: 2 × C calls to the echo agent (as many media legs, no relay).
 * 3. Latency, one call at a time on an idle gateway, in the same run:
 *    - SIPp `-rtp_echo` direct (the probe's and the kernel's floor), round trip;
 *    - echo agent (delay 0), round trip: caller → jitter buffer → agent → pacer → caller;
 *    - bridge to SIPp `-rtp_echo`, round trip: caller → relay → human leg → SIPp echo → human leg →
 *      relay → caller (two jitter buffers, two pacers);
 *    - bridge one way, caller → human and human → caller: the probe is both ends
 *      (src/loadtest/bridge-latency.ts), one jitter buffer and one pacer.
 *
 * Env: TG_BENCH_XFER_RATES (calls/s steps, default 20,30,45,70,100,150),
 * TG_BENCH_XFER_LEVELS (concurrent bridged calls, default 250,350; the next level runs only when one
 * passes), TG_BENCH_XFER_SETUP_RATE (calls/s of a media level, default 25), TG_BENCH_XFER_PARTS
 * (rate,media,latency), TG_BENCH_XFER_ECHO_REF=0 (no echo-agent reference), TG_BENCH_XFER_BASELINE
 * (git refs, comma-separated: their src/gateway/ also runs the media levels and the latency paths,
 * same run), TG_BENCH_XFER_LATENCY_ROUNDS (A B A B …, default 1), TG_BENCH_XFER_CPU_PROF=<dir>
 * (gateway --cpu-prof at each media level), TG_BENCH_XFER_MEDIA_WORKERS (the gateway's media.workers).
 * The latency part also runs this tree with media.workers 0. Every gateway's log is kept in the work
 * folder (printed at the end) as gateway-log.jsonl.
 * Run: npx tsx bench/run.ts gateway/transfer
 */
import { execFileSync } from 'node:child_process';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from '../run.js';
import { measureBridgeLatency, type OneWayLatency } from '../../src/loadtest/bridge-latency.js';
import { measureEchoLatency, type EchoLatencyResult } from '../../src/loadtest/echo-latency.js';
import { REPO_ROOT, SCENARIO_DIR, startGatewayChild, startSippUas, type RunningPeer } from '../../src/loadtest/peers.js';
import { freeLoopbackPort } from '../../src/loadtest/ports.js';
import { ProcSampler } from '../../src/loadtest/proc-sampler.js';
import { percentile } from '../../src/loadtest/sipp-stats.js';
import { startSippUac } from '../../src/loadtest/sipp-uac.js';
import { UdpDropTracker } from '../../src/loadtest/udp-drops.js';

const TRANSFER_AGENT = fileURLToPath(new URL('./transfer-agent.ts', import.meta.url));
const LOAD_SCENARIO = join(SCENARIO_DIR, 'uac-load-short-call.xml');
const HUMAN_SCENARIO = join(SCENARIO_DIR, 'uas-human-agent-echo.xml');

const list = (v: string | undefined, d: string): number[] => (v ?? d).split(',').map(Number).filter((n) => n > 0);
const RATES = list(process.env.TG_BENCH_XFER_RATES, '20,30,45,70,100,150');
const LEVELS = list(process.env.TG_BENCH_XFER_LEVELS, '250,350');
const PARTS = new Set((process.env.TG_BENCH_XFER_PARTS ?? 'rate,media,latency').split(','));
const CPU_PROF = process.env.TG_BENCH_XFER_CPU_PROF;
const MEDIA_WORKERS = process.env.TG_BENCH_XFER_MEDIA_WORKERS;
/** Git refs (comma-separated) whose src/gateway/ the latency part also measures, in the same run (before/after a change). */
const BASELINE = process.env.TG_BENCH_XFER_BASELINE;
/** Seconds of calls per rate step. */
const STEP_S = 5;
/** Caller's call length after the answer in the rate ramp (the transfer happens within it). */
const HOLD_MS = 1500;
/** Setup rate of the media levels (calls/s), and how long all calls stay bridged together. */
const MEDIA_SETUP_RATE = Number(process.env.TG_BENCH_XFER_SETUP_RATE ?? 25);
const STEADY_MS = 10_000;
/** Also run each media level's reference: 2 × level calls to the echo agent. TG_BENCH_XFER_ECHO_REF=0 turns it off. */
const ECHO_REFERENCE = process.env.TG_BENCH_XFER_ECHO_REF !== '0';

/** Numbers dialled: each picks a route (and agent) of the bench gateway. */
const NUM = { transfer: '15550001000', quiet: '15550002000', probe: '15550003000', echo: '15550004000' } as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2): number => Number(x.toFixed(d));

interface GatewayLog {
  /** `transfer` events by result. */
  transfers: Record<string, number>;
  /** ms of each transferred call's transfer (agent's request → human bridged). */
  transferMs: number[];
  /** ms the agent waited from its start until io.transfer() was accepted (the 200 OK's way out). */
  agentWaitMs: number[];
  bridged: number;
  answered: number;
  callEnds: Record<string, unknown>[];
}

/**
 * A gateway whose default route's agent transfers every call at once to `humanUri` (ringback to the
 * caller meanwhile); NUM.quiet does the same to `humanUri` with the caller hearing nothing, NUM.probe
 * to `probeUri`, NUM.echo reaches the echo agent (delay 0).
 */
type StartGateway = typeof startGatewayChild;

/**
 * startGatewayChild running another version of src/gateway/: this checkout's src/ copied to a temp
 * folder (that sees its node_modules) with `ref`'s src/gateway/ laid over it (git archive), so the
 * load-test tooling is the same and only the gateway's code differs.
 */
const builtBaselines = new Map<string, Promise<StartGateway>>();
function gatewayAt(ref: string, root: string): Promise<StartGateway> {
  let built = builtBaselines.get(ref);
  if (!built) builtBaselines.set(ref, (built = buildGatewayAt(ref, root)));
  return built;
}

async function buildGatewayAt(ref: string, root: string): Promise<StartGateway> {
  const dir = join(root, `src-${ref.replace(/[^\w.-]/g, '_')}`);
  mkdirSync(dir, { recursive: true });
  cpSync(join(REPO_ROOT, 'src'), join(dir, 'src'), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json']) cpSync(join(REPO_ROOT, f), join(dir, f));
  execFileSync('sh', ['-c', `git -C "${REPO_ROOT}" archive "${ref}" src/gateway | tar -x -C "${dir}"`]);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  const mod = (await import(pathToFileURL(join(dir, 'src/loadtest/peers.ts')).href)) as { startGatewayChild: StartGateway };
  return mod.startGatewayChild;
}

async function startBridgingGateway(workDir: string, o: { humanUri: string; probeUri?: string; mediaPorts: number; nodeFlags?: string[]; start?: StartGateway; mediaWorkers?: number }): Promise<{ gw: RunningPeer; log: GatewayLog }> {
  const log: GatewayLog = { transfers: {}, transferMs: [], agentWaitMs: [], bridged: 0, answered: 0, callEnds: [] };
  // Everything the gateway logs, for a look afterwards (the work folder is printed at the end).
  const file = createWriteStream(join(workDir, 'gateway-log.jsonl'));
  const xfer = (target: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ type: 'module', module: TRANSFER_AGENT, settings: { target, mode: 'blind', ...extra } });
  const gw = await (o.start ?? startGatewayChild)({
    workDir, agent: 'xfer', forceAgent: false, mediaPorts: o.mediaPorts, logLevel: 'info',
    ...(o.mediaWorkers !== undefined ? { mediaWorkers: o.mediaWorkers } : MEDIA_WORKERS !== undefined ? { mediaWorkers: MEDIA_WORKERS === 'auto' ? 'auto' as const : Number(MEDIA_WORKERS) } : {}),
    ...(o.nodeFlags ? { nodeFlags: o.nodeFlags } : {}),
    configure: (config) => {
      const trunk = (config.trunks as Record<string, unknown>[])[0]!;
      trunk.transfer = { method: 'bridge' };
      trunk.routes = [
        { pattern: NUM.echo, agent: 'echo' },
        { pattern: NUM.quiet, agent: 'xfer_quiet' },
        ...(o.probeUri ? [{ pattern: NUM.probe, agent: 'xfer_probe' }] : []),
        { pattern: '*', agent: 'xfer' },
      ];
      config.agents = {
        echo: { type: 'echo', settings: { delay_ms: 0 } },
        xfer: xfer(o.humanUri),
        xfer_quiet: xfer(o.humanUri, { caller_hears: 'agent' }),
        ...(o.probeUri ? { xfer_probe: xfer(o.probeUri, { caller_hears: 'agent' }) } : {}),
      };
      return config;
    },
    onLogRecord: (rec) => {
      file.write(`${JSON.stringify(rec)}\n`);
      if (rec.event === 'transfer') {
        const r = String(rec.result);
        log.transfers[r] = (log.transfers[r] ?? 0) + 1;
        if (r === 'transferred' && typeof rec.ms === 'number') log.transferMs.push(rec.ms);
      } else if (rec.event === 'bench_transfer_outcome' && typeof rec.waitedMs === 'number') {
        log.agentWaitMs.push(rec.waitedMs);
      } else if (rec.event === 'bridged') {
        log.bridged++;
      } else if (rec.event === 'call_answered') {
        log.answered++;
      } else if (rec.event === 'call_end') {
        log.callEnds.push(rec);
      }
    },
  });
  const stop = gw.stop;
  return { gw: { ...gw, stop: async () => { await stop(); file.end(); } }, log };
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Lines of a SIPp error trace about calls: not its header, nor its own "Overload warning: the minor
 * watchdog timer … tripped" (SIPp itself was not scheduled in time, which says nothing about a call).
 */
function errorLines(file: string): number {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() && !/^The following events occurred/.test(l) && !/Overload warning: the (minor|major) watchdog/.test(l)).length;
  } catch { return 0; }
}

const q = (xs: number[], p: number): number | null => (xs.length ? round(percentile(xs, p)) : null);

// ───────────────────────────── 1. transfers per second ─────────────────────────────

interface RateStep {
  rate: number; calls: number; passed: boolean; why: string; achievedRate: number;
  sippFailed: number; humanErrors: number; transfers: Record<string, number>; callEndsTransferred: number; callEnds: number;
  transferMsP50: number | null; transferMsP99: number | null; agentWaitMsP50: number | null; agentWaitMsP99: number | null; cpuMsPerTransfer: number | null; cpuMeanPercent: number | null; loadavg1: number;
}

async function rateStep(root: string, rate: number): Promise<RateStep> {
  const dir = join(root, `rate-${rate}`);
  mkdirSync(dir, { recursive: true });
  const load = loadavg()[0]!;
  const human = await startSippUas({ workDir: dir, scenarioFile: HUMAN_SCENARIO });
  const calls = Math.max(20, Math.round(rate * STEP_S));
  const concurrency = Math.ceil(rate * (HOLD_MS / 1000 + 2) * 1.5) + 20;
  let gw: RunningPeer | undefined;
  try {
    const started = await startBridgingGateway(dir, { humanUri: `sip:human@${human.target}`, mediaPorts: 4 * concurrency + 200 });
    gw = started.gw;
    const log = started.log;
    const sampler = new ProcSampler(gw.pid!, 500);
    sampler.start();
    const t0 = Date.now();
    const uac = await startSippUac({
      workDir: dir, scenarioFile: LOAD_SCENARIO, target: gw.target, rate, calls, concurrency, durationMs: HOLD_MS, audio: false,
      service: NUM.transfer, timeoutMs: (calls / rate) * 3000 + 60_000, avoidPorts: [...gw.watchPorts, ...human.watchPorts],
    });
    const res = await uac.done;
    const elapsed = (Date.now() - t0) / 1000;
    await waitFor(() => log.callEnds.length >= calls, 15_000);
    sampler.stop();
    const last = res.stats.at(-1);
    const sippFailed = last?.failedTotal ?? calls;
    const ok = last?.successfulTotal ?? 0;
    // SIPp's own rate over the run: calls created ÷ time to create them (the last call starts calls/rate s in).
    const achievedRate = round(calls / Math.max(calls / rate, elapsed - HOLD_MS / 1000 - 1), 1);
    const humanErrors = errorLines(join(dir, `uas-${human.target.split(':')[1]}-errors.log`));
    const transferred = log.callEnds.filter((c) => (c.transfer as { result?: string } | undefined)?.result === 'transferred').length;
    const fails: string[] = [];
    if (res.exitCode !== 0 || sippFailed > 0 || ok < calls) fails.push(`SIPp caller: exit ${res.exitCode}, ${ok} ok, ${sippFailed} failed${res.errorsExcerpt ? ` (${res.errorsExcerpt.split('\n')[0]})` : ''}`);
    if (humanErrors > 0) fails.push(`SIPp human logged ${humanErrors} error lines`);
    if (transferred < calls || (log.transfers.transferred ?? 0) < calls) fails.push(`${transferred} of ${calls} call_end transferred, transfer events ${JSON.stringify(log.transfers)}`);
    if (achievedRate < rate * 0.9) fails.push(`only ${achievedRate} calls/s offered`);
    return {
      rate, calls, passed: fails.length === 0, why: fails.join('; ') || 'ok', achievedRate, sippFailed, humanErrors,
      transfers: log.transfers, callEndsTransferred: transferred, callEnds: log.callEnds.length,
      transferMsP50: q(log.transferMs, 50), transferMsP99: q(log.transferMs, 99), agentWaitMsP50: q(log.agentWaitMs, 50), agentWaitMsP99: q(log.agentWaitMs, 99),
      cpuMsPerTransfer: round((sampler.cpuSeconds * 1000) / calls), cpuMeanPercent: round((sampler.cpuSeconds / elapsed) * 100, 1), loadavg1: round(load),
    };
  } finally {
    await gw?.stop();
    await human.stop();
  }
}

// ───────────────────────────── 2. concurrent bridged calls ─────────────────────────────

interface MediaLevel {
  /** bridge: `level` bridged calls (2 legs each); echo: 2 × `level` calls to the echo agent (as many legs, no relay). */
  kind: 'bridge' | 'echo';
  /** The gateway version (this tree, or a baseline ref). */
  version: string;
  level: number; passed: boolean; why: string; bridgedTogether: number; sippFailed: number; transferred: number;
  callerFrames: number; callerLate: number; humanFrames: number; humanLate: number; latePercent: number;
  packetsIn: number; packetsLost: number; lostPercent: number; kernelDrops: number; humanKernelDrops: number;
  steadyCpuPercent: number | null; cpuPercentPerCall: number | null; cpuMsPerCallSecond: number | null; peakRssMiB: number | null;
  loadavg1: number; cpuProfile?: string;
}

async function mediaLevel(root: string, level: number, kind: 'bridge' | 'echo', version: { label: string; start?: StartGateway } = { label: 'this tree' }): Promise<MediaLevel> {
  const dir = join(root, `media-${kind}-${level}-${version.label.replace(/\W+/g, '-')}-${Date.now()}`);
  const calls = kind === 'bridge' ? level : 2 * level;
  mkdirSync(dir, { recursive: true });
  const load = loadavg()[0]!;
  const human = await startSippUas({ workDir: dir, scenarioFile: HUMAN_SCENARIO });
  const profDir = CPU_PROF ? join(CPU_PROF, `media-${kind}-${level}`) : undefined;
  let gw: RunningPeer | undefined;
  try {
    const started = await startBridgingGateway(dir, {
      humanUri: `sip:human@${human.target}`, mediaPorts: 4 * level + 200, ...(version.start ? { start: version.start } : {}),
      ...(profDir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] } : {}),
    });
    gw = started.gw;
    const log = started.log;
    const rate = Math.min(kind === 'bridge' ? MEDIA_SETUP_RATE : 2 * MEDIA_SETUP_RATE, calls);
    const holdMs = Math.ceil((calls / rate) * 1000) + STEADY_MS + 5000;
    const drops = new UdpDropTracker(gw.watchPorts, gw.pid);
    const humanDrops = new UdpDropTracker(human.watchPorts, human.pid);
    drops.sample();
    humanDrops.sample();
    const dropTimer = setInterval(() => { drops.sample(); humanDrops.sample(); }, 1000);
    const uac = await startSippUac({
      workDir: dir, scenarioFile: LOAD_SCENARIO, target: gw.target, rate, calls, concurrency: calls + 10, durationMs: holdMs, audio: true,
      service: kind === 'bridge' ? NUM.transfer : NUM.echo, timeoutMs: holdMs + 120_000, avoidPorts: [...gw.watchPorts, ...human.watchPorts],
    });
    // The steady window: from the moment all calls are bridged (answered), STEADY_MS of CPU.
    const up = (): number => (kind === 'bridge' ? log.bridged : log.answered);
    const allUp = await waitFor(() => up() >= calls, (calls / rate) * 1000 + 20_000);
    const bridgedTogether = up() - log.callEnds.length;
    const sampler = new ProcSampler(gw.pid!, 1000);
    sampler.start();
    const s0 = Date.now();
    await sleep(allUp ? STEADY_MS - 1000 : 0);
    const samples = sampler.stop();
    const steadySec = (Date.now() - s0) / 1000;
    const res = await uac.done;
    clearInterval(dropTimer);
    drops.sample();
    humanDrops.sample();
    await waitFor(() => log.callEnds.length >= calls, 20_000);
    const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
    let callerFrames = 0, callerLate = 0, humanFrames = 0, humanLate = 0, packetsIn = 0, packetsLost = 0;
    for (const c of log.callEnds) {
      callerFrames += num(c.framesSent); callerLate += num(c.lateFrames);
      packetsIn += num(c.packetsIn); packetsLost += num(c.packetsLost);
      const h = (c.human ?? {}) as Record<string, unknown>;
      humanFrames += num(h.framesSent); humanLate += num(h.lateFrames);
      packetsIn += num(h.packetsIn); packetsLost += num(h.packetsLost);
    }
    const transferred = log.callEnds.filter((c) => (c.transfer as { result?: string } | undefined)?.result === 'transferred').length;
    const last = res.stats.at(-1);
    const sippFailed = last?.failedTotal ?? calls;
    const frames = callerFrames + humanFrames;
    const latePercent = frames ? round((100 * (callerLate + humanLate)) / frames, 3) : 100;
    const lostPercent = packetsIn + packetsLost ? round((100 * packetsLost) / (packetsIn + packetsLost), 3) : 100;
    const fails: string[] = [];
    if (res.exitCode !== 0 || sippFailed > 0) fails.push(`SIPp caller: exit ${res.exitCode}, ${sippFailed} failed${res.errorsExcerpt ? ` (${res.errorsExcerpt.split('\n')[0]})` : ''}`);
    if (!allUp) fails.push(`only ${up()} of ${calls} calls ${kind === 'bridge' ? 'bridged' : 'answered'}`);
    if (kind === 'bridge' && transferred < level) fails.push(`${transferred} of ${level} transferred (${JSON.stringify(log.transfers)})`);
    if (latePercent >= 0.1) fails.push(`${latePercent} % frames late`);
    // Packets the SIPp human dropped on its own echo socket (kernel counter) never came back to the
    // gateway: that loss is the peer's, not the gateway's.
    const humanDropped = humanDrops.drops();
    const gatewayLostPercent = packetsIn + packetsLost ? round((100 * Math.max(0, packetsLost - humanDropped)) / (packetsIn + packetsLost), 3) : 100;
    if (gatewayLostPercent >= 0.1) fails.push(`${lostPercent} % packets lost (${gatewayLostPercent} % not explained by the SIPp human's socket drops)`);
    const steadyCpu = samples.length > 1 ? (sampler.cpuSeconds / steadySec) * 100 : null;
    return {
      kind, version: version.label, level, passed: fails.length === 0, why: fails.join('; ') || 'ok', bridgedTogether, sippFailed, transferred,
      callerFrames, callerLate, humanFrames, humanLate, latePercent, packetsIn, packetsLost, lostPercent,
      kernelDrops: drops.drops(), humanKernelDrops: humanDrops.drops(),
      steadyCpuPercent: steadyCpu === null ? null : round(steadyCpu, 1),
      cpuPercentPerCall: steadyCpu === null ? null : round(steadyCpu / calls, 3),
      cpuMsPerCallSecond: steadyCpu === null ? null : round((steadyCpu * 10) / calls, 3),
      peakRssMiB: samples.length ? round(Math.max(...samples.map((s) => s.rssBytes)) / 2 ** 20, 1) : null,
      loadavg1: round(load), ...(profDir ? { cpuProfile: profDir } : {}),
    };
  } finally {
    await gw?.stop();
    await human.stop();
  }
}

// ───────────────────────────── 3. latency ─────────────────────────────

interface LatencyRun {
  /** `relay` (where, droppedFrames) of the bridged calls' call_end lines (absent before relay.ts reported it). */
  relayDropped: unknown[];
  sippEcho: EchoLatencyResult;
  agentEcho: EchoLatencyResult;
  bridgeEcho: EchoLatencyResult;
  callerToHuman: OneWayLatency;
  humanToCaller: OneWayLatency;
}

async function latency(root: string, label: string, start?: StartGateway, mediaWorkers?: number): Promise<LatencyRun> {
  const dir = join(root, `latency-${label}`);
  mkdirSync(dir, { recursive: true });
  const human = await startSippUas({ workDir: dir, scenarioFile: HUMAN_SCENARIO });
  const probeSipPort = await freeLoopbackPort();
  let gw: RunningPeer | undefined;
  try {
    const started = await startBridgingGateway(dir, { humanUri: `sip:human@${human.target}`, probeUri: `sip:human@127.0.0.1:${probeSipPort}`, mediaPorts: 200, ...(start ? { start } : {}), ...(mediaWorkers !== undefined ? { mediaWorkers } : {}) });
    gw = started.gw;
    const seconds = 10;
    const sippEcho = await measureEchoLatency({ target: human.target, workDir: dir, seconds });
    const agentEcho = await measureEchoLatency({ target: gw.target, workDir: dir, seconds, service: NUM.echo });
    const bridgeEcho = await measureEchoLatency({ target: gw.target, workDir: dir, seconds, service: NUM.quiet });
    const oneWay = await measureBridgeLatency({ target: gw.target, workDir: dir, seconds, service: NUM.probe, humanSipPort: probeSipPort });
    await waitFor(() => started.log.callEnds.length >= 3, 10_000);
    const relayDropped = started.log.callEnds.filter((c) => c.human).map((c) => c.relay ?? c.relayDroppedFrames ?? null);
    return { relayDropped, sippEcho, agentEcho, bridgeEcho, ...oneWay };
  } finally {
    await gw?.stop();
    await human.stop();
  }
}

// ───────────────────────────── the bench ─────────────────────────────

export async function run(): Promise<BenchResult[]> {
  const root = mkdtempSync(join(tmpdir(), 'tg-bench-xfer-'));
  const say = (l: string): void => { process.stderr.write(`${l}\n`); };
  const out: BenchResult[] = [];
  const suite = 'transfer';

  if (PARTS.has('rate')) {
    const steps: RateStep[] = [];
    for (const rate of RATES) {
      const s = await rateStep(root, rate);
      steps.push(s);
      say(`transfers ${rate}/s: ${s.passed ? 'pass' : 'FAIL'} (${s.why}); transfer p50/p99 ${s.transferMsP50}/${s.transferMsP99} ms, cpu ${s.cpuMeanPercent}% (${s.cpuMsPerTransfer} ms/transfer)`);
      if (!s.passed) break;
    }
    const passing = steps.filter((s) => s.passed);
    const best = passing.at(-1);
    out.push({
      suite, name: 'bridge transfers/s with 0 failed (highest passing step)', value: best?.achievedRate ?? 0, unit: 'transfers/s',
      detail: { holdMs: HOLD_MS, stepSeconds: STEP_S, callerAudio: false, firstFailing: steps.find((s) => !s.passed) ?? null, steps },
    });
    if (best) {
      out.push({ suite, name: 'transfer time p50 at that rate (agent request → bridged)', value: best.transferMsP50 ?? NaN, unit: 'ms', detail: { p99: best.transferMsP99 } });
      out.push({ suite, name: 'gateway CPU per transferred call at that rate', value: best.cpuMsPerTransfer ?? NaN, unit: 'ms', detail: { cpuMeanPercent: best.cpuMeanPercent } });
    }
  }

  if (PARTS.has('media')) {
    // Each level: the bridged calls, then (reference, same run) twice as many echo-agent calls: the
    // same number of media legs without the relay.
    const levels: MediaLevel[] = [];
    const echoes: MediaLevel[] = [];
    const line = (l: MediaLevel): string => `${l.kind === 'bridge' ? `bridged ${l.level}` : `echo ${2 * l.level} (reference)`}: ${l.passed ? 'pass' : 'FAIL'} (${l.why}); ` +
      `late ${l.callerLate}+${l.humanLate} of ${l.callerFrames}+${l.humanFrames} frames, lost ${l.packetsLost}, cpu ${l.steadyCpuPercent}% (${l.cpuMsPerCallSecond} ms per call-second), drops ${l.kernelDrops}/${l.humanKernelDrops}, load ${l.loadavg1}`;
    // With baselines, each level's bridged calls also run on them (A B …, fresh gateways), same run.
    const baselines: { label: string; start: StartGateway }[] = [];
    for (const ref of (BASELINE ?? '').split(',').filter(Boolean)) baselines.push({ label: `baseline ${ref}`, start: await gatewayAt(ref, root) });
    const againstBaselines: MediaLevel[] = [];
    for (const level of LEVELS) {
      const l = await mediaLevel(root, level, 'bridge');
      levels.push(l);
      say(line(l));
      for (const b of baselines) {
        const x = await mediaLevel(root, level, 'bridge', b);
        againstBaselines.push(x);
        say(`[${b.label}] ${line(x)}`);
      }
      if (ECHO_REFERENCE) {
        const e = await mediaLevel(root, level, 'echo');
        echoes.push(e);
        say(line(e));
      }
      if (!l.passed) break;
    }
    const best = levels.filter((l) => l.passed).at(-1);
    out.push({
      suite, name: 'concurrent bridged calls, < 0.1 % late frames (goal 250)', value: best?.level ?? 0, unit: 'calls',
      detail: { setupRate: MEDIA_SETUP_RATE, steadyMs: STEADY_MS, levels, echoReference: echoes, baselines: againstBaselines },
    });
    for (const l of [...levels, ...echoes, ...againstBaselines]) {
      const what = (l.version !== 'this tree' ? `[${l.version}] ` : '') + (l.kind === 'bridge' ? `${l.level} bridged calls` : `${2 * l.level} echo-agent calls (reference)`);
      out.push({ suite, name: `${what}: late frames (all legs)`, value: l.latePercent, unit: '%', detail: { callerLate: l.callerLate, callerFrames: l.callerFrames, humanLate: l.humanLate, humanFrames: l.humanFrames, lostPercent: l.lostPercent, passed: l.passed, loadavg1: l.loadavg1 } });
      out.push({ suite, name: `${what}: gateway CPU per ${l.kind === 'bridge' ? 'bridged call' : 'call'}`, value: l.cpuPercentPerCall ?? NaN, unit: '% of a core', detail: { steadyCpuPercent: l.steadyCpuPercent, cpuMsPerCallSecond: l.cpuMsPerCallSecond, peakRssMiB: l.peakRssMiB } });
    }
  }

  if (PARTS.has('latency')) {
    // With a baseline, the two gateways take turns (A B A B … for TG_BENCH_XFER_LATENCY_ROUNDS rounds).
    const rounds = Number(process.env.TG_BENCH_XFER_LATENCY_ROUNDS ?? 1);
    // media.workers 0: the sessions in the main thread, where the relay hands a frame over within
    // the tick instead of by a round trip worker → main thread → worker.
    const versions: { label: string; start?: StartGateway; mediaWorkers?: number }[] = [{ label: 'this tree' }, { label: 'this tree, media.workers 0', mediaWorkers: 0 }];
    for (const ref of (BASELINE ?? '').split(',').filter(Boolean)) versions.push({ label: `baseline ${ref}`, start: await gatewayAt(ref, root) });
    const brief = (e: EchoLatencyResult | OneWayLatency): Record<string, unknown> =>
      ({ p99: e.p99Ms, max: e.maxMs, n: 'echoed' in e ? `${e.echoed}/${e.bursts}` : `${e.arrived}/${e.bursts}`, samplesMs: e.samplesMs });
    for (let round_ = 0; round_ < rounds; round_++) {
      for (const v of versions) {
        const load = round(loadavg()[0]!);
        const r = await latency(root, `${v.label.replace(/\W+/g, '-')}-${round_}`, v.start, v.mediaWorkers);
        const tag = `${v.label}${rounds > 1 ? ` #${round_ + 1}` : ''}`;
        say(`latency (${tag}) p50/p99 ms: sipp echo ${r.sippEcho.p50Ms}/${r.sippEcho.p99Ms}, agent echo ${r.agentEcho.p50Ms}/${r.agentEcho.p99Ms}, bridge echo ${r.bridgeEcho.p50Ms}/${r.bridgeEcho.p99Ms}, ` +
          `caller→human ${r.callerToHuman.p50Ms}/${r.callerToHuman.p99Ms}, human→caller ${r.humanToCaller.p50Ms}/${r.humanToCaller.p99Ms}; relay dropped ${JSON.stringify(r.relayDropped)}; load ${load}`);
        const d = (e: EchoLatencyResult | OneWayLatency): Record<string, unknown> => ({ ...brief(e), loadavg1: load, relayDroppedFrames: r.relayDropped });
        out.push(
          { suite, name: `[${tag}] caller → human through the bridge, one way, p50`, value: r.callerToHuman.p50Ms ?? NaN, unit: 'ms', detail: d(r.callerToHuman) },
          { suite, name: `[${tag}] human → caller through the bridge, one way, p50`, value: r.humanToCaller.p50Ms ?? NaN, unit: 'ms', detail: d(r.humanToCaller) },
          { suite, name: `[${tag}] round trip caller → bridge → SIPp echo → caller, p50`, value: r.bridgeEcho.p50Ms ?? NaN, unit: 'ms', detail: d(r.bridgeEcho) },
          { suite, name: `[${tag}] round trip caller → echo agent → caller, p50`, value: r.agentEcho.p50Ms ?? NaN, unit: 'ms', detail: d(r.agentEcho) },
          { suite, name: `[${tag}] round trip SIPp -rtp_echo direct (floor), p50`, value: r.sippEcho.p50Ms ?? NaN, unit: 'ms', detail: d(r.sippEcho) },
        );
      }
    }
  }
  say(`work files: ${root}`);
  return out;
}
