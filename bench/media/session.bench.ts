/**
 * How many concurrent G.711 echo streams one Node process carries: N MediaSessions (PCMU, shared
 * media clock) each echoing what it receives (`on('audio') → play()` in the main thread, as an
 * agent does); a separate process sends one RTP stream per session on loopback and counts the
 * echoes. Modes (TG_BENCH_MODES, same run): `inproc` = every session on the main thread's event
 * loop; `pool1`/`pool2` = sessions on a MediaWorkerPool of 1 or 2 worker threads. UDP layers
 * (TG_BENCH_UDP, same run): `native` (the batched pump) and `dgram`. For each N: late frames
 * (ticks that left > ptime/2 late) in the steady state — measured for TG_BENCH_SECONDS after a
 * TG_BENCH_WARMUP-second warm-up that starts with the first packet (all N streams start within
 * one 20 ms period, on code the JIT has not optimised yet), reported separately — echo loss, CPU
 * of the whole process (all threads) per stream-second, RSS per stream.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../run.js';
import { PortAllocator, type PortLease } from '../../src/media/ports.js';
import { createMediaSession } from '../../src/media/session/session.js';
import type { MediaSession, MediaSessionOptions } from '../../src/media/session/types.js';
import { MediaWorkerPool } from '../../src/media/worker/pool.js';
import { setDatagramIoMode, type DatagramBinder, type DatagramIoKind, type DatagramSocket } from '../../src/media/udp/index.js';
import type { NegotiatedMedia } from '../../src/media/sdp/types.js';

const LO = '127.0.0.1';
const SENDER = fileURLToPath(new URL('./rtp-load-sender.ts', import.meta.url));
const STEPS = (process.env.TG_BENCH_STEPS ?? '250,500').split(',').map(Number);
const MODES = (process.env.TG_BENCH_MODES ?? 'inproc,pool1,pool2').split(',').filter(Boolean);
const SECONDS = Number(process.env.TG_BENCH_SECONDS ?? 8);
const WARMUP = Number(process.env.TG_BENCH_WARMUP ?? 2);
/** Nice value of the pool's worker threads (TG_BENCH_WORKER_NICE; 'null' = the process's). */
const WORKER_NICE = process.env.TG_BENCH_WORKER_NICE === 'null' ? null : Number(process.env.TG_BENCH_WORKER_NICE ?? -10);
/**
 * TG_BENCH_PIN=1: in-process steps answer "streams per core" on a core of their own — this process
 * (all its threads) pinned to CPU 0 and the sender to CPU 1 with taskset(1); pooled steps run unpinned.
 */
const PIN = process.env.TG_BENCH_PIN === '1';
let senderCpu: string | undefined;

function pinSelf(cpus: string): void {
  execFileSync('taskset', ['-apc', cpus, String(process.pid)], { stdio: 'ignore' });
}

const UDP = (process.env.TG_BENCH_UDP ?? 'native,dgram').split(',').filter(Boolean) as DatagramIoKind[];

function negotiated(): NegotiatedMedia {
  // The remote is a placeholder: symmetric RTP latches onto the sender's real source.
  return {
    codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
    ptime: 20, direction: 'sendrecv', remoteDirection: 'sendrecv', remoteHold: false,
    remote: { address: LO, port: 9 }, remoteRtcp: { address: LO, port: 9 }, rtcpMux: false,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Create = (o: MediaSessionOptions) => Promise<MediaSession>;

async function openSessions(n: number, ports: PortAllocator, create: Create): Promise<MediaSession[]> {
  const out: MediaSession[] = [];
  while (out.length < n) {
    const batch = Math.min(50, n - out.length);
    const opened = await Promise.all(Array.from({ length: batch }, async () => {
      const lease: PortLease = ports.allocate();
      try {
        // idle 'none': a session sends only what it echoes, so echo loss = 1 − echoes received / packets sent.
        const s = await create({ lease, negotiated: negotiated(), localAddress: LO, latchPackets: 2, idle: 'none' });
        s.on('audio', (f) => s.play(f.samples, f.sampleRate));
        return s;
      } catch {
        lease.release(); // port taken by someone else on this machine: skip it
        return undefined;
      }
    }));
    for (const s of opened) if (s) out.push(s);
  }
  return out;
}

/** CPU time (µs) of each thread of this process, from /proc (the main thread and the media workers). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  const tick = 1e6 / 100; // USER_HZ
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(t, (Number(f[11]) + Number(f[12])) * tick);
    } catch { /* thread ended */ }
  }
  return out;
}

function runSender(ports: number[], seconds: number): Promise<{ sent: number; received: number; cpuUs: number }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.TRUNKGATE_MEDIA_UDP;
    const argv = [process.execPath, '--import', 'tsx', SENDER, JSON.stringify({ ports, seconds })];
    if (senderCpu) argv.unshift('taskset', '-c', senderCpu);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => {
      try { resolve(JSON.parse(out.trim()) as { sent: number; received: number; cpuUs: number }); } catch { reject(new Error(`sender exited ${code}: ${out}`)); }
    });
  });
}

/** Baseline: N bare sockets on a UDP layer that send every datagram straight back (no RTP work at all). */
async function rawEcho(n: number, ports: PortAllocator, binder: DatagramBinder): Promise<{ ports: number[]; close: () => Promise<void> }> {
  const sockets: DatagramSocket[] = [];
  const leases: PortLease[] = [];
  while (sockets.length < n) {
    const lease = ports.allocate();
    const ref: { s?: DatagramSocket } = {};
    try {
      ref.s = await binder.bind({ address: LO, port: lease.port, onMessage: (m, r) => ref.s?.send(m, r.port, r.address) });
    } catch {
      lease.release();
      continue;
    }
    sockets.push(ref.s);
    leases.push(lease);
  }
  return {
    ports: leases.map((l) => l.port),
    close: async () => {
      await Promise.all(sockets.map((s) => s.close()));
      for (const l of leases) l.release();
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const ports = new PortAllocator({ min: 40000, max: 49999 });
  for (const n of (process.env.TG_BENCH_BASELINE ?? '200').split(',').filter(Boolean).map(Number)) for (const udp of UDP) {
    const raw = await rawEcho(n, ports, setDatagramIoMode(udp));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const echo = await runSender(raw.ports, SECONDS);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await raw.close();
    const us = (cpu.user + cpu.system) / n / (wall / 1000);
    results.push({ suite: 'media-session', name: `${n} bare ${udp} echo sockets (baseline): CPU per stream`, value: us, unit: 'µs per stream-second', detail: { packetsSent: echo.sent, echoesReceived: echo.received, loadAverage: +loadavg()[0]!.toFixed(1) } });
    process.stderr.write(`baseline N=${n}: bare ${udp} echo ${us.toFixed(0)} µs/stream-s, echoes ${echo.received}/${echo.sent}\n`);
  }
  for (const udp of UDP) {
    // Sessions (in this thread, and in workers started from now on) bind on this UDP layer; the
    // sender process always uses the pump when built, so the generator's load is the same for both.
    setDatagramIoMode(udp);
    for (const mode of MODES) {
      const workers = mode === 'inproc' ? 0 : Number(mode.replace('pool', ''));
      const pool = workers > 0 ? new MediaWorkerPool({ workers, nice: WORKER_NICE }) : undefined;
      await pool?.ready();
      const create: Create = pool ? (o) => pool.create(o) : createMediaSession;
      const pinned = PIN && !pool;
      if (pinned) {
        pinSelf('0');
        senderCpu = '1';
      }
      const label = `${pool ? `pool K=${workers}${WORKER_NICE === null ? '' : ` nice ${WORKER_NICE}`}` : `in-process${pinned ? ' on CPU 0, sender on CPU 1' : ''}`}, ${udp}`;
      for (const n of STEPS) results.push(...await step(n, label, ports, create, pool));
      if (pinned) {
        pinSelf('0-1');
        senderCpu = undefined;
      }
      await pool?.close();
    }
  }
  setDatagramIoMode('auto');
  return results;
}

/** Share of wall time each worker's event loop was busy between two snapshots. */
function workerUtilization(a: ReturnType<MediaWorkerPool['workers']>, b: ReturnType<MediaWorkerPool['workers']>): number[] {
  return b.map((w, i) => {
    const active = w.eventLoop.activeMs - (a[i]?.eventLoop.activeMs ?? 0);
    const total = active + w.eventLoop.idleMs - (a[i]?.eventLoop.idleMs ?? 0);
    return +(active / Math.max(1, total)).toFixed(2);
  });
}

async function step(n: number, label: string, ports: PortAllocator, create: Create, pool?: MediaWorkerPool): Promise<BenchResult[]> {
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const sessions = await openSessions(n, ports, create);
  const rss1 = process.memoryUsage().rss;
  const opened = sessions.map((s) => s.stats());
  const sender = runSender(sessions.map((s) => s.localPort), WARMUP + SECONDS + 1);
  // The warm-up starts with the first packet (the sender process takes a moment to load).
  while (!sessions.some((s) => s.stats().packetsIn > 0)) await sleep(10);
  await sleep(WARMUP * 1000);
  const before = sessions.map((s) => s.stats());
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpu();
  const elu0 = pool?.workers() ?? [];
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // The busiest threads (main + media workers), % of one core each.
  const busiest = [...threadCpu()].map(([t, us]) => ((us - (threads0.get(t) ?? 0)) / 1000 / wall) * 100).sort((a, b) => b - a).slice(0, 3).map((p) => Math.round(p));
  const elu = pool ? workerUtilization(elu0, pool.workers()) : [];
  const after = sessions.map((s) => s.stats());
  const echo = await sender;
  const all = sessions.map((s) => s.stats());
  const senderPct = Math.round((echo.cpuUs / 1000 / ((WARMUP + SECONDS + 1) * 1000)) * 100);
  const frames = after.reduce((a, s, i) => a + s.framesSent - before[i]!.framesSent, 0);
  const late = after.reduce((a, s, i) => a + s.lateFrames - before[i]!.lateFrames, 0);
  const warmFrames = before.reduce((a, s, i) => a + s.framesSent - opened[i]!.framesSent, 0);
  const warmLate = before.reduce((a, s, i) => a + s.lateFrames - opened[i]!.lateFrames, 0);
  const underruns = after.reduce((a, s, i) => a + s.underruns - before[i]!.underruns, 0);
  const packetsIn = all.reduce((a, s, i) => a + s.packetsIn - opened[i]!.packetsIn, 0);
  const rssPerStream = (process.memoryUsage().rss - rss0) / n;
  await Promise.all(sessions.map((s) => s.close()));
  const cpuPct = ((cpu.user + cpu.system) / 1000 / wall) * 100;
  // CPU time is reliable on this shared machine even when wall-clock lateness is not.
  const cpuUsPerStreamSecond = (cpu.user + cpu.system) / n / (wall / 1000);
  const latePct = (late / Math.max(1, frames)) * 100;
  const warmLatePct = (warmLate / Math.max(1, warmFrames)) * 100;
  // Packets the sessions never read (dropped by the kernel at a full socket buffer, or lost).
  const inLossPct = (1 - packetsIn / Math.max(1, echo.sent)) * 100;
  const echoLossPct = (1 - echo.received / Math.max(1, echo.sent)) * 100;
  const detail = { streams: n, seconds: SECONDS, warmupSeconds: WARMUP, framesSent: frames, lateFrames: late, warmupLateFramesPct: +warmLatePct.toFixed(2), underruns, packetsSent: echo.sent, packetsReadBySessions: packetsIn, echoesReceived: echo.received, busiestThreadsPct: busiest, workerEventLoopUtilization: elu, senderCpuPct: senderPct, loadAverage: +loadavg()[0]!.toFixed(1), rssAtOpenPerStreamKiB: +((rss1 - rss0) / n / 1024).toFixed(1) };
  const results: BenchResult[] = [];
  results.push(
    { suite: 'media-session', name: `${n} PCMU echo streams (${label}): late frames`, value: latePct, unit: '%', detail },
    { suite: 'media-session', name: `${n} PCMU echo streams (${label}): late frames in the warm-up`, value: warmLatePct, unit: '%' },
    { suite: 'media-session', name: `${n} PCMU echo streams (${label}): inbound loss`, value: inLossPct, unit: '%' },
    { suite: 'media-session', name: `${n} PCMU echo streams (${label}): echo loss`, value: echoLossPct, unit: '%' },
    { suite: 'media-session', name: `${n} PCMU echo streams (${label}): CPU of session process`, value: cpuPct, unit: '% of one core' },
    { suite: 'media-session', name: `${n} PCMU echo streams (${label}): RSS per stream`, value: rssPerStream / 1024, unit: 'KiB' },
    { suite: 'media-session', name: `${n} PCMU echo streams (${label}): CPU per stream`, value: cpuUsPerStreamSecond, unit: 'µs per stream-second', detail: { streamsPerCore: Math.floor(1e6 / cpuUsPerStreamSecond) } },
  );
  process.stderr.write(`${label} N=${n}: late ${latePct.toFixed(3)}% (warm-up ${warmLatePct.toFixed(1)}%) in-loss ${inLossPct.toFixed(3)}% echo-loss ${echoLossPct.toFixed(3)}% cpu ${cpuPct.toFixed(0)}% (${cpuUsPerStreamSecond.toFixed(0)} µs/stream-s) threads [${busiest.join(', ')}]%${pool ? ` worker ELU [${elu.join(', ')}]` : ''} sender ${senderPct}% rss/stream ${(rssPerStream / 1024).toFixed(0)} KiB load ${loadavg()[0]!.toFixed(1)}\n`);
  await new Promise((r) => setTimeout(r, 500));
  return results;
}
