/**
 * The JavaScript work per RTP frame above the socket, without sockets: each figure is CPU ns per
 * frame (process.cpuUsage, so GC threads count and other jobs on the machine do not), the median
 * of 7 runs after a warm-up.
 *
 * - jitter/delay-estimator, jitter/recent-sequences: the two per-packet helpers alone;
 * - jitter/JitterBuffer: push + pop of one 20 ms PCMU frame (0–6 ms arrival jitter, 1 % of the
 *   packets swapped with the next one, 0.5 % duplicated, across the sequence-number wrap);
 * - session/createJitter: the same through the session's seam (RTP header view in, payload out);
 * - codecs/PCMU decode, encode: one 160-sample frame;
 * - session/tick in-process, worker-like: real MediaSessions (50 of them, on a manual clock, their socket sends stubbed
 *   out): a packet into each (the endpoint's onRtp path), one clock tick (jitter pop → decode →
 *   `audio` echoed back with play() → encode → packetize), and the counters row the media worker
 *   writes per session per tick.
 *
 * Compare trees as ratios of one run: `npx tsx bench/run.ts media/hot-path` in each.
 */
import { createSocket } from 'node:dgram';
import type { BenchResult } from '../run.js';
import { createCodec } from '../../src/media/codecs/index.js';
import { DelayEstimator } from '../../src/media/jitter/delay-estimator.js';
import { JitterBuffer } from '../../src/media/jitter/jitter-buffer.js';
import { RecentSequences } from '../../src/media/jitter/recent-sequences.js';
import type { RtpHeaderView } from '../../src/media/rtp/header.js';
import { RtpEndpoint } from '../../src/media/rtp/endpoint.js';
import { createJitter } from '../../src/media/session/parts.js';
import { MediaSessionImpl } from '../../src/media/session/session.js';
import type { MediaStats } from '../../src/media/session/types.js';
import { STATS_STRIDE, writeStatsRow } from '../../src/media/worker/protocol.js';
import type { MediaClock, ClockTick } from '../../src/media/rtp/clock.js';

const RUNS = 7;

function cpuNanos(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** CPU ns per frame of `body(frames)`, which processes `frames` frames; median of RUNS after a warm-up. */
function nsPerFrame(frames: number, body: (frames: number) => void): number {
  body(Math.min(frames, 2000));
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = cpuNanos();
    body(frames);
    runs.push((cpuNanos() - t0) / frames);
  }
  return median(runs);
}

/** A deterministic PRNG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function speechPayload(codecName: 'PCMU', n: number): Buffer {
  const codec = createCodec(codecName);
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 8000));
  return codec.encode(pcm);
}

/** One network-ordered frame schedule: arrival order, jitter, reordering, duplicates. */
interface Arrival { seq: number; ts: number; at: number }
function network(frames: number, seed: number, startSeq = 65_000): Arrival[] {
  const rand = rng(seed);
  const out: Arrival[] = [];
  for (let i = 0; i < frames; i++) {
    const seq = (startSeq + i) & 0xffff;
    const ts = (1_000_000 + i * 160) >>> 0;
    const at = i * 20 + rand() * 6;
    out.push({ seq, ts, at });
    if (rand() < 0.005) out.push({ seq, ts, at: at + 1 });
  }
  for (let i = 0; i + 1 < out.length; i++) {
    if (rand() < 0.01) {
      const a = out[i]!;
      out[i] = out[i + 1]!;
      out[i + 1] = a;
      i++;
    }
  }
  return out;
}

function delayEstimator(): BenchResult {
  const sched = network(10_000, 1);
  const est = new DelayEstimator();
  const ns = nsPerFrame(200_000, (n) => {
    for (let i = 0; i < n; i++) {
      const a = sched[i % sched.length]!;
      est.update(a.at + Math.floor(i / sched.length) * 200_000, a.ts / 8 + Math.floor(i / sched.length) * 200_000);
    }
  });
  return { suite: 'hot-path', name: 'jitter/delay-estimator update (100-packet window)', value: ns, unit: 'ns/packet' };
}

function recentSequences(): BenchResult {
  const recent = new RecentSequences(128);
  let seq = 0;
  const ns = nsPerFrame(200_000, (n) => {
    for (let i = 0; i < n; i++) {
      if (!recent.has(seq)) recent.add(seq);
      seq++;
    }
  });
  return { suite: 'hot-path', name: 'jitter/recent-sequences has+add (128)', value: ns, unit: 'ns/packet' };
}

const PAYLOAD = speechPayload('PCMU', 160);

function jitterBuffer(): BenchResult {
  const sched = network(20_000, 2);
  const make = (): JitterBuffer => new JitterBuffer({ clockRate: 8000, minDepthMs: 20, maxDepthMs: 60 });
  let jb = make();
  let t = 0;
  let k = 0;
  let frames = 0;
  const ns = nsPerFrame(100_000, (n) => {
    for (let f = 0; f < n; f++) {
      if (t === 0) { jb = make(); k = 0; }
      // Push every packet that arrived before this frame's playout time, then pop one frame.
      const now = t * 20 + 40;
      while (k < sched.length && sched[k]!.at <= now) {
        const a = sched[k++]!;
        jb.push({ seq: a.seq, timestamp: a.ts, ssrc: 0x1234, payload: PAYLOAD, marker: false, payloadType: 0, arrivalMs: a.at });
      }
      if (jb.pop(now).kind === 'packet') frames++;
      t = (t + 1) % 20_000;
    }
  });
  return { suite: 'hot-path', name: 'jitter/JitterBuffer push+pop', value: ns, unit: 'ns/frame', detail: { framesPlayed: frames } };
}

function jitterPart(): BenchResult {
  const sched = network(20_000, 3);
  const make = (): ReturnType<typeof createJitter> => createJitter({ clockRate: 8000, ptimeMs: 20, frameTicks: 160, targetMs: 40 });
  let part = make();
  const headers: RtpHeaderView[] = sched.map((a) => ({ marker: false, payloadType: 0, sequenceNumber: a.seq, timestamp: a.ts, ssrc: 0x1234, payloadOffset: 12, payloadEnd: 172 }));
  let t = 0;
  let k = 0;
  let frames = 0;
  const ns = nsPerFrame(100_000, (n) => {
    for (let f = 0; f < n; f++) {
      if (t === 0) { part = make(); k = 0; }
      const now = t * 20 + 40;
      while (k < sched.length && sched[k]!.at <= now) {
        part.push(headers[k]!, PAYLOAD, sched[k]!.at);
        k++;
      }
      if (part.pop(now).kind === 'frame') frames++;
      t = (t + 1) % 20_000;
    }
  });
  return { suite: 'hot-path', name: 'session/createJitter push+pop', value: ns, unit: 'ns/frame', detail: { framesPlayed: frames } };
}

function codec(): BenchResult[] {
  const c = createCodec('PCMU');
  const pcm = c.decode(PAYLOAD).slice();
  let sink = 0;
  const dec = nsPerFrame(200_000, (n) => { for (let i = 0; i < n; i++) sink += c.decode(PAYLOAD)[i & 127]!; });
  const enc = nsPerFrame(200_000, (n) => { for (let i = 0; i < n; i++) sink += c.encode(pcm)[i & 127]!; });
  return [
    { suite: 'hot-path', name: 'codecs/PCMU decode 160 samples', value: dec, unit: 'ns/frame', detail: { sink: sink & 1 } },
    { suite: 'hot-path', name: 'codecs/PCMU encode 160 samples', value: enc, unit: 'ns/frame' },
  ];
}

/** A clock the bench ticks by hand. */
class ManualClock {
  readonly periodMs = 20;
  #listeners: ((t: ClockTick) => void)[] = [];
  #index = 0;
  subscribe(l: (t: ClockTick) => void): () => void {
    this.#listeners.push(l);
    return () => { this.#listeners = this.#listeners.filter((x) => x !== l); };
  }
  tick(): void {
    const t: ClockTick = { index: this.#index++, deadline: performance.now(), lateMs: 0 };
    for (const l of this.#listeners) l(t);
  }
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** What the media worker does per session per tick to ship its counters (whichever API this tree has). */
type Countable = MediaSessionImpl & { statsInto?: (out: MediaStats) => MediaStats };

/**
 * `in-process`: each session's `audio` listener plays the frame back (the echo agent).
 * `worker-like`: sessions as the media worker creates them (transientAudio, where the tree has
 * it) and a listener that copies each frame into a batch buffer, as media-worker.ts does, and
 * plays it back from there.
 */
async function sessionTick(mode: 'in-process' | 'worker-like'): Promise<BenchResult> {
  const N = 50;
  const proto = RtpEndpoint.prototype as unknown as { sendRtp: (p: Buffer) => void; sendRtcp: (p: Buffer) => Promise<void> };
  const sendRtp = proto.sendRtp;
  const sendRtcp = proto.sendRtcp;
  proto.sendRtp = function () { /* no socket */ };
  proto.sendRtcp = () => Promise.resolve();
  const clock = new ManualClock();
  const sessions: Countable[] = [];
  const batch = new Int16Array(160 * N);
  let batchAt = 0;
  try {
    for (let i = 0; i < N; i++) {
      const port = await freeUdpPort();
      const s = await MediaSessionImpl.create({
        lease: { port, rtcpPort: port, released: false, release: () => undefined },
        negotiated: {
          codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 }, ptime: 20, direction: 'sendrecv', remoteDirection: 'sendrecv', remoteHold: false,
          remote: { address: '127.0.0.1', port: 9 }, remoteRtcp: { address: '127.0.0.1', port: 9 }, rtcpMux: true,
        },
        localAddress: '127.0.0.1',
        clock: clock as unknown as MediaClock,
        rtcpIntervalMs: 5000,
        ...(mode === 'worker-like' ? { transientAudio: true } : {}),
      }) as Countable;
      if (mode === 'in-process') {
        // Echo, as the load test's agent does.
        s.on('audio', (f) => s.play(f.samples, f.sampleRate));
      } else {
        s.on('audio', (f) => {
          const at = (batchAt++ % N) * 160;
          batch.set(f.samples, at);
          s.play(batch.subarray(at, at + f.samples.length), f.sampleRate);
        });
      }
      sessions.push(s);
    }
    const rows = new Float64Array(N * STATS_STRIDE);
    const scratch = {} as MediaStats;
    const onRtp = (s: Countable, h: RtpHeaderView, p: Buffer, at: number): void => (s as unknown as { onRtp: (h: RtpHeaderView, p: Buffer, at: number) => void }).onRtp(h, p, at);
    let frame = 0;
    const t0 = performance.now();
    const ns = nsPerFrame(2_000 * N, (n) => {
      const ticks = Math.ceil(n / N);
      for (let t = 0; t < ticks; t++) {
        const seq = frame & 0xffff;
        const h: RtpHeaderView = { marker: frame === 0, payloadType: 0, sequenceNumber: seq, timestamp: (frame * 160) >>> 0, ssrc: 0x5678, payloadOffset: 12, payloadEnd: 172 };
        // Arrival on the playout clock the session reads (performance.now), as the endpoint stamps it.
        const at = t0 + frame * 20;
        for (let i = 0; i < N; i++) onRtp(sessions[i]!, h, PAYLOAD, at);
        clock.tick();
        for (let i = 0; i < N; i++) {
          const s = sessions[i]!;
          writeStatsRow(rows, i * STATS_STRIDE, i, 0, s.queuedMs, s.statsInto ? s.statsInto(scratch) : s.stats());
        }
        frame++;
      }
    });
    const framesSent = sessions[0]!.stats().framesSent;
    return { suite: 'hot-path', name: `session/tick ${mode} (onRtp + tick + counters row), ${N} sessions`, value: ns, unit: 'ns/frame', detail: { framesSent } };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    proto.sendRtp = sendRtp;
    proto.sendRtcp = sendRtcp;
  }
}

/** TG_HOT_PATH=session runs only the parts whose key contains "session" (for profiling one). */
export async function run(): Promise<BenchResult[]> {
  const parts: [string, () => BenchResult[] | Promise<BenchResult[]>][] = [
    ['jitter/delay-estimator', () => [delayEstimator()]],
    ['jitter/recent-sequences', () => [recentSequences()]],
    ['jitter/buffer', () => [jitterBuffer()]],
    ['session/jitter', () => [jitterPart()]],
    ['codecs', codec],
    ['session/tick/in-process', async () => [await sessionTick('in-process')]],
    ['session/tick/worker-like', async () => [await sessionTick('worker-like')]],
  ];
  const only = process.env.TG_HOT_PATH;
  const out: BenchResult[] = [];
  for (const [key, part] of parts) if (!only || key.includes(only)) out.push(...(await part()));
  return out;
}
