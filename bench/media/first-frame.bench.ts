/**
 * The media hop of a turn's latency (issue 11): play() of an answer's first audio on a session
 * that is idle (sending silence) → its first packet with sound on the wire. The receiver is a UDP
 * socket in a worker thread (arrival times not skewed by this thread's load) that records
 * performance.timeOrigin-based arrival times of non-silent PCMU packets. Sessions in-process and on
 * a MediaWorkerPool (main thread → worker message → the session's play queue → the wire).
 * TG_BENCH_FIRST_FRAME_TURNS (default 100) turns per mode, at random phases of the 20 ms tick.
 */
import { Worker } from 'node:worker_threads';
import type { BenchResult } from '../run.js';
import { PortAllocator } from '../../src/media/ports.js';
import { createMediaSession } from '../../src/media/session/session.js';
import type { MediaSession } from '../../src/media/session/types.js';
import type { NegotiatedMedia } from '../../src/media/sdp/types.js';
import { MediaWorkerPool } from '../../src/media/worker/pool.js';
import { freeLoopbackRange } from '../../src/loadtest/ports.js';

const LO = '127.0.0.1';
const TURNS = Number(process.env.TG_BENCH_FIRST_FRAME_TURNS ?? 100);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Receiver in its own thread: posts the arrival time (timeOrigin-based ms) of each packet with sound. */
async function soundReceiver(): Promise<{ port: number; next: () => Promise<number>; stop: () => Promise<void> }> {
  const w = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const s = require('node:dgram').createSocket('udp4');
    s.on('message', (m) => {
      let loud = 0;
      for (let i = 12; i < m.length; i++) if (m[i] < 0x70) loud++;
      if (loud > 40) parentPort.postMessage(performance.timeOrigin + performance.now());
    });
    s.bind(0, '127.0.0.1', () => parentPort.postMessage({ port: s.address().port }));
  `, { eval: true });
  const port = await new Promise<number>((r) => w.once('message', (m: { port: number }) => r(m.port)));
  let waiting: ((t: number) => void) | undefined;
  w.on('message', (t: number) => { if (typeof t === 'number') { waiting?.(t); waiting = undefined; } });
  return {
    port,
    next: () => new Promise<number>((r) => { waiting = r; }),
    stop: async () => { await w.terminate(); },
  };
}

function pcmuTo(port: number): NegotiatedMedia {
  return {
    codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
    ptime: 20, direction: 'sendrecv', remoteDirection: 'sendrecv', remoteHold: false,
    remote: { address: LO, port }, remoteRtcp: { address: LO, port: port + 1 }, rtcpMux: false,
  };
}

const tone = Int16Array.from({ length: 1600 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function turns(session: MediaSession, rx: Awaited<ReturnType<typeof soundReceiver>>): Promise<number[]> {
  const out: number[] = [];
  await sleep(200);
  for (let i = 0; i < TURNS; i++) {
    await sleep(150 + Math.random() * 20); // idle again, at a random phase of the tick
    const arrived = rx.next();
    const t0 = performance.timeOrigin + performance.now();
    session.play(tone, 8000); // 200 ms
    out.push((await arrived) - t0);
    await sleep(220);
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const { min, max } = await freeLoopbackRange(8);
  const ports = new PortAllocator({ min, max });
  const out: BenchResult[] = [];
  const pool = new MediaWorkerPool({ workers: 2 });
  await pool.ready();
  try {
    for (const mode of ['in-process', 'media worker'] as const) {
      const rx = await soundReceiver();
      const options = { lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO, idle: 'silence' as const };
      const s = mode === 'in-process' ? await createMediaSession(options) : await pool.create(options);
      const ms = await turns(s, rx);
      await s.close();
      await rx.stop();
      const detail = { turns: ms.length, max: +Math.max(...ms).toFixed(2) };
      out.push(
        { suite: 'media-first-frame', name: `${mode}: play() on an idle session → first packet with sound, p50`, value: +pct(ms, 50).toFixed(2), unit: 'ms', detail },
        { suite: 'media-first-frame', name: `${mode}: play() on an idle session → first packet with sound, p99`, value: +pct(ms, 99).toFixed(2), unit: 'ms', detail },
      );
    }
  } finally {
    await pool.close();
  }
  return out;
}
