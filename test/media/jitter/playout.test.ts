/**
 * The receive path built from the real parts: codec → lossy, jittery network → JitterBuffer →
 * decode or conceal → Resampler → analysis. What the MediaSession does per frame, without sockets.
 */
import { describe, expect, it } from 'vitest';
import { createCodec, type CodecName } from '../../../src/media/codecs/index.js';
import { crossCorrelate, toneDbfs } from '../../../src/media/dsp/analysis.js';
import { Resampler } from '../../../src/media/dsp/resampler.js';
import { JitterBuffer } from '../../../src/media/jitter/jitter-buffer.js';
import type { JitterPacket } from '../../../src/media/jitter/types.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function receivePath(name: CodecName, opts: { seconds: number; lossEvery: number; maxDelayMs: number; dupEvery: number }) {
  const tx = createCodec(name);
  const rx = createCodec(name);
  const frame = tx.frameSamples(20);
  const ticks = tx.frameTicks(20);
  const frames = opts.seconds * 50;
  const input = new Int16Array(frames * frame);
  for (let i = 0; i < input.length; i++) input[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / tx.sampleRate));

  const rnd = lcg(42);
  const packets: JitterPacket[] = [];
  for (let f = 0; f < frames; f++) {
    const payload = tx.encode(input.subarray(f * frame, (f + 1) * frame));
    if (f % opts.lossEvery === Math.floor(opts.lossEvery / 2)) continue;
    const p = { seq: (60000 + f) & 0xffff, timestamp: (f * ticks) >>> 0, ssrc: 7, marker: f === 0, payloadType: 9, payload, arrivalMs: f * 20 + rnd() * opts.maxDelayMs };
    packets.push(p);
    if (f % opts.dupEvery === 0) packets.push({ ...p, arrivalMs: p.arrivalMs + 3 });
  }
  packets.sort((a, b) => a.arrivalMs - b.arrivalMs);

  const jb = new JitterBuffer({ clockRate: tx.clockRate });
  const toNarrowband = new Resampler(rx.sampleRate, 8000);
  const out: Int16Array[] = [];
  let q = 0;
  let concealed = 0;
  for (let now = 5; now < frames * 20 + 200; now += 20) {
    while (q < packets.length && packets[q]!.arrivalMs <= now) jb.push(packets[q++]!);
    const r = jb.pop(now);
    if (r.kind === 'empty') continue;
    let pcm: Int16Array;
    if (r.kind === 'packet') pcm = rx.decode(r.packet.payload);
    else {
      pcm = rx.conceal(frame);
      concealed++;
    }
    out.push(toNarrowband.process(pcm));
  }
  const output = new Int16Array(out.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of out) {
    output.set(x, o);
    o += x.length;
  }
  const reference = new Resampler(tx.sampleRate, 8000).process(input);
  return { jb, output, reference, concealed, frames };
}

describe('receive path: codec → network → JitterBuffer → decode/PLC → Resampler', () => {
  for (const name of ['PCMU', 'G722', 'opus'] as CodecName[]) {
    it(`${name}: a 1 kHz tone through 2% loss, 0–40 ms jitter and duplicates keeps its level and waveform`, () => {
      const { jb, output, reference, concealed, frames } = receivePath(name, { seconds: 3, lossEvery: 50, maxDelayMs: 40, dupEvery: 20 });
      const s = jb.stats();
      expect(s.lost).toBe(frames / 50);
      expect(s.duplicates).toBe(Math.ceil(frames / 20));
      expect(concealed).toBeGreaterThanOrEqual(s.lost);
      // Level: within 1.5 dB of the transmitted tone (concealment fades a few frames).
      expect(Math.abs(toneDbfs(output, 1000, 8000, 4000) - toneDbfs(reference, 1000, 8000, 4000))).toBeLessThan(1.5);
      // Waveform: the received audio is the sent audio, delayed by the playout and filter delays.
      const seg = reference.subarray(4000, 12000);
      const { correlation } = crossCorrelate(seg, output.subarray(4000, 12000 + 800), 800);
      expect(correlation).toBeGreaterThan(0.8);
    });
  }
});
