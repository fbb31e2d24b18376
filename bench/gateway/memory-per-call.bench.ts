/**
 * Memory per concurrent call, by layer. Each measurement runs in its own node child process (so one layer's garbage or grown heap does not pollute the next one's RSS) and
 * samples `process.memoryUsage()` after full GCs at three points: before the calls (after a
 * warm-up, so code and lazily built tables are already there), with N calls up and steady, and
 * after every call has ended (again 34 s later, once the stack's 64·T1 transaction timers have
 * fired: what is left then is a leak).
 *
 * Layers, each with N = 50 and 200 (TG_BENCH_MEM_CALLS):
 *  - gateway:  embedded drachtio server + drachtio-srf app + MediaSession + echo agent, media
 *              sessions in the main thread (media.workers: 0); SIPp holds N calls streaming PCMU
 *              (rtp_stream), as in the load test.
 *  - gateway-workers: the same with the default media.workers ('auto': one worker thread per
 *              core). Only RSS and the main thread's heap are seen here: Node 20 cannot collect or
 *              read a worker's heap from outside, so its 'heap' figures are the main thread's.
 *  - media:    N MediaSessions alone (PCMU, the echo agent on the gateway's AgentIO), fed by
 *              bench/media/rtp-load-sender.ts in another process.
 *  - drachtio: embedded drachtio server + a drachtio-srf app that answers with createUAS and a
 *              fixed SDP (no media); SIPp holds N calls without audio.
 *
 * TG_BENCH_MEM_SNAPSHOTS=<dir> also writes V8 heap snapshots before, with calls up and settled;
 * TG_BENCH_MEM_LAYERS / TG_BENCH_MEM_CALLS pick layers and call counts (comma lists).
 * Run: npx tsx bench/run.ts gateway/memory
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BenchResult } from '../run.js';
import { GATEWAY_NODE_FLAGS } from '../../src/runtime/node-flags.js';
import type * as LoadMod from '../../src/gateway/config/load.js';
import type * as ProcMod from '../../src/runtime/gateway-process.js';
import type * as PortsMod from '../../src/loadtest/ports.js';
import type * as MediaPortsMod from '../../src/media/ports.js';
import type * as SessionMod from '../../src/media/session/session.js';
import type * as AgentIoMod from '../../src/gateway/app/agent-io.js';
import type * as EchoMod from '../../src/agents/builtin/echo.js';
import type * as LogMod from '../../src/log.js';
import type * as ServerMod from '../../src/drachtio/server.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCENARIOS = join(ROOT, 'sipp-scenarios');
const SENDER = join(ROOT, 'bench/media/rtp-load-sender.ts');
const LO = '127.0.0.1';
const LAYERS = (process.env.TG_BENCH_MEM_LAYERS ?? 'gateway,gateway-workers,media,drachtio').split(',') as Layer[];
const COUNTS = (process.env.TG_BENCH_MEM_CALLS ?? '50,200').split(',').map(Number);
/** Setup rate (calls/s) for SIPp. */
const RATE = 50;
/** How long all calls stay up together before the 'up' sample. */
const STEADY_MS = 3000;
/** Wait after the calls ended before the 'settled' sample: 64·T1 + margin. */
const SETTLE_MS = Number(process.env.TG_BENCH_MEM_SETTLE_MS ?? 34_000);

type Layer = 'gateway' | 'gateway-workers' | 'media' | 'drachtio';

interface Sample {
  heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; rss: number;
  /** V8 heap spaces: reserved size (what RSS sees) and used size, bytes. */
  spaces: Record<string, { size: number; used: number }>;
}
interface PhaseReport {
  layer: Layer;
  calls: number;
  /** Calls actually up at the 'up' sample. */
  up: number;
  before: Sample;
  during: Sample;
  after: Sample;
  settled: Sample;
  peakRss: number;
  detail: Record<string, unknown>;
}

// ───────────────────────────── the code under test ─────────────────────────────

/**
 * src/ as plain JavaScript, as `npm start` runs it from dist/: every module transpiled
 * (typescript.transpileModule, no type check) into a temp dir that sees the repo's node_modules.
 * Through tsx every closure would carry a `__name` property (esbuild keepNames), about 250 bytes
 * each, which is not what production pays.
 */
async function buildSrc(): Promise<string> {
  // Loaded here only: the children measured must not carry the compiler in their heap.
  const { default: ts } = await import('typescript');
  const src = join(ROOT, 'src');
  const out = mkdtempSync(join(tmpdir(), 'tg-bench-mem-'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) { walk(p); continue; }
      if (!e.endsWith('.ts')) continue;
      const js = ts.transpileModule(readFileSync(p, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      const dest = join(out, 'src', relative(src, p)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, js);
    }
  };
  walk(src);
  return join(out, 'src');
}

async function fromSrc(path: string): Promise<unknown> {
  const dir = process.env.TG_BENCH_MEM_SRC ??= await buildSrc();
  return import(pathToFileURL(join(dir, path)).href);
}

// ───────────────────────────── child side ─────────────────────────────

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * gc() without `--expose-gc` on the command line: worker threads inherit the process's node
 * flags and refuse that one, and the gateway's media sessions may run on workers.
 */
let gcFn: (() => void) | undefined;
function gc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

async function fullGc(): Promise<void> {
  // Several rounds with turns of the event loop between them, so FinalizationRegistry callbacks,
  // weak callbacks and freed ArrayBuffer backing stores are processed too.
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(50);
  }
}

async function sample(): Promise<Sample> {
  await fullGc();
  const m = process.memoryUsage();
  const spaces: Sample['spaces'] = {};
  for (const sp of getHeapSpaceStatistics()) spaces[sp.space_name] = { size: sp.space_size, used: sp.space_used_size };
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss, spaces };
}

async function snapshot(label: string): Promise<void> {
  const dir = process.env.TG_BENCH_MEM_SNAPSHOTS;
  if (!dir) return;
  const { writeHeapSnapshot } = await import('node:v8');
  writeHeapSnapshot(join(dir, `${label}.heapsnapshot`));
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

interface SippRun { done: Promise<number | null>; kill(): void }

/** SIPp uac: `calls` calls at RATE/s, each `holdMs` long, with or without PCMU audio. */
function sippUac(target: string, port: number, mediaPort: number, calls: number, holdMs: number, audio: boolean): SippRun {
  const args = ['-sf', 'uac-load-short-call.xml', target, '-s', '15551234567', '-i', LO, '-p', String(port), '-mp', String(mediaPort),
    '-r', String(RATE), '-m', String(calls), '-l', String(calls), '-d', String(holdMs), '-set', 'audio', audio ? '1' : '0',
    '-buff_size', '4194304', '-nostdin'];
  const child = spawn('sipp', args, { cwd: SCENARIOS, stdio: 'ignore' });
  const killer = setTimeout(() => child.kill('SIGKILL'), holdMs + 120_000);
  return {
    done: new Promise((r) => child.on('close', (code) => { clearTimeout(killer); r(code); })),
    kill: () => child.kill('SIGTERM'),
  };
}

function holdFor(calls: number): number {
  const snapshots = process.env.TG_BENCH_MEM_SNAPSHOTS ? 30_000 : 0;
  return Math.ceil((calls / RATE) * 1000) + STEADY_MS + 4000 + snapshots;
}

function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

async function gatewayPhase(calls: number, workers: boolean): Promise<PhaseReport> {
  const { pino } = await import('pino');
  const { validateConfig } = (await fromSrc('gateway/config/load.js')) as typeof LoadMod;
  const { startGatewayProcess } = (await fromSrc('runtime/gateway-process.js')) as typeof ProcMod;
  const { freeLoopbackPort, freeLoopbackRange } = (await fromSrc('loadtest/ports.js')) as typeof PortsMod;
  const sipPort = await freeLoopbackPort();
  const media = await freeLoopbackRange(2 * calls + 40);
  const config = validateConfig({
    sip: { listen: [{ address: LO, port: sipPort, transport: 'udp' }] },
    drachtio: { embedded: { host: LO, port: 0, secret: 'bench' } },
    trunks: [{ name: 'bench', sources: ['127.0.0.1/32'], country_code: '1', max_calls: 10_000, routes: [{ pattern: '*', agent: 'echo' }] }],
    agents: { echo: { type: 'echo', settings: { delay_ms: 200 } } },
    media: { address: LO, port_min: media.min, port_max: media.max, ...(workers ? {} : { workers: 0 }) },
    edge: { rate_per_second: 100_000, burst: 100_000 },
  });
  // Logs at the production level, written to /dev/null: what pino builds per call is counted.
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
  const proc = await startGatewayProcess({ config, logger, controlPort: 0 });
  const target = `${LO}:${sipPort}`;
  const avoid = [media];
  const sippPort = async (): Promise<[number, number]> => [await freeLoopbackPort(), (await freeLoopbackRange(4, avoid)).min];

  // Warm-up: a few calls through every path, then wait until they are gone.
  let [p, mp] = await sippPort();
  await sippUac(target, p, mp, 10, 1000, true).done;
  await waitUntil(() => proc.gateway.stats().activeCalls === 0, 10_000);
  await sleep(1000);
  const before = await sample();
  const layer: Layer = workers ? 'gateway-workers' : 'gateway';
  await snapshot(`${layer}-${calls}-before`);

  [p, mp] = await sippPort();
  const run = sippUac(target, p, mp, calls, holdFor(calls), true);
  await waitUntil(() => proc.gateway.stats().activeCalls >= calls, (calls / RATE) * 1000 + 20_000);
  const cpu0 = process.cpuUsage();
  await sleep(STEADY_MS);
  const cpu = process.cpuUsage(cpu0);
  const up = proc.gateway.stats().activeCalls;
  const during = await sample();
  await snapshot(`${layer}-${calls}-up`);
  const code = await run.done;
  await waitUntil(() => { const s = proc.gateway.stats(); return s.activeCalls === 0 && s.pendingCalls === 0; }, 30_000);
  await sleep(1000);
  const after = await sample();
  const serverAfter = proc.server?.stats;
  await sleep(SETTLE_MS);
  const settled = await sample();
  await snapshot(`${layer}-${calls}-settled`);
  const serverSettled = proc.server?.stats;
  // CPU of the whole process (all threads) while the calls were up, per call-second: what a smaller
  // young generation (more scavenges) costs.
  const cpuMsPerCallSecond = +(((cpu.user + cpu.system) / 1000) / (up * (STEADY_MS / 1000))).toFixed(3);
  const detail = { cpuMsPerCallSecond, sippExit: code, serverAfter: serverAfter && { ...serverAfter }, serverSettled: serverSettled && { ...serverSettled } };
  await proc.stop({ graceMs: 0 });
  return { layer, calls, up, before, during, after, settled, peakRss: peakRss(), detail };
}

const noHangup = (): Promise<void> => Promise.resolve();
const noFailure = (): void => undefined;
const noTransfer = (): Promise<never> => Promise.reject(new Error('no transfers in this bench'));

async function mediaPhase(calls: number): Promise<PhaseReport> {
  const { pino } = await import('pino');
  const { PortAllocator } = (await fromSrc('media/ports.js')) as typeof MediaPortsMod;
  const { createMediaSession } = (await fromSrc('media/session/session.js')) as typeof SessionMod;
  const { createAgentIO } = (await fromSrc('gateway/app/agent-io.js')) as typeof AgentIoMod;
  const { createEchoAgent } = (await fromSrc('agents/builtin/echo.js')) as typeof EchoMod;
  const { callLogger } = (await fromSrc('log.js')) as typeof LogMod;
  const { freeLoopbackRange } = (await fromSrc('loadtest/ports.js')) as typeof PortsMod;
  type Session = Awaited<ReturnType<typeof createMediaSession>>;
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
  const range = await freeLoopbackRange(2 * calls + 40);
  const ports = new PortAllocator({ min: range.min, max: range.max });

  const open = async (n: number): Promise<Session[]> => {
    const out: Session[] = [];
    for (let i = 0; i < n; i++) {
      const lease = ports.allocate();
      const id = `bench-${i}-${Math.random().toString(36).slice(2)}`;
      const log = callLogger(logger, id, { source: `${LO}:5060` });
      const session = await createMediaSession({
        lease, localAddress: LO, logger: log, id, jitterTargetMs: 40,
        negotiated: {
          codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
          telephoneEvent: { payloadType: 101, clockRate: 8000 },
          ptime: 20, direction: 'sendrecv', remoteDirection: 'sendrecv', remoteHold: false,
          remote: { address: LO, port: 9 }, remoteRtcp: { address: LO, port: 10 }, rtcpMux: false,
        },
      });
      const agent = await createEchoAgent({ delay_ms: 200 }, { transferTargets: {}, log });
      // Shared callbacks: this file runs through tsx, whose closures are heavier than production's.
      const io = createAgentIO(session, { hangup: noHangup, transfer: noTransfer, onFailure: noFailure, log });
      await agent.start({ from: '1', fromUri: 'sip:1@x', to: '2', dialled: '2', toUri: 'sip:2@x', trunk: 'bench', callId: id, codec: { name: 'PCMU', clockRate: 8000 }, customParameters: {} }, io.io);
      out.push(session);
    }
    return out;
  };
  const feed = (sessions: Session[], seconds: number): Promise<void> => new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SENDER, JSON.stringify({ ports: sessions.map((s) => s.localPort), seconds })], { stdio: 'ignore' });
    child.on('close', () => resolve());
  });

  const warm = await open(10);
  await feed(warm, 1);
  await Promise.all(warm.map((s) => s.close('warm-up done')));
  await sleep(500);
  const before = await sample();
  await snapshot(`media-${calls}-before`);
  const sessions = await open(calls);
  const fed = feed(sessions, STEADY_MS / 1000 + 4);
  await sleep(STEADY_MS + 1000);
  const during = await sample();
  await snapshot(`media-${calls}-up`);
  await fed;
  await Promise.all(sessions.map((s) => s.close('bench done')));
  sessions.length = 0;
  await sleep(1000);
  const after = await sample();
  return { layer: 'media', calls, up: calls, before, during, after, settled: after, peakRss: peakRss(), detail: { portsInUse: ports.inUse } };
}

async function drachtioPhase(calls: number): Promise<PhaseReport> {
  const { default: Srf } = await import('drachtio-srf');
  const { createDrachtioServer } = (await fromSrc('drachtio/server.js')) as typeof ServerMod;
  const { createLogger } = (await fromSrc('log.js')) as typeof LogMod;
  const { freeLoopbackPort, freeLoopbackRange } = (await fromSrc('loadtest/ports.js')) as typeof PortsMod;
  const sipPort = await freeLoopbackPort();
  const server = createDrachtioServer({
    sip: { listen: [{ protocol: 'udp', address: LO, port: sipPort }], userAgent: 'trunkgate' },
    control: { host: LO, port: 0, secret: 'bench' },
    logger: createLogger({ level: 'silent' }),
  });
  const started = await server.start();
  const srf = new Srf();
  let active = 0;
  const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 9 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
  srf.invite((req, res) => {
    srf.createUAS(req, res, { localSdp: sdp }).then((dialog) => {
      active++;
      dialog.on('destroy', () => { active--; });
    }).catch(() => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    srf.once('connect', (err: Error | null) => (err ? reject(err) : resolve()));
    srf.connect({ host: started.control.host, port: started.control.port, secret: 'bench' });
  });
  const target = `${LO}:${sipPort}`;
  const sippPort = async (): Promise<[number, number]> => [await freeLoopbackPort(), (await freeLoopbackRange(4)).min];
  let [p, mp] = await sippPort();
  await sippUac(target, p, mp, 10, 500, false).done;
  await waitUntil(() => active === 0, 10_000);
  await sleep(1000);
  const before = await sample();
  await snapshot(`drachtio-${calls}-before`);
  [p, mp] = await sippPort();
  const run = sippUac(target, p, mp, calls, holdFor(calls), false);
  await waitUntil(() => active >= calls, (calls / RATE) * 1000 + 20_000);
  await sleep(STEADY_MS);
  const up = active;
  const during = await sample();
  await snapshot(`drachtio-${calls}-up`);
  const code = await run.done;
  await waitUntil(() => active === 0, 30_000);
  await sleep(1000);
  const after = await sample();
  const serverAfter = { ...server.stats };
  await sleep(SETTLE_MS);
  const settled = await sample();
  await snapshot(`drachtio-${calls}-settled`);
  const serverSettled = { ...server.stats };
  srf.disconnect();
  await server.close();
  return { layer: 'drachtio', calls, up, before, during, after, settled, peakRss: peakRss(), detail: { sippExit: code, serverAfter, serverSettled } };
}

async function child(layer: Layer, calls: number): Promise<void> {
  const report = layer === 'gateway' || layer === 'gateway-workers' ? await gatewayPhase(calls, layer === 'gateway-workers') : layer === 'media' ? await mediaPhase(calls) : await drachtioPhase(calls);
  process.stdout.write(`MEMREPORT ${JSON.stringify(report)}\n`);
  process.exit(0);
}

// ───────────────────────────── parent side ─────────────────────────────

function runChild(layer: Layer, calls: number): Promise<PhaseReport> {
  return new Promise((resolve, reject) => {
    // The measured process starts with the flags the gateway starts with (GATEWAY_NODE_FLAGS: the
    // CLI's shebang, `npm start`): a child spawned without them measured V8's default 16 MiB
    // semi-spaces, which the gateway does not run with. TG_BENCH_MEM_NODE_FLAGS replaces them
    // (its workers inherit them), e.g. "--max-semi-space-size=16" for V8's default young generation.
    const flags = (process.env.TG_BENCH_MEM_NODE_FLAGS ?? GATEWAY_NODE_FLAGS.join(' ')).split(' ').filter(Boolean);
    const c = spawn(process.execPath, [...flags, '--import', 'tsx', SELF, layer, String(calls)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('MEMREPORT '));
      if (!line) return reject(new Error(`${layer} ${calls}: child exited ${code} without a report: ${out.slice(-500)}`));
      resolve(JSON.parse(line.slice('MEMREPORT '.length)) as PhaseReport);
    });
  });
}

const KiB = (bytes: number): number => Math.round((bytes / 1024) * 10) / 10;

export async function run(): Promise<BenchResult[]> {
  process.env.TG_BENCH_MEM_SRC ??= await buildSrc();
  if (process.env.TG_BENCH_MEM_SNAPSHOTS === '') process.env.TG_BENCH_MEM_SNAPSHOTS = mkdtempSync(join(tmpdir(), 'tg-heap-'));
  const results: BenchResult[] = [];
  for (const calls of COUNTS) {
    for (const layer of LAYERS) {
      const load = loadavg()[0];
      const r = await runChild(layer, calls);
      const n = Math.max(1, r.up);
      const per = (f: (s: Sample) => number): number => KiB((f(r.during) - f(r.before)) / n);
      const left = (f: (s: Sample) => number, s: Sample): number => KiB((f(s) - f(r.before)) / n);
      const name = `${layer} ${calls} calls`;
      const detail = {
        up: r.up, loadavg1: load,
        beforeMiB: { heap: +(r.before.heapUsed / 2 ** 20).toFixed(1), external: +(r.before.external / 2 ** 20).toFixed(1), rss: +(r.before.rss / 2 ** 20).toFixed(1) },
        leftPerCallKiB: { heapAfter: left((s) => s.heapUsed, r.after), heapSettled: left((s) => s.heapUsed, r.settled), externalSettled: left((s) => s.external, r.settled) },
        peakRssMiB: +(r.peakRss / 2 ** 20).toFixed(1),
        // V8's young generation of the main thread, reserved MiB before → up (it grows with the allocation rate, not per call).
        newSpaceMiB: [r.before, r.during].map((x) => +((x.spaces.new_space?.size ?? 0) / 2 ** 20).toFixed(1)),
        ...r.detail,
      };
      results.push(
        { suite: 'memory', name: `${name}: retained heap per call`, value: per((s) => s.heapUsed), unit: 'KiB', detail },
        { suite: 'memory', name: `${name}: external per call`, value: per((s) => s.external), unit: 'KiB', detail: { arrayBuffersPerCallKiB: per((s) => s.arrayBuffers) } },
        { suite: 'memory', name: `${name}: RSS per call`, value: per((s) => s.rss), unit: 'KiB', detail: { heapTotalPerCallKiB: per((s) => s.heapTotal) } },
        { suite: 'memory', name: `${name}: heap left per call after calls ended`, value: left((s) => s.heapUsed, r.settled), unit: 'KiB' },
      );
    }
  }
  return results;
}

if (process.argv[1] === SELF && process.argv[2]) await child(process.argv[2] as Layer, Number(process.argv[3]));
