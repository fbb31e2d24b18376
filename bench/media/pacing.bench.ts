/**
 * Pacing on the wall clock: one MediaSession sends PCMU to a receiver in a worker thread (so its
 * arrival times are not skewed by the load) for TG_BENCH_PACING_SECONDS (default 10 s) while the
 * main event loop is kept ~40% busy. Reports the mean spacing of the first 500 packets, and the
 * drift of the sending grid: the earliest packet of the last 50 against the earliest of the first
 * 50, each relative to start + i·20 ms (a chained-setTimeout pacer drifts ≥ 1 ms per packet).
 * The test suite checks only what is exact (test/media/session/pacing.test.ts); these figures
 * depend on the machine and its load, so they live here.
 */
import { Worker } from 'node:worker_threads';
import { RtpPacket } from 'werift-rtp';
import type { BenchResult } from '../run.js';
import { PortAllocator } from '../../src/media/ports.js';
import { createMediaSession } from '../../src/media/session/session.js';
import type { NegotiatedMedia } from '../../src/media/sdp/types.js';
import { freeLoopbackRange } from '../../src/loadtest/ports.js';

const LO = '127.0.0.1';
const SECONDS = Number(process.env.TG_BENCH_PACING_SECONDS ?? 10);

/** Busy 3 ms chunks from timers and setImmediate, ~40% of the time. */
function loadEventLoop(): () => void {
  let on = true;
  const busy = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end) { /* spin */ } };
  const iv = setInterval(() => busy(3), 7);
  const immediate = (): void => { if (!on) return; busy(1); setTimeout(() => setImmediate(immediate), 3); };
  immediate();
  return () => { on = false; clearInterval(iv); };
}

async function timedReceiver(): Promise<{ port: number; stop: () => Promise<{ at: number[]; packets: Buffer[] }> }> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const s = require('node:dgram').createSocket('udp4');
    const at = []; const packets = [];
    s.on('message', (m) => { at.push(performance.timeOrigin + performance.now()); packets.push(m); });
    s.bind(0, '127.0.0.1', () => parentPort.postMessage(s.address().port));
    parentPort.on('message', () => { s.close(); parentPort.postMessage({ at, packets }); });
  `;
  const w = new Worker(code, { eval: true });
  const port = await new Promise<number>((r) => w.once('message', r));
  return {
    port,
    stop: async () => {
      const p = new Promise<{ at: number[]; packets: Uint8Array[] }>((r) => w.once('message', r));
      w.postMessage('stop');
      const res = await p;
      await w.terminate();
      return { at: res.at, packets: res.packets.map((b) => Buffer.from(b)) };
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  const rx = await timedReceiver();
  const range = await freeLoopbackRange(2);
  const ports = new PortAllocator(range);
  const negotiated: NegotiatedMedia = {
    codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
    ptime: 20, direction: 'sendrecv', remoteDirection: 'sendrecv', remoteHold: false,
    remote: { address: LO, port: rx.port }, remoteRtcp: { address: LO, port: rx.port + 1 }, rtcpMux: false,
  };
  const stopLoad = loadEventLoop();
  const session = await createMediaSession({ lease: ports.allocate(), negotiated, localAddress: LO });
  await new Promise((r) => setTimeout(r, SECONDS * 1000 + 400));
  stopLoad();
  await session.close();
  const { at, packets } = await rx.stop();
  const times = at.filter((_, i) => RtpPacket.deSerialize(packets[i]!).header.payloadType === 0);
  const n = Math.min(500, times.length);
  const spacing = (times[n - 1]! - times[0]!) / (n - 1);
  const offsets = times.slice(0, n).map((t, i) => t - times[0]! - i * 20);
  const drift = Math.min(...offsets.slice(n - 50)) - Math.min(...offsets.slice(0, 50));
  const detail = { packets: times.length, seconds: SECONDS, eventLoopLoad: '~40%' };
  return [
    { suite: 'media pacing', name: `mean spacing of ${n} packets under event-loop load`, value: spacing, unit: 'ms', detail },
    { suite: 'media pacing', name: `grid drift, packet ${n - 50}..${n} vs 0..50`, value: drift, unit: 'ms', detail },
  ];
}
