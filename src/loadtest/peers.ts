/**
 * The systems a load test points SIPp at, each started on free loopback ports and stopped by pid:
 * the trunkgate gateway (a child process running src/runtime/start-command with the echo agent), SIPp's own
 * `-rtp_echo` UAS (the floor for media, the ceiling for signalling in one process) and Kamailio as
 * a stateless relay in front of that UAS (the C upper bound for a signalling hop).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { GATEWAY_NODE_FLAGS } from '../runtime/node-flags.js';
import { startChild, waitForPort, type Child } from './child.js';
import { LoadtestError } from './errors.js';
import { freeLoopbackPort, freeLoopbackRange } from './ports.js';
import type { PortRange } from './udp-drops.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Repository root (works from src/loadtest and dist/loadtest). */
export const REPO_ROOT = resolve(HERE, '../..');
export const SCENARIO_DIR = join(REPO_ROOT, 'sipp-scenarios');

export type PeerKind = 'gateway' | 'sipp-uas' | 'kamailio' | 'external';

/** What the gateway logged for one finished call (its `call_end` line). */
export interface GatewayCallEnd {
  durationMs: number;
  setupMs?: number;
  packetsIn: number;
  packetsOut: number;
  packetsLost: number;
  jitterMs: number;
  lateFrames?: number;
  framesSent?: number;
  /** RFC 4733 digits the gateway's media session received. */
  dtmfIn?: number;
  /** The number dialled (its `to`), which names the call. */
  to?: string;
}

export interface RunningPeer {
  kind: PeerKind;
  /** host:port SIPp sends to. */
  target: string;
  /** Process (tree) to sample for CPU and memory, if known. */
  pid?: number;
  /** UDP ports whose kernel drop counters are followed (media, and the SIP socket). */
  watchPorts: PortRange[];
  /** Gateway only: the `call_end` records parsed from its log. */
  callEnds: GatewayCallEnd[];
  /** Gateway only: `call_refused` count by reason. */
  refused: Record<string, number>;
  description: string;
  /** Resolves with the exit code when the process has exited (peers started here). */
  exited?: Promise<number | null>;
  stop(): Promise<void>;
}

export interface SippUasOptions {
  workDir: string;
  /** Echo RTP back (-rtp_echo). Default true. */
  echo?: boolean;
  /** Scenario file instead of the built-in `uas`. */
  scenarioFile?: string;
}

/** SIPp `-sn uas -rtp_echo`: answers 180 + 200 and echoes RTP on its media port. */
export async function startSippUas(opts: SippUasOptions): Promise<RunningPeer & { child: Child }> {
  const port = await freeLoopbackPort();
  const media = await freeLoopbackRange(4, [{ min: port, max: port }]);
  const args = [
    ...(opts.scenarioFile ? ['-sf', opts.scenarioFile] : ['-sn', 'uas']),
    '-i', '127.0.0.1', '-p', String(port), '-mp', String(media.min),
    ...(opts.echo === false ? [] : ['-rtp_echo']),
    '-buff_size', '4194304', '-nostdin', '-trace_err', '-error_file', join(opts.workDir, `uas-${port}-errors.log`),
  ];
  const child = startChild('sipp', args, { name: 'sipp uas', cwd: opts.workDir });
  await waitForPort(child, port, 10_000, 'sipp uas');
  return {
    kind: 'sipp-uas', target: `127.0.0.1:${port}`, pid: child.pid, child,
    watchPorts: [media, { min: port, max: port }], callEnds: [], refused: {},
    description: `SIPp ${opts.scenarioFile ? opts.scenarioFile : 'uas'}${opts.echo === false ? '' : ' -rtp_echo'} on 127.0.0.1:${port}, media ${media.min}`,
    stop: () => child.stop(),
  };
}

export interface KamailioOptions { workDir: string; workers?: number }

/** Kamailio stateless relay (sipp-scenarios/peers/kamailio-stateless.cfg) in front of a SIPp echo UAS. */
export async function startKamailioRelay(opts: KamailioOptions): Promise<RunningPeer> {
  const uas = await startSippUas({ workDir: opts.workDir });
  try {
    const port = await freeLoopbackPort();
    const uasPort = uas.target.split(':')[1]!;
    const cfg = readFileSync(join(SCENARIO_DIR, 'peers', 'kamailio-stateless.cfg'), 'utf8')
      .replaceAll('__LISTEN_PORT__', String(port)).replaceAll('__UAS_PORT__', uasPort)
      .replaceAll('__WORKERS__', String(opts.workers ?? 1));
    const cfgPath = join(opts.workDir, `kamailio-${port}.cfg`);
    const runDir = join(opts.workDir, `kamailio-${port}-run`);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(cfgPath, cfg);
    const child = startChild('kamailio', ['-f', cfgPath, '-DD', '-E', '-m', '256', '-M', '16', '-Y', runDir], { name: 'kamailio', cwd: opts.workDir });
    await waitForPort(child, port, 10_000, 'kamailio');
    return {
      kind: 'kamailio', target: `127.0.0.1:${port}`, pid: child.pid,
      watchPorts: [{ min: port, max: port }, ...uas.watchPorts], callEnds: [], refused: {},
      description: `Kamailio stateless relay (${opts.workers ?? 1} UDP worker) on 127.0.0.1:${port} -> ${uas.description}`,
      async stop() { await child.stop(); await uas.stop(); },
    };
  } catch (err) {
    await uas.stop();
    throw err;
  }
}

export interface GatewayChildOptions {
  workDir: string;
  /** Agent every call goes to (default `echo`). */
  agent?: string;
  /** Media ports to give the gateway (2 per call; default 4000). */
  mediaPorts?: number;
  /** Ports the gateway's media range must keep out of (a peer that binds them later). */
  avoid?: PortRange[];
  /** Gateway log level (default `info`: the `call_end` lines carry the audio statistics). */
  logLevel?: string;
  /** The echo agent's `delay_ms` (default 0, so the echo path shows what the gateway adds). */
  echoDelayMs?: number;
  /** The gateway's `media.workers` (default: the config default, one worker thread per core). */
  mediaWorkers?: number | 'auto';
  /** Edits the config before it is written (more agents, routes, the trunk's transfer settings …). */
  configure?: (config: Record<string, unknown>) => Record<string, unknown>;
  /** Start with `--agent`, so every call goes to `agent` whatever the routes say. Default true. */
  forceAgent?: boolean;
  /** Extra node flags for the gateway process (e.g. --cpu-prof --cpu-prof-dir=DIR). */
  nodeFlags?: string[];
  /** Every JSON line the gateway logs, parsed (after the built-in bookkeeping). */
  onLogRecord?: (rec: Record<string, unknown>) => void;
  /** Fixed ports instead of free ones (a cluster instance restarted on its dispatcher entry). */
  ports?: { sip: number; control: number; media: PortRange };
}

/** The gateway config a load test runs with: one open trunk from 127.0.0.1, no rate limit. */
export function loadtestGatewayConfig(p: { sipPort: number; controlPort: number; media: PortRange; agent: string; logLevel: string; echoDelayMs?: number; mediaWorkers?: number | 'auto' }): Record<string, unknown> {
  return {
    sip: { listen: [{ address: '127.0.0.1', port: p.sipPort, transport: 'udp' }] },
    drachtio: { embedded: { host: '127.0.0.1', port: p.controlPort, secret: 'loadtest' } },
    trunks: [{
      name: 'loadtest', sources: ['127.0.0.1/32'], codecs: ['PCMU', 'PCMA'], max_calls: 100_000,
      routes: [{ pattern: '*', agent: p.agent }],
    }],
    agents: p.agent === 'echo' ? { echo: { type: 'echo', settings: { delay_ms: p.echoDelayMs ?? 0 } } } : {},
    media: { address: '127.0.0.1', port_min: p.media.min, port_max: p.media.max, ...(p.mediaWorkers !== undefined ? { workers: p.mediaWorkers } : {}) },
    session_timers: { enabled: false },
    edge: { rate_per_second: 1_000_000, burst: 1_000_000 },
    shutdown: { grace_seconds: 2 },
    logging: { level: p.logLevel },
    // Beside the config (the report folder), not the default ~/.local/state one: each run writes
    // into a table of its own size, so runs compare, and its CDRs stay with its report.
    cdr: { path: `cdr-${p.sipPort}.sqlite` },
  };
}

/** src/runtime/start-command (the gateway process entry) as a child: tsx from source, node from dist. */
export async function startGatewayChild(opts: GatewayChildOptions): Promise<RunningPeer> {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = join(HERE, '..', 'runtime', fromSource ? 'start-command.ts' : 'start-command.js');
  const sipPort = opts.ports?.sip ?? await freeLoopbackPort();
  const controlPort = opts.ports?.control ?? await freeLoopbackPort();
  // Neither may fall inside the media range: the gateway binds those ports call by call, and one
  // taken by its own SIP or control socket would refuse a call (503 media_port_unavailable).
  const media = opts.ports?.media ?? await freeLoopbackRange(opts.mediaPorts ?? 4000, [{ min: sipPort, max: sipPort }, { min: controlPort, max: controlPort }, ...(opts.avoid ?? [])]);
  const agent = opts.agent ?? 'echo';
  const configPath = join(opts.workDir, `gateway-${sipPort}.yaml`);
  const config = loadtestGatewayConfig({ sipPort, controlPort, media, agent, logLevel: opts.logLevel ?? 'info', echoDelayMs: opts.echoDelayMs ?? 0, ...(opts.mediaWorkers !== undefined ? { mediaWorkers: opts.mediaWorkers } : {}) });
  writeFileSync(configPath, stringify(opts.configure ? opts.configure(config) : config));
  const args = [...GATEWAY_NODE_FLAGS, ...(opts.nodeFlags ?? []), ...(fromSource ? ['--import', 'tsx'] : []), entry, '--config', configPath, ...(opts.forceAgent === false ? [] : ['--agent', agent])];
  const child = startChild(process.execPath, args, { name: 'gateway', cwd: REPO_ROOT, env: { ...process.env, TRUNKGATE_LOG_LEVEL: opts.logLevel ?? 'info' } });
  const callEnds: GatewayCallEnd[] = [];
  const refused: Record<string, number> = {};
  let connected: () => void = () => undefined;
  const ready = new Promise<void>((r) => { connected = r; });
  const lines = createInterface({ input: child.proc.stdout! });
  lines.on('line', (line) => {
    if (!line.startsWith('{')) return;
    let rec: Record<string, unknown>;
    try { rec = JSON.parse(line) as Record<string, unknown>; } catch { return; }
    if (rec.event === 'call_end') {
      const n = (k: string): number => (typeof rec[k] === 'number' ? rec[k] as number : 0);
      callEnds.push({
        durationMs: n('durationMs'), packetsIn: n('packetsIn'), packetsOut: n('packetsOut'), packetsLost: n('packetsLost'), jitterMs: n('jitterMs'),
        ...(typeof rec.setupMs === 'number' ? { setupMs: rec.setupMs } : {}),
        ...(typeof rec.lateFrames === 'number' ? { lateFrames: rec.lateFrames } : {}),
        ...(typeof rec.framesSent === 'number' ? { framesSent: rec.framesSent } : {}),
        ...(typeof rec.dtmfIn === 'number' ? { dtmfIn: rec.dtmfIn } : {}),
        ...(typeof rec.to === 'string' ? { to: rec.to } : {}),
      });
    } else if (rec.event === 'call_refused' && typeof rec.reason === 'string') {
      refused[rec.reason] = (refused[rec.reason] ?? 0) + 1;
    } else if (rec.msg === 'connected to drachtio server') {
      connected();
    }
    opts.onLogRecord?.(rec);
  });
  const failed = child.exited.then((code) => {
    throw new LoadtestError('PEER_START_FAILED', `gateway exited (${code}) before it was ready: ${child.stderrTail().slice(-800)}`);
  });
  const timeout = new Promise<never>((_, reject) => {
    const t = setTimeout(() => reject(new LoadtestError('PEER_START_FAILED', 'gateway did not connect to its drachtio server within 30 s')), 30_000);
    t.unref();
  });
  try {
    await Promise.race([ready.then(() => waitForPort(child, sipPort, 10_000, 'gateway')), failed, timeout]);
  } catch (err) {
    await child.stop();
    throw err;
  }
  failed.catch(() => undefined);
  return {
    kind: 'gateway', target: `127.0.0.1:${sipPort}`, pid: child.pid,
    watchPorts: [media, { min: sipPort, max: sipPort }], callEnds, refused, exited: child.exited,
    description: `trunkgate gateway (${agent} agent) on 127.0.0.1:${sipPort}, media ${media.min}-${media.max}`,
    stop: () => child.stop(10_000),
  };
}

/** A gateway somebody else runs (--target); sampled only when its pid is given. */
export function externalPeer(target: string, pid?: number): RunningPeer {
  return {
    kind: 'external', target, ...(pid ? { pid } : {}), watchPorts: [], callEnds: [], refused: {},
    description: `external target ${target}${pid ? ` (pid ${pid})` : ''}`,
    stop: async () => undefined,
  };
}
