/**
 * Per-20 ms-frame cost of the codecs and the resampler, and our G.722 encoder against ffmpeg's
 * (a minute of audio, ffmpeg's startup cost removed by timing 1 and 10 minutes). Each figure is
 * the median of 5 runs of many frames, in µs of CPU time (process.cpuUsage), so that other jobs
 * on the machine do not inflate it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from '../run.js';
import { createCodec, type CodecName } from '../../src/media/codecs/index.js';
import { G722Encoder } from '../../src/media/codecs/g722.js';
import { Resampler } from '../../src/media/dsp/resampler.js';

function speechLike(rate: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  let s = 1;
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const v = 6000 * (1 + Math.sin(2 * Math.PI * 3 * t)) * Math.sin(2 * Math.PI * 180 * t) + 2000 * Math.sin(2 * Math.PI * 1200 * t) + ((s >>> 16) % 1000) - 500;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** CPU time (user + system) of this process, µs: unlike wall time, not inflated by other jobs. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU µs per call of fn over `frames` calls, median of 5 runs after a warm-up. */
function perCall(frames: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(frames, 200); i++) fn(i);
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = cpuMicros();
    for (let i = 0; i < frames; i++) fn(i);
    runs.push((cpuMicros() - t0) / frames);
  }
  return median(runs);
}

function codecResults(): BenchResult[] {
  const out: BenchResult[] = [];
  for (const name of ['PCMU', 'PCMA', 'G722', 'opus'] as CodecName[]) {
    const codec = createCodec(name);
    const n = codec.frameSamples(20);
    const frameCount = 50;
    const pcm = speechLike(codec.sampleRate, n * frameCount);
    const frames = Array.from({ length: frameCount }, (_, i) => pcm.subarray(i * n, (i + 1) * n));
    const payloads = frames.map((f) => codec.encode(f));
    const iterations = name === 'opus' ? 1000 : 5000;
    const enc = perCall(iterations, (i) => codec.encode(frames[i % frameCount]!));
    const dec = perCall(iterations, (i) => codec.decode(payloads[i % frameCount]!));
    out.push({ suite: 'media/codecs', name: `${name} encode 20 ms`, value: enc, unit: 'µs CPU/frame', detail: { samples: n } });
    out.push({ suite: 'media/codecs', name: `${name} decode 20 ms`, value: dec, unit: 'µs CPU/frame', detail: { bytes: payloads[0]!.length } });
  }
  return out;
}

function resamplerResults(): BenchResult[] {
  const out: BenchResult[] = [];
  for (const [from, to] of [[8000, 16000], [16000, 8000], [8000, 48000], [24000, 8000], [48000, 8000], [16000, 24000], [24000, 16000]] as const) {
    const r = new Resampler(from, to);
    const n = from / 50;
    const pcm = speechLike(from, n * 50);
    const frames = Array.from({ length: 50 }, (_, i) => pcm.subarray(i * n, (i + 1) * n));
    const us = perCall(3000, (i) => r.process(frames[i % 50]!));
    out.push({ suite: 'media/dsp', name: `resample ${from / 1000}k→${to / 1000}k 20 ms`, value: us, unit: 'µs CPU/frame', detail: { taps: r.filter!.taps, tapsPerPhase: r.filter!.K } });
  }
  return out;
}

/** ffmpeg's own CPU time (-benchmark utime+stime, seconds) to encode a 16 kHz PCM file to G.722. */
function ffmpegCpuSeconds(input: string, output: string): number {
  const r = spawnSync('ffmpeg', ['-nostdin', '-y', '-benchmark', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', input, '-acodec', 'g722', '-f', 'g722', output], { encoding: 'utf8' });
  const m = /utime=([\d.]+)s stime=([\d.]+)s/.exec(r.stderr);
  if (!m) throw new Error(`ffmpeg -benchmark output not understood: ${r.stderr.slice(-300)}`);
  return Number(m[1]) + Number(m[2]);
}

/** Encoding one minute of audio: ours (in 20 ms frames) vs ffmpeg (startup removed: 10 min − 1 min). */
function g722VsFfmpeg(): BenchResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'bench-g722-'));
  try {
    const minute = speechLike(16000, 16000 * 60);
    const one = join(dir, 'one.raw');
    const ten = join(dir, 'ten.raw');
    writeFileSync(one, Buffer.from(minute.buffer));
    writeFileSync(ten, Buffer.concat(Array.from({ length: 10 }, () => Buffer.from(minute.buffer))));
    const ffmpegRuns: number[] = [];
    for (let r = 0; r < 3; r++) ffmpegRuns.push((ffmpegCpuSeconds(ten, join(dir, 'o.g722')) - ffmpegCpuSeconds(one, join(dir, 'o.g722'))) / 9);
    const ffmpegMs = Math.max(median(ffmpegRuns), 0.001) * 1000;

    const oursRuns: number[] = [];
    for (let r = 0; r < 3; r++) {
      const enc = new G722Encoder();
      const out = new Uint8Array(160);
      const t0 = cpuMicros();
      for (let o = 0; o < minute.length; o += 320) enc.encode(minute.subarray(o, o + 320), out);
      oursRuns.push((cpuMicros() - t0) / 1000);
    }
    const oursMs = median(oursRuns);
    return [
      { suite: 'media/codecs', name: 'G722 encode 1 min (ours, TypeScript, CPU time)', value: oursMs, unit: 'ms', detail: { vsFfmpeg: +(oursMs / ffmpegMs).toFixed(2) } },
      { suite: 'media/codecs', name: 'G722 encode 1 min (ffmpeg 5.1, C, CPU time)', value: ffmpegMs, unit: 'ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  return [...codecResults(), ...resamplerResults(), ...g722VsFfmpeg()];
}
