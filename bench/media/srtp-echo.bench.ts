/**
 * Concurrent SRTP echo calls on the machine's cores (issue 14): N MediaSessions with SDES keys
 * (AES_CM_128_HMAC_SHA1_80: every packet authenticated + decrypted in, encrypted + tagged out) on a
 * MediaWorkerPool of one worker per core (the gateway's `media.workers: auto`), each echoing what it
 * hears from the main thread as an agent does; a separate process (rtp-load-sender.ts) sends one
 * SRTP stream per session on absolute 20 ms deadlines and counts echoes. The same N with plain RTP
 * in the same run is the reference. Per run: late frames (ticks that left > ptime/2 late) after a
 * warm-up, inbound and echo loss, CPU of the whole process per stream-second.
 *
 * Short by default (N = 200 for 5 s); the full run: TG_BENCH_SRTP_STEPS=200,300,400
 * TG_BENCH_SRTP_SECONDS=15. TG_BENCH_SRTP_MODES=plain,srtp.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../run.js';
import { PortAllocator, type PortLease } from '../../src/media/ports.js';
import type { MediaSession } from '../../src/media/session/types.js';
import type { NegotiatedMedia } from '../../src/media/sdp/types.js';
import { newMasterKey } from '../../src/media/srtp/index.js';
import { MediaWorkerPool } from '../../src/media/worker/pool.js';

const LO = '127.0.0.1';
const SENDER = fileURLToPath(new URL('./rtp-load-sender.ts', import.meta.url));
const STEPS = (process.env.TG_BENCH_SRTP_STEPS ?? '200').split(',').map(Number);
const SECONDS = Number(process.env.TG_BENCH_SRTP_SECONDS ?? 5);
const WARMUP = Number(process.env.TG_BENCH_SRTP_WARMUP ?? 2);
const MODES = (process.env.TG_BENCH_SRTP_MODES ?? 'plain,srtp').split(',').filter(Boolean) as ('plain' | 'srtp')[];
const SUITE = 'AES_CM_128_HMAC_SHA1_80' as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function negotiated(srtpKey: string | undefined): NegotiatedMedia {
  return {
    codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
    ptime: 20, direction: 'sendrecv', remoteDirection: 'sendrecv', remoteHold: false,
    remote: { address: LO, port: 9 }, remoteRtcp: { address: LO, port: 9 }, rtcpMux: false,
    // One key both ways and for every stream: the sender protects with it, the sessions too (each its own contexts).
    ...(srtpKey ? { srtp: { suite: SUITE, localKey: srtpKey, remoteKey: srtpKey } } : {}),
  };
}

function runSender(ports: number[], seconds: number, srtpKey: string | undefined): Promise<{ sent: number; received: number; cpuUs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SENDER, JSON.stringify({ ports, seconds, ...(srtpKey ? { srtp: { suite: SUITE, key: srtpKey } } : {}) })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => {
      try { resolve(JSON.parse(out.trim()) as { sent: number; received: number; cpuUs: number }); } catch { reject(new Error(`sender exited ${code}: ${out}`)); }
    });
  });
}

async function openSessions(n: number, ports: PortAllocator, pool: MediaWorkerPool, srtpKey: string | undefined): Promise<MediaSession[]> {
  const out: MediaSession[] = [];
  while (out.length < n) {
    const batch = Math.min(50, n - out.length);
    const opened = await Promise.all(Array.from({ length: batch }, async () => {
      const lease: PortLease = ports.allocate();
      try {
        const s = await pool.create({ lease, negotiated: negotiated(srtpKey), localAddress: LO, latchPackets: 2, idle: 'none' });
        s.on('audio', (f) => s.play(f.samples, f.sampleRate));
        return s;
      } catch {
        lease.release();
        return undefined;
      }
    }));
    for (const s of opened) if (s) out.push(s);
  }
  return out;
}

async function step(n: number, mode: 'plain' | 'srtp', ports: PortAllocator, pool: MediaWorkerPool): Promise<BenchResult[]> {
  const key = mode === 'srtp' ? newMasterKey(SUITE) : undefined;
  const sessions = await openSessions(n, ports, pool, key);
  const opened = sessions.map((s) => s.stats());
  const sender = runSender(sessions.map((s) => s.localPort), WARMUP + SECONDS + 1, key);
  while (!sessions.some((s) => s.stats().packetsIn > 0)) await sleep(10);
  await sleep(WARMUP * 1000);
  const before = sessions.map((s) => s.stats());
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = sessions.map((s) => s.stats());
  const echo = await sender;
  const all = sessions.map((s) => s.stats());
  await Promise.all(sessions.map((s) => s.close()));
  const frames = after.reduce((a, s, i) => a + s.framesSent - before[i]!.framesSent, 0);
  const late = after.reduce((a, s, i) => a + s.lateFrames - before[i]!.lateFrames, 0);
  const packetsIn = all.reduce((a, s, i) => a + s.packetsIn - opened[i]!.packetsIn, 0);
  const rejected = all.reduce((a, s, i) => a + s.packetsRejected - opened[i]!.packetsRejected, 0);
  const latePct = (late / Math.max(1, frames)) * 100;
  const inLossPct = (1 - packetsIn / Math.max(1, echo.sent)) * 100;
  const echoLossPct = (1 - echo.received / Math.max(1, echo.sent)) * 100;
  const usPerStream = (cpu.user + cpu.system) / n / (wall / 1000);
  const label = `${n} ${mode === 'srtp' ? 'SRTP' : 'plain RTP'} PCMU echo calls (pool K=${pool.size})`;
  const detail = { streams: n, seconds: SECONDS, warmupSeconds: WARMUP, framesSent: frames, lateFrames: late, packetsSent: echo.sent, packetsReadBySessions: packetsIn, packetsRejected: rejected, echoesReceived: echo.received, senderCpuPct: Math.round((echo.cpuUs / 1000 / ((WARMUP + SECONDS + 1) * 1000)) * 100), loadAverage: +loadavg()[0]!.toFixed(1) };
  process.stderr.write(`${label}: late ${latePct.toFixed(3)}% in-loss ${inLossPct.toFixed(3)}% echo-loss ${echoLossPct.toFixed(3)}% rejected ${rejected} ${usPerStream.toFixed(0)} µs/stream-s load ${loadavg()[0]!.toFixed(1)}\n`);
  await sleep(500);
  return [
    { suite: 'srtp-echo', name: `${label}: late frames`, value: latePct, unit: '%', detail },
    { suite: 'srtp-echo', name: `${label}: inbound loss`, value: inLossPct, unit: '%' },
    { suite: 'srtp-echo', name: `${label}: echo loss`, value: echoLossPct, unit: '%' },
    { suite: 'srtp-echo', name: `${label}: CPU per stream`, value: usPerStream, unit: 'µs per stream-second', detail: { streamsPerCore: Math.floor(1e6 / usPerStream) } },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const ports = new PortAllocator({ min: 40000, max: 49999 });
  const pool = new MediaWorkerPool({ workers: Math.max(1, cpus().length), nice: -10 });
  await pool.ready();
  try {
    for (const n of STEPS) for (const mode of MODES) results.push(...await step(n, mode, ports, pool));
  } finally {
    await pool.close();
  }
  return results;
}
