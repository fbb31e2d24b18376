/**
 * Anchored through rtpengine vs direct (issue 14): N PCMU echo calls on a MediaWorkerPool (one
 * worker per core, as the gateway runs), fed by a separate sender process (rtp-load-sender.ts, one
 * 20 ms stream per call) either straight to the sessions (direct) or through the real rtpengine
 * daemon in userspace (anchored: an ng offer/answer per call, the sender sends to rtpengine's outer
 * port, rtpengine relays to the session and the echo back). Same run, same N, both modes:
 * - CPU per call of trunkgate's process (all threads) and of rtpengine (/proc/PID/stat),
 * - late frames and echo loss,
 * - one-way delay of a probe stream (probe()): through rtpengine minus straight, the latency one
 *   pass through rtpengine adds, measured while the N calls load it.
 *
 * Short by default (N = 100 for 5 s); longer: TG_BENCH_ANCHOR_STREAMS=200 TG_BENCH_ANCHOR_SECONDS=15.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client } from 'rtpengine-client';
import type { BenchResult } from '../run.js';
import { PortAllocator, type PortLease } from '../../src/media/ports.js';
import type { MediaSession } from '../../src/media/session/types.js';
import type { NegotiatedMedia } from '../../src/media/sdp/types.js';
import { MediaWorkerPool } from '../../src/media/worker/pool.js';

const LO = '127.0.0.1';
const SENDER = fileURLToPath(new URL('./rtp-load-sender.ts', import.meta.url));
const N = Number(process.env.TG_BENCH_ANCHOR_STREAMS ?? 100);
const SECONDS = Number(process.env.TG_BENCH_ANCHOR_SECONDS ?? 5);
const WARMUP = 2;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function negotiated(remotePort: number): NegotiatedMedia {
  return {
    codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
    ptime: 20, direction: 'sendrecv', remoteDirection: 'sendrecv', remoteHold: false,
    remote: { address: LO, port: remotePort }, remoteRtcp: { address: LO, port: remotePort + 1 }, rtcpMux: false,
  };
}

const sdp = (port: number): string => `v=0\r\no=- 1 1 IN IP4 ${LO}\r\ns=-\r\nc=IN IP4 ${LO}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n`;
const portOf = (s: string): number => Number(/m=audio (\d+)/.exec(s)![1]);

function procCpuUs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * (1e6 / 100);
}

async function startRtpengine(ports: { min: number; max: number }, ngPort: number): Promise<ChildProcess> {
  const child = spawn('rtpengine', ['--config-file=none', `--interface=${LO}`, `--listen-ng=${LO}:${ngPort}`, '--foreground', '--log-stderr',
    '--table=-1', `--port-min=${ports.min}`, `--port-max=${ports.max}`, '-L', '6'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const on = (d: Buffer): void => { if (out.length < 1e5) out += d.toString(); if (out.includes('Startup complete')) resolve(); };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (c) => reject(new Error(`rtpengine exited ${c}: ${out}`)));
  });
  return child;
}

function runSender(ports: number[], seconds: number): Promise<{ sent: number; received: number; cpuUs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SENDER, JSON.stringify({ ports, seconds })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => {
      try { resolve(JSON.parse(out.trim()) as { sent: number; received: number; cpuUs: number }); } catch { reject(new Error(`sender exited ${code}: ${out}`)); }
    });
  });
}

/**
 * One probe stream, A → B, 20 ms PCMU packets carrying their index in the payload: the one-way time
 * from A's send to B's receive, per packet (same process, same clock). Direct: A sends to B. Anchored:
 * A sends to rtpengine's outer port of a call whose inner side is B, so the difference is one pass
 * through rtpengine, under the load of the other calls.
 */
async function probe(seconds: number, via: ((b: number) => Promise<number>) | undefined): Promise<number[]> {
  const a = createSocket('udp4');
  const b = createSocket('udp4');
  await Promise.all([new Promise<void>((r) => a.bind(0, LO, () => r())), new Promise<void>((r) => b.bind(0, LO, () => r()))]);
  const target = via ? await via(b.address().port) : b.address().port;
  const sentAt: number[] = [];
  const delays: number[] = [];
  b.on('message', (m) => {
    if (m.length < 16) return;
    const t = sentAt[m.readUInt32BE(12)];
    if (t !== undefined) delays.push(performance.now() - t);
  });
  const pkt = Buffer.alloc(172);
  pkt[0] = 0x80;
  pkt.writeUInt32BE(0xfeed, 8);
  pkt.fill(0xd5, 12);
  const total = Math.round((seconds * 1000) / 20);
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    await sleep(Math.max(0, start + i * 20 - performance.now()));
    pkt.writeUInt16BE(i & 0xffff, 2);
    pkt.writeUInt32BE((i * 160) >>> 0, 4);
    pkt.writeUInt32BE(i, 12);
    sentAt[i] = performance.now();
    a.send(pkt, target, LO);
  }
  await sleep(300);
  a.close();
  b.close();
  return delays;
}

const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };

async function openSessions(n: number, ports: PortAllocator, pool: MediaWorkerPool, remotes: number[] | undefined): Promise<MediaSession[]> {
  const out: MediaSession[] = [];
  for (let i = 0; out.length < n; i++) {
    const lease: PortLease = ports.allocate();
    try {
      const s = await pool.create({ lease, negotiated: negotiated(remotes?.[out.length] ?? 9), localAddress: LO, latchPackets: 2, idle: 'none' });
      s.on('audio', (f) => s.play(f.samples, f.sampleRate));
      out.push(s);
    } catch {
      lease.release();
    }
  }
  return out;
}

async function mode(anchored: boolean, pool: MediaWorkerPool, ports: PortAllocator, rtpengine: { pid: number; ng: Client; ngPort: number }): Promise<BenchResult[]> {
  const calls = N;
  // Anchored: an ng offer per call (the caller's side, port learnt by latching) gives rtpengine's inner port.
  let outer: number[] | undefined;
  let inner: number[] | undefined;
  const ids: string[] = [];
  if (anchored) {
    outer = [];
    inner = [];
    for (let i = 0; i < calls; i++) {
      const id = `bench-${Date.now()}-${i}`;
      ids.push(id);
      const o = await rtpengine.ng.offer(rtpengine.ngPort, LO, { 'call-id': id, 'from-tag': 'caller', sdp: sdp(9), replace: ['origin'] });
      inner.push(portOf(o.sdp as string));
    }
  }
  const sessions = await openSessions(calls, ports, pool, inner);
  if (anchored) {
    for (let i = 0; i < calls; i++) {
      const a = await rtpengine.ng.answer(rtpengine.ngPort, LO, { 'call-id': ids[i], 'from-tag': 'caller', 'to-tag': 'trunkgate', sdp: sdp(sessions[i]!.localPort) });
      outer!.push(portOf(a.sdp as string));
    }
  }
  const targets = anchored ? outer! : sessions.map((s) => s.localPort);
  const opened = sessions.map((s) => s.stats());
  const sender = runSender(targets, WARMUP + SECONDS + 1);
  while (!sessions.some((s) => s.stats().packetsIn > 0)) await sleep(10);
  await sleep(WARMUP * 1000);
  const before = sessions.map((s) => s.stats());
  const cpu0 = process.cpuUsage();
  const re0 = procCpuUs(rtpengine.pid);
  const t0 = performance.now();
  const probeId = `bench-probe-${Date.now()}`;
  const rtts = await probe(SECONDS, anchored ? async (b) => {
    ids.push(probeId);
    await rtpengine.ng.offer(rtpengine.ngPort, LO, { 'call-id': probeId, 'from-tag': 'caller', sdp: sdp(9), replace: ['origin'] });
    return portOf((await rtpengine.ng.answer(rtpengine.ngPort, LO, { 'call-id': probeId, 'from-tag': 'caller', 'to-tag': 'b', sdp: sdp(b) })).sdp as string);
  } : undefined);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const reUs = procCpuUs(rtpengine.pid) - re0;
  const after = sessions.map((s) => s.stats());
  const echo = await sender;
  await Promise.all(sessions.map((s) => s.close()));
  for (const id of ids) await rtpengine.ng.delete(rtpengine.ngPort, LO, { 'call-id': id, 'delete-delay': 0 });
  const frames = after.reduce((a, s, i) => a + s.framesSent - before[i]!.framesSent, 0);
  const late = after.reduce((a, s, i) => a + s.lateFrames - before[i]!.lateFrames, 0);
  const inPackets = after.reduce((a, s, i) => a + s.packetsIn - opened[i]!.packetsIn, 0);
  const label = `${N} PCMU echo calls ${anchored ? 'anchored through rtpengine' : 'direct'} (pool K=${pool.size})`;
  const usPerCall = (cpu.user + cpu.system) / calls / (wall / 1000);
  const reUsPerCall = reUs / calls / (wall / 1000);
  const detail = { calls: N, seconds: SECONDS, lateFramesPct: +((late / Math.max(1, frames)) * 100).toFixed(3), echoLossPct: +((1 - echo.received / Math.max(1, echo.sent)) * 100).toFixed(3), packetsReadBySessions: inPackets, probeEchoes: rtts.length, loadAverage: +loadavg()[0]!.toFixed(1) };
  process.stderr.write(`${label}: trunkgate ${usPerCall.toFixed(0)} µs/call-s, rtpengine ${reUsPerCall.toFixed(0)} µs/call-s, probe one-way median ${pct(rtts, 50).toFixed(3)} ms p99 ${pct(rtts, 99).toFixed(3)} ms ${JSON.stringify(detail)}\n`);
  return [
    { suite: 'anchor', name: `${label}: trunkgate CPU per call`, value: usPerCall, unit: 'µs per call-second', detail },
    { suite: 'anchor', name: `${label}: rtpengine CPU per call`, value: reUsPerCall, unit: 'µs per call-second' },
    { suite: 'anchor', name: `${label}: probe one-way median`, value: pct(rtts, 50), unit: 'ms', detail: { probePackets: rtts.length } },
    { suite: 'anchor', name: `${label}: probe one-way p99`, value: pct(rtts, 99), unit: 'ms' },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const ports = new PortAllocator({ min: 40000, max: 44999 });
  const ngPort = 45998;
  const re = await startRtpengine({ min: 46000, max: 49999 }, ngPort);
  const ng = new Client({ localAddress: LO, timeout: 3000 });
  await new Promise<void>((r) => ng.on('listening', () => r()));
  const pool = new MediaWorkerPool({ workers: Math.max(1, cpus().length), nice: -10 });
  await pool.ready();
  const results: BenchResult[] = [];
  try {
    const direct = await mode(false, pool, ports, { pid: re.pid!, ng, ngPort });
    const anchored = await mode(true, pool, ports, { pid: re.pid!, ng, ngPort });
    results.push(...direct, ...anchored);
    const at = (r: BenchResult[], end: string): number => r.find((x) => x.name.endsWith(end))!.value;
    results.push({ suite: 'anchor', name: 'latency rtpengine adds, one pass (anchored − direct probe, median)', value: at(anchored, 'one-way median') - at(direct, 'one-way median'), unit: 'ms' });
    results.push({ suite: 'anchor', name: 'latency rtpengine adds, one pass (anchored − direct probe, p99)', value: at(anchored, 'one-way p99') - at(direct, 'one-way p99'), unit: 'ms' });
  } finally {
    ng.close();
    await pool.close();
    re.kill('SIGTERM');
  }
  return results;
}
