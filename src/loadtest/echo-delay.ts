/**
 * Echo delay per call, sample-accurate: a probe calls an echoing peer (SIPp does the signalling
 * with sipp-scenarios/uac-echo-latency-probe.xml, offering the probe's own RTP port), sends 20 ms
 * PCMU frames of seeded white noise paced by its own clock, and finds where in what it sent each
 * window of the echo it got back came from, by normalised cross-correlation. Per window that gives
 *   - the lag in samples between the echoed stream (the peer's RTP timeline) and the probe's;
 *   - the correlation at that lag (1.0 for a G.711 echo that is bit-exact);
 *   - the delay in ms: arrival of the echoed samples − when the probe sent them.
 * A call's delay is constant when every window has the same lag and correlates; a 20 ms slip
 * (a frame skipped or repeated, or concealed) shows as a lag change of 160 samples at 8 kHz and a
 * window whose correlation drops.
 */
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeUlaw, encodeUlaw } from '../media/codecs/g711.js';
import { startChild } from './child.js';
import { LoadtestError } from './errors.js';
import { SCENARIO_DIR } from './peers.js';
import { FRAME, rtpPacket } from './echo-latency.js';
import { freeLoopbackPort } from './ports.js';
import type { PortRange } from './udp-drops.js';

const RATE = 8000;

export interface EchoDelayOptions {
  /** host:port of the peer: the gateway with the echo agent at delay 0, or SIPp uas -rtp_echo. */
  target: string;
  /** Ports the probe must not take: the peer's media range (bound call by call, so a probe cannot see it). */
  avoid?: PortRange[];
  workDir: string;
  /** How long the probe sends, s (default 4). */
  seconds?: number;
  /** Correlation window, ms (default 400). */
  windowMs?: number;
  /** Largest echo delay searched, ms (default 400). */
  maxDelayMs?: number;
  /** Seed of the noise the probe sends (default: random; recorded in the result). */
  seed?: number;
  /**
   * Send in phase with the peer's own 20 ms clock (read from the packets it sends before the
   * probe starts): each frame `offsetMs` after the peer's tick (negative: before it), every fourth
   * one `wobbleMs` later still — a caller whose packets land right at the peer's ticks, on either
   * side of them. Default: the probe's own phase.
   */
  inPhase?: { offsetMs: number; wobbleMs: number };
}

export interface EchoDelayWindow {
  /** Start of the window in the echoed stream, samples since its first packet. */
  at: number;
  /** Echoed-stream position − sent position of the same audio, samples. */
  lag: number;
  correlation: number;
  /** Median over the window's packets of arrival − send time of the audio they carry, ms. */
  delayMs: number;
  /**
   * The probe's pacing over the audio of this window and the frame either side of it: the latest
   * of those frames left this long after its due time, ms.
   */
  sendLateMaxMs: number;
}

export interface EchoDelayCall {
  seed: number;
  framesSent: number;
  framesReceived: number;
  windows: EchoDelayWindow[];
  /** The call's delay: median of its windows' delays (null: no window correlated). */
  delayMs: number | null;
  /** The most common lag of the call's windows. */
  lag: number | null;
  /** Lowest correlation of any window. */
  minCorrelation: number;
  /** Every window at the same lag with correlation ≥ 0.9. */
  constant: boolean;
  /**
   * The probe's own pacing: the latest any frame left after its due time, ms. A sender that
   * stalls longer than the peer's jitter margin makes an adaptive peer grow its delay, rightly.
   */
  sendLateMaxMs: number;
}

/** A small seeded PRNG (mulberry32): the noise is reproducible from the recorded seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


interface Received { port: number; seq: number; arrival: number; pcm: Int16Array }

/**
 * Where each window of `rx` comes from in `tx`. `rx` is the echoed stream in order, `rxArrival[k]`
 * the arrival of its frame k; `txSent[k]` when frame k of `tx` was sent (same clock).
 */
export function correlateEcho(tx: Int16Array, txSent: number[], rx: Int16Array, rxArrival: number[], o: { windowMs?: number; maxDelayMs?: number } = {}): EchoDelayWindow[] {
  // Frame k was due at t0 + 20·k: the probe's clock, as the frame that left earliest against it
  // shows (a first frame that left late would otherwise make every later one look on time).
  const win = Math.round(((o.windowMs ?? 400) * RATE) / 1000);
  const maxDelay = ((o.maxDelayMs ?? 400) * RATE) / 1000;
  const windows: EchoDelayWindow[] = [];
  if (txSent.length === 0) return windows;
  let t0 = Infinity;
  for (let k = 0; k < txSent.length; k++) t0 = Math.min(t0, txSent[k]! - k * 20);
  // Windows start where the echo does (before it the peer sends silence, G.711 0xFF = 0) and end
  // where the echo of the last frame sent would end (after it the peer conceals or idles).
  let first = 0;
  while (first < rx.length && rx[first] === 0) first++;
  first -= first % FRAME;
  let lastLag: number | undefined;
  for (let at = first; at + win <= rx.length; at += win) {
    if (lastLag !== undefined && at + win - lastLag > tx.length) break;
    let rxEnergy = 0;
    for (let i = at; i < at + win; i++) rxEnergy += rx[i]! * rx[i]!;
    if (rxEnergy === 0) continue;
    // The tx position whose send time is this window's arrival time, and candidates up to maxDelay before it.
    const arrivedAt = rxArrival[Math.floor(at / FRAME)]!;
    const newest = Math.round(((arrivedAt - t0) * RATE) / 1000) + FRAME;
    let best = { q: -1, c: -Infinity };
    for (let q = Math.max(0, newest - maxDelay); q <= newest && q + win <= tx.length; q++) {
      let dot = 0;
      let txEnergy = 0;
      for (let i = 0; i < win; i++) {
        const s = tx[q + i]!;
        dot += s * rx[at + i]!;
        txEnergy += s * s;
      }
      const c = txEnergy > 0 ? dot / Math.sqrt(txEnergy * rxEnergy) : 0;
      if (c > best.c) best = { q, c };
    }
    if (best.q < 0) continue;
    const lag = at - best.q;
    lastLag = lag;
    const delays: number[] = [];
    let late = 0;
    for (let p = at - FRAME; p < at + win + FRAME; p += FRAME) {
      const q = p - lag;
      const k = Math.floor(q / FRAME);
      if (k < 0 || k >= txSent.length) continue;
      late = Math.max(late, txSent[k]! - (t0 + k * 20));
      if (p >= at && p < at + win) delays.push(rxArrival[Math.floor(p / FRAME)]! - (txSent[k]! + ((q - k * FRAME) * 1000) / RATE));
    }
    delays.sort((a, b) => a - b);
    windows.push({ at, lag, correlation: Number(best.c.toFixed(4)), delayMs: Number((delays[Math.floor(delays.length / 2)] ?? NaN).toFixed(2)), sendLateMaxMs: Number(late.toFixed(2)) });
  }
  return windows;
}

/** Summarise a call's windows. */
export function summariseEchoCall(seed: number, framesSent: number, framesReceived: number, windows: EchoDelayWindow[], sendLateMaxMs = 0): EchoDelayCall {
  const good = windows.filter((w) => w.correlation >= 0.9);
  const counts = new Map<number, number>();
  for (const w of good) counts.set(w.lag, (counts.get(w.lag) ?? 0) + 1);
  let lag: number | null = null;
  let most = 0;
  for (const [l, n] of counts) if (n > most) { lag = l; most = n; }
  const delays = good.map((w) => w.delayMs).sort((a, b) => a - b);
  return {
    seed, framesSent, framesReceived, windows, lag, sendLateMaxMs: Number(sendLateMaxMs.toFixed(2)),
    delayMs: delays.length ? delays[Math.floor(delays.length / 2)]! : null,
    minCorrelation: windows.length ? Math.min(...windows.map((w) => w.correlation)) : 0,
    constant: windows.length > 0 && good.length === windows.length && counts.size === 1,
  };
}

/**
 * The peer's tick phase from the packets it has sent so far (each leaves at a tick, or a little
 * after when the tick ran late: the earliest on the 20 ms grid is the tick), and the first tick at
 * least 10 ms from now, plus `offsetMs`.
 */
async function peerTickAfter(received: Received[], port: number, offsetMs: number): Promise<number> {
  const deadline = performance.now() + 5000;
  let ours = received.filter((r) => r.port === port);
  while (ours.length < 15) {
    if (performance.now() > deadline) throw new LoadtestError('PEER_START_FAILED', 'the peer sent no RTP to find its clock phase from');
    await new Promise((r) => setTimeout(r, 20));
    ours = received.filter((r) => r.port === port);
  }
  const first = ours[0]!;
  let tick = Infinity;
  for (const r of ours) tick = Math.min(tick, r.arrival - 20 * ((r.seq - first.seq) & 0xffff));
  const k = Math.ceil((performance.now() + 10 - tick) / 20);
  return tick + 20 * k + offsetMs;
}

/** One call through `target`: send noise for `seconds`, correlate the echo. */
export async function measureEchoDelay(o: EchoDelayOptions): Promise<EchoDelayCall> {
  const seconds = o.seconds ?? 4;
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const avoid = o.avoid ?? [];
  const probePort = await freeLoopbackPort(avoid);
  const sipPort = await freeLoopbackPort([...avoid, { min: probePort, max: probePort }]);
  // A name of its own per call: a port can come round again, and an earlier call's log would be read.
  const logFile = join(o.workDir, `echo-delay-probe-${probePort}-${randomUUID().slice(0, 8)}.log`);
  const sock: Socket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(probePort, '127.0.0.1', () => r()));
  const received: Received[] = [];
  sock.on('message', (msg, rinfo) => {
    const arrival = performance.now();
    if (msg.length <= 12 || (msg[1]! & 0x7f) !== 0) return;
    const cc = msg[0]! & 0x0f;
    received.push({ port: rinfo.port, seq: msg.readUInt16BE(2), arrival, pcm: decodeUlaw(msg.subarray(12 + 4 * cc)) });
  });
  const sipp = startChild('sipp', [o.target, '-sf', join(SCENARIO_DIR, 'uac-echo-latency-probe.xml'), '-s', '15551234567', '-i', '127.0.0.1',
    '-p', String(sipPort), '-m', '1', '-d', String(seconds * 1000 + 600), '-set', 'probe_port', String(probePort),
    '-trace_logs', '-log_file', logFile, '-nostdin'], { name: 'sipp echo-delay probe', cwd: o.workDir });
  const frames = Math.floor((seconds * 1000) / 20);
  const random = mulberry32(seed);
  const tx = new Int16Array(frames * FRAME);
  // ±8000 white noise, through G.711 once so what is compared is what the wire carries.
  for (let i = 0; i < tx.length; i++) tx[i] = Math.round((random() * 2 - 1) * 8000);
  const txWire = encodeUlaw(tx);
  tx.set(decodeUlaw(txWire));
  const txSent: number[] = [];
  let remotePort = 0;
  let sendLateMax = 0;
  try {
    const deadline = Date.now() + 15_000;
    while (!remotePort) {
      const m = existsSync(logFile) ? /RTP (\d+)/.exec(readFileSync(logFile, 'utf8')) : null;
      if (m) remotePort = Number(m[1]);
      else if (Date.now() > deadline || sipp.proc.exitCode !== null) throw new LoadtestError('PEER_START_FAILED', `echo-delay probe call was not answered: ${sipp.stderrTail().slice(-300)}`);
      else await new Promise((r) => setTimeout(r, 10));
    }
    // Connected, a send is one synchronous sendto(2) (dgram skips its address lookup tick): the time
    // taken after it returns is when the packet left, on loopback when it reached the peer's socket.
    // A send timed before the call would miss whatever held the probe up between the two (the
    // scheduler, a paused VM), and the peer would be blamed for a packet that left late.
    await new Promise<void>((resolve, reject) => sock.connect(remotePort, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve())));
    const ssrc = Math.floor(random() * 2 ** 32);
    const start = o.inPhase ? await peerTickAfter(received, remotePort, o.inPhase.offsetMs) : performance.now();
    for (let n = 0; n < frames; n++) {
      // Timers wake within about a millisecond: sleep until just before the deadline, then spin to it.
      const due = start + n * 20 + (o.inPhase && n % 4 === 3 ? o.inPhase.wobbleMs : 0);
      const wait = due - performance.now() - 1.5;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (performance.now() < due) { /* the last moment before the deadline */ }
      sock.send(rtpPacket(n, n * FRAME, ssrc, txWire.subarray(n * FRAME, (n + 1) * FRAME)));
      txSent.push(performance.now());
      sendLateMax = Math.max(sendLateMax, txSent[n]! - due);
    }
    await new Promise((r) => setTimeout(r, 400));
  } finally {
    sock.close();
    await sipp.exited.catch(() => undefined);
    await sipp.stop();
  }
  // The echoed stream in its own sequence order (RFC 3550 §5.1 sequence numbers, unwrapped): only
  // what this call's answer port sent (an earlier call's session may still send to a reused port).
  let ext = 0;
  let last: number | undefined;
  const ours = received.filter((r) => r.port === remotePort);
  const ordered = ours.map((r) => {
    if (last !== undefined) ext += ((r.seq - last + 0x10000 + 0x8000) & 0xffff) - 0x8000;
    last = r.seq;
    return { ...r, ext };
  }).sort((a, b) => a.ext - b.ext);
  const rx = new Int16Array(ordered.length * FRAME);
  ordered.forEach((r, k) => rx.set(r.pcm.subarray(0, FRAME), k * FRAME));
  const windows = correlateEcho(tx, txSent, rx, ordered.map((r) => r.arrival), o);
  return summariseEchoCall(seed, frames, ours.length, windows, sendLateMax);
}

export interface EchoDelayDistribution {
  calls: number;
  /** Calls whose delay never moved (EchoDelayCall.constant). */
  constant: number;
  /** Calls whose probe paced on time throughout (every frame < 4 ms late), and of those the constant ones. */
  paced: number;
  pacedConstant: number;
  /** The per-call delays (each call's median), ms: quantiles over calls. */
  delayMs: { min: number; p10: number; p50: number; p90: number; max: number } | null;
  /** Each call's delay, in call order. */
  perCallMs: (number | null)[];
}

/** The distribution of the per-call delays over many calls (not the windows of all calls pooled). */
export function echoDelayDistribution(calls: EchoDelayCall[]): EchoDelayDistribution {
  const delays = calls.map((c) => c.delayMs).filter((d): d is number => d !== null).sort((a, b) => a - b);
  const q = (p: number): number => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))]!;
  const paced = calls.filter((c) => c.sendLateMaxMs < 4);
  return {
    calls: calls.length,
    constant: calls.filter((c) => c.constant).length,
    paced: paced.length,
    pacedConstant: paced.filter((c) => c.constant).length,
    delayMs: delays.length ? { min: delays[0]!, p10: q(10), p50: q(50), p90: q(90), max: delays.at(-1)! } : null,
    perCallMs: calls.map((c) => c.delayMs),
  };
}
