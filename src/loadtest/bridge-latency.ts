/**
 * One-way latency through a bridge the gateway relays: the probe is both the caller and the human.
 * SIPp does the signalling on both sides (sipp-scenarios/uac-echo-latency-probe.xml for the caller,
 * uas-latency-probe-human.xml for the human, each offering or answering with one of the probe's own
 * RTP ports), the gateway's agent transfers the call to the human at once, and the probe then sends
 * 20 ms PCMU frames from both ends, paced by its own clock: silence, with a 1 kHz tone frame every
 * `burstEveryMs` from the caller and, half a period later, from the human. Latency caller → human =
 * arrival of the first loud frame at the human's socket − the caller's send time of the burst (and
 * the other way round). Both ends are this process, so the two times come from one clock
 * (performance.now()); they include the probe's own event-loop delay and the gateway's jitter buffer.
 */
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, waitForPort, type Child } from './child.js';
import { FRAME, loudness, probeFrames, rtpPacket } from './echo-latency.js';
import { LoadtestError } from './errors.js';
import { SCENARIO_DIR } from './peers.js';
import type { PortRange } from './udp-drops.js';
import { freeLoopbackPort } from './ports.js';
import { percentile } from './sipp-stats.js';

export interface BridgeLatencyOptions {
  /** Ports the probe must not take: the peer\'s media range (bound call by call, so a probe cannot see it). */
  avoid?: PortRange[];
  /** host:port of the gateway. */
  target: string;
  /** Number dialled: a route whose agent transfers the call at once to sip:…@127.0.0.1:`humanSipPort`. */
  service: string;
  /** The human probe's SIP port (chosen before the gateway starts: the transfer target names it). */
  humanSipPort: number;
  workDir: string;
  /** How long to measure, s (default 10). */
  seconds?: number;
  burstEveryMs?: number;
}

export interface OneWayLatency {
  bursts: number;
  /** Bursts that arrived at the other end. */
  arrived: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  samplesMs: number[];
}

export interface BridgeLatencyResult {
  callerToHuman: OneWayLatency;
  humanToCaller: OneWayLatency;
}

/** Loud-onset detector on one socket, matching each onset to the newest unanswered burst of the other end. */
class BurstReceiver {
  readonly burstTimes: number[] = [];
  readonly samples: number[] = [];
  #answered = -1;
  #lastLoud = false;

  constructor(private readonly threshold: number) {}

  onPacket(msg: Buffer): void {
    if (msg.length <= 12 || (msg[1]! & 0x7f) !== 0) return;
    const now = performance.now();
    const cc = msg[0]! & 0x0f;
    const loud = loudness(msg.subarray(12 + 4 * cc)) > this.threshold;
    if (loud && !this.#lastLoud) {
      for (let k = this.burstTimes.length - 1; k > this.#answered; k--) {
        if (this.burstTimes[k]! <= now) {
          this.samples.push(now - this.burstTimes[k]!);
          this.#answered = k;
          break;
        }
      }
    }
    this.#lastLoud = loud;
  }

  result(): OneWayLatency {
    const s = this.samples;
    const p = (q: number): number | null => (s.length ? Number(percentile(s, q).toFixed(2)) : null);
    return { bursts: this.burstTimes.length, arrived: s.length, p50Ms: p(50), p99Ms: p(99), maxMs: s.length ? Number(Math.max(...s).toFixed(2)) : null, samplesMs: s.map((x) => Number(x.toFixed(2))) };
  }
}

async function bindProbe(avoid: PortRange[] = []): Promise<{ sock: Socket; port: number }> {
  const port = await freeLoopbackPort(avoid);
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(port, '127.0.0.1', () => resolve()); });
  return { sock, port };
}

/** Waits until SIPp's -log_file says "RTP <port>" (the far end's media port). */
async function loggedRtpPort(logFile: string, sipp: Child, what: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = existsSync(logFile) ? /RTP (\d+)/.exec(readFileSync(logFile, 'utf8')) : null;
    if (m) return Number(m[1]);
    if (Date.now() > deadline || sipp.proc.exitCode !== null) throw new LoadtestError('PEER_START_FAILED', `${what}: no media port within ${timeoutMs} ms: ${sipp.stderrTail().slice(-300)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function measureBridgeLatency(o: BridgeLatencyOptions): Promise<BridgeLatencyResult> {
  const seconds = o.seconds ?? 10;
  const burstEvery = o.burstEveryMs ?? 500;
  const caller = await bindProbe(o.avoid);
  const human = await bindProbe(o.avoid);
  // Names of their own per call: a port can come round again, and an earlier call's log would be read.
  const run = randomUUID().slice(0, 8);
  const callerLog = join(o.workDir, `bridge-probe-caller-${caller.port}-${run}.log`);
  const humanLog = join(o.workDir, `bridge-probe-human-${human.port}-${run}.log`);
  const humanSipp = startChild('sipp', ['-sf', join(SCENARIO_DIR, 'uas-latency-probe-human.xml'), '-i', '127.0.0.1', '-p', String(o.humanSipPort), '-m', '1',
    '-set', 'probe_port', String(human.port), '-trace_logs', '-log_file', humanLog, '-nostdin'], { name: 'sipp human probe', cwd: o.workDir });
  let callerSipp: Child | undefined;
  try {
    await waitForPort(humanSipp, o.humanSipPort, 10_000, 'sipp human probe');
    const sipPort = await freeLoopbackPort(o.avoid);
    callerSipp = startChild('sipp', [o.target, '-sf', join(SCENARIO_DIR, 'uac-echo-latency-probe.xml'), '-s', o.service, '-i', '127.0.0.1',
      '-p', String(sipPort), '-m', '1', '-d', String(seconds * 1000 + 2000), '-set', 'probe_port', String(caller.port),
      '-trace_logs', '-log_file', callerLog, '-nostdin'], { name: 'sipp caller probe', cwd: o.workDir });
    const gwCallerPort = await loggedRtpPort(callerLog, callerSipp, 'caller probe call', 15_000);
    const gwHumanPort = await loggedRtpPort(humanLog, humanSipp, 'human probe leg', 15_000);
    // The human's leg is answered; its relay starts right after. Frames from the gateway on the
    // human's socket show the leg's media runs; give the bridge a moment more before timing.
    const { silence, tone, toneLoudness } = probeFrames();
    const atHuman = new BurstReceiver(toneLoudness * 0.25);
    const atCaller = new BurstReceiver(toneLoudness * 0.25);
    let humanHeard = false;
    human.sock.on('message', (m) => { humanHeard = true; atHuman.onPacket(m); });
    caller.sock.on('message', (m) => atCaller.onPacket(m));
    const heardBy = Date.now() + 5000;
    while (!humanHeard && Date.now() < heardBy) await new Promise((r) => setTimeout(r, 10));
    if (!humanHeard) throw new LoadtestError('PEER_START_FAILED', 'the human probe got no RTP from the gateway within 5 s of its answer');

    const ssrcC = Math.floor(Math.random() * 2 ** 32);
    const ssrcH = Math.floor(Math.random() * 2 ** 32);
    const frames = Math.floor((seconds * 1000) / 20);
    const framesPerBurst = Math.max(4, Math.round(burstEvery / 20));
    const half = Math.floor(framesPerBurst / 2);
    const start = performance.now() + 200;
    for (let n = 0; n < frames; n++) {
      const wait = start + n * 20 - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const callerBurst = n % framesPerBurst === framesPerBurst - 1;
      const humanBurst = n % framesPerBurst === half - 1;
      if (callerBurst) atHuman.burstTimes.push(performance.now());
      caller.sock.send(rtpPacket(n, n * FRAME, ssrcC, callerBurst ? tone : silence), gwCallerPort, '127.0.0.1');
      if (humanBurst) atCaller.burstTimes.push(performance.now());
      human.sock.send(rtpPacket(n, n * FRAME, ssrcH, humanBurst ? tone : silence), gwHumanPort, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 500));
    return { callerToHuman: atHuman.result(), humanToCaller: atCaller.result() };
  } finally {
    caller.sock.close();
    human.sock.close();
    if (callerSipp) {
      await Promise.race([callerSipp.exited, new Promise((r) => setTimeout(r, 5000))]);
      await callerSipp.stop();
    }
    await Promise.race([humanSipp.exited, new Promise((r) => setTimeout(r, 3000))]);
    await humanSipp.stop();
  }
}
