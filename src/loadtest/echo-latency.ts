/**
 * Echo-path latency: how long audio takes from a caller into an echoing peer and back. SIPp does
 * the signalling (sipp-scenarios/uac-echo-latency-probe.xml offers this probe's own RTP port);
 * the probe sends 20 ms PCMU frames (RFC 3551 payload 0) paced by its own clock: silence, with a
 * 20 ms 1 kHz tone burst every `burstEveryMs`. Latency = arrival of the first loud echoed frame
 * after a burst − the burst's send time. It includes the probe's own event-loop delay (tiny on an
 * idle box) and, for the gateway, its jitter buffer and any echo delay configured in the agent.
 */
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeUlaw, encodeUlaw } from '../media/codecs/g711.js';
import { startChild } from './child.js';
import { LoadtestError } from './errors.js';
import { SCENARIO_DIR } from './peers.js';
import type { PortRange } from './udp-drops.js';
import { freeLoopbackPort } from './ports.js';
import { percentile } from './sipp-stats.js';

export interface EchoLatencyOptions {
  /** Ports the probe must not take: the peer\'s media range (bound call by call, so a probe cannot see it). */
  avoid?: PortRange[];
  /** host:port of the peer (gateway with the echo agent at delay 0, or SIPp uas -rtp_echo). */
  target: string;
  workDir: string;
  /** How long to measure, s (default 10). */
  seconds?: number;
  burstEveryMs?: number;
  /** Number dialled (-s): picks the gateway's route. Default 15551234567. */
  service?: string;
}

export interface EchoLatencyResult {
  bursts: number;
  /** Bursts whose echo came back. */
  echoed: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  samplesMs: number[];
}

/** Samples of a 20 ms PCMU frame at 8 kHz. */
export const FRAME = 160;

export function rtpPacket(seq: number, ts: number, ssrc: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80; // RFC 3550 §5.1: V=2, no padding, no extension, no CSRC
  b[1] = 0;    // M=0, PT=0 (PCMU)
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(ssrc >>> 0, 8);
  Buffer.from(payload).copy(b, 12);
  return b;
}

/** Mean absolute sample value of a PCMU payload. */
export function loudness(payload: Uint8Array): number {
  const pcm = decodeUlaw(payload);
  let sum = 0;
  for (const s of pcm) sum += Math.abs(s);
  return pcm.length ? sum / pcm.length : 0;
}

/** The probe's 20 ms PCMU frames: silence, and a 1 kHz tone at about −6 dBFS. */
export function probeFrames(): { silence: Uint8Array; tone: Uint8Array; toneLoudness: number } {
  const silence = encodeUlaw(new Int16Array(FRAME));
  const tonePcm = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) tonePcm[i] = Math.round(16000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
  const tone = encodeUlaw(tonePcm);
  return { silence, tone, toneLoudness: loudness(tone) };
}

export async function measureEchoLatency(o: EchoLatencyOptions): Promise<EchoLatencyResult> {
  const seconds = o.seconds ?? 10;
  const burstEvery = o.burstEveryMs ?? 500;
  const probePort = await freeLoopbackPort(o.avoid);
  const sipPort = await freeLoopbackPort([...(o.avoid ?? []), { min: probePort, max: probePort }]);
  // A name of its own per call: a port can come round again, and an earlier call's log would be read.
  const logFile = join(o.workDir, `latency-probe-${probePort}-${randomUUID().slice(0, 8)}.log`);
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(probePort, '127.0.0.1', () => r()));
  const sipp = startChild('sipp', [o.target, '-sf', join(SCENARIO_DIR, 'uac-echo-latency-probe.xml'), '-s', o.service ?? '15551234567', '-i', '127.0.0.1',
    '-p', String(sipPort), '-m', '1', '-d', String(seconds * 1000 + 1000), '-set', 'probe_port', String(probePort),
    '-trace_logs', '-log_file', logFile, '-nostdin'], { name: 'sipp latency probe', cwd: o.workDir });
  try {
    // wait for the answer's RTP port
    let remotePort = 0;
    const deadline = Date.now() + 15_000;
    while (!remotePort) {
      const m = existsSync(logFile) ? /RTP (\d+)/.exec(readFileSync(logFile, 'utf8')) : null;
      if (m) remotePort = Number(m[1]);
      else if (Date.now() > deadline || sipp.proc.exitCode !== null) throw new LoadtestError('PEER_START_FAILED', `latency probe call was not answered: ${sipp.stderrTail().slice(-300)}`);
      else await new Promise((r) => setTimeout(r, 20));
    }
    const { silence, tone, toneLoudness } = probeFrames();
    const burstTimes: number[] = [];
    const samples: number[] = [];
    let answeredBurst = -1;
    let lastLoud = false;
    sock.on('message', (msg) => {
      if (msg.length <= 12 || (msg[1]! & 0x7f) !== 0) return;
      const now = performance.now();
      const cc = msg[0]! & 0x0f;
      const loud = loudness(msg.subarray(12 + 4 * cc)) > toneLoudness * 0.25;
      if (loud && !lastLoud) {
        // the newest burst sent before now that has not been answered yet
        for (let k = burstTimes.length - 1; k > answeredBurst; k--) {
          if (burstTimes[k]! <= now) {
            samples.push(now - burstTimes[k]!);
            answeredBurst = k;
            break;
          }
        }
      }
      lastLoud = loud;
    });
    const ssrc = Math.floor(Math.random() * 2 ** 32);
    const start = performance.now();
    const frames = Math.floor((seconds * 1000) / 20);
    const framesPerBurst = Math.max(2, Math.round(burstEvery / 20));
    for (let n = 0; n < frames; n++) {
      const due = start + n * 20;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const isBurst = n % framesPerBurst === framesPerBurst - 1;
      if (isBurst) burstTimes.push(performance.now());
      sock.send(rtpPacket(n, n * FRAME, ssrc, isBurst ? tone : silence), remotePort, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 500));
    const p = (q: number): number | null => (samples.length ? Number(percentile(samples, q).toFixed(2)) : null);
    return { bursts: burstTimes.length, echoed: samples.length, p50Ms: p(50), p99Ms: p(99), maxMs: samples.length ? Number(Math.max(...samples).toFixed(2)) : null, samplesMs: samples.map((s) => Number(s.toFixed(2))) };
  } finally {
    sock.close();
    await sipp.exited.catch(() => undefined);
    await sipp.stop();
  }
}
