import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JitterBuffer } from '../../../src/media/jitter/jitter-buffer.js';
import type { JitterBufferOptions, JitterPacket, PopResult } from '../../../src/media/jitter/types.js';

interface Sent {
  seq: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  /** When it reaches us, ms. */
  arrivalMs: number;
}

/** A 20 ms G.711 stream: packet i sent at i·20 ms, seq and timestamp from the given start. */
function stream(count: number, opts: { firstSeq?: number; firstTs?: number; ssrc?: number; delay?: (i: number) => number; drop?: (i: number) => boolean } = {}): Sent[] {
  const out: Sent[] = [];
  for (let i = 0; i < count; i++) {
    if (opts.drop?.(i)) continue;
    out.push({
      seq: ((opts.firstSeq ?? 1000) + i) & 0xffff,
      timestamp: ((opts.firstTs ?? 160000) + i * 160) >>> 0,
      ssrc: opts.ssrc ?? 0x1234,
      arrivalMs: i * 20 + (opts.delay?.(i) ?? 0),
    });
  }
  return out;
}

function toPacket(s: Sent): JitterPacket {
  return { seq: s.seq, timestamp: s.timestamp, ssrc: s.ssrc, marker: s.marker ?? false, payloadType: 0, payload: Buffer.from([s.seq & 0xff]), arrivalMs: s.arrivalMs };
}

/** Plays the packets into a buffer with a playout clock pulling one frame every 20 ms (offset 10 ms). */
function play(packets: Sent[], untilMs: number, options: Partial<JitterBufferOptions> = {}, jb = new JitterBuffer({ clockRate: 8000, ...options })): { jb: JitterBuffer; out: PopResult[] } {
  const queue = [...packets].sort((a, b) => a.arrivalMs - b.arrivalMs);
  const out: PopResult[] = [];
  let q = 0;
  for (let now = 10; now <= untilMs; now += 20) {
    while (q < queue.length && queue[q]!.arrivalMs <= now) jb.push(toPacket(queue[q++]!));
    out.push(jb.pop(now));
  }
  return { jb, out };
}

const seqs = (out: PopResult[]): number[] => out.flatMap((r) => (r.kind === 'packet' ? [r.packet.seq] : []));
const kinds = (out: PopResult[]): string[] => out.map((r) => (r.kind === 'missing' ? `missing:${r.reason}` : r.kind));

describe('JitterBuffer', () => {
  it('plays an in-order stream in order with nothing lost, then reports underrun when it stops', () => {
    const { jb, out } = play(stream(50), 1100);
    expect(seqs(out)).toEqual(Array.from({ length: 50 }, (_, i) => 1000 + i));
    expect(kinds(out)[0]).toBe('packet');
    const s = jb.stats();
    expect(s).toMatchObject({ received: 50, lost: 0, late: 0, duplicates: 0, reordered: 0 });
    expect(kinds(out).at(-1)).toBe('missing:underrun');
    expect(s.underruns).toBe(1);
  });

  it('returns empty before the first packet', () => {
    const jb = new JitterBuffer({ clockRate: 8000 });
    expect(jb.pop(0)).toEqual({ kind: 'empty' });
  });

  it('puts reordered packets back in order and counts them', () => {
    const packets = stream(40, { delay: (i) => (i % 2 === 0 ? 25 : 0) }); // every even packet overtaken by the next
    const { jb, out } = play(packets, 900, { minDepthMs: 40 });
    expect(seqs(out)).toEqual(Array.from({ length: 40 }, (_, i) => 1000 + i));
    expect(jb.stats().reordered).toBeGreaterThanOrEqual(19);
    expect(jb.stats().lost).toBe(0);
  });

  it('reports a lost packet as a missing frame at its place in the sequence', () => {
    const { jb, out } = play(stream(30, { drop: (i) => i === 5 || i === 17 }), 700, { minDepthMs: 40 });
    const k = kinds(out).filter((x) => x !== 'empty');
    expect(k.slice(0, 30)).toEqual(Array.from({ length: 30 }, (_, i) => (i === 5 || i === 17 ? 'missing:lost' : 'packet')));
    expect(jb.stats().lost).toBe(2);
  });

  it('drops duplicates and counts them', () => {
    const packets = stream(30).flatMap((p) => [p, { ...p, arrivalMs: p.arrivalMs + 5 }]);
    const { jb, out } = play(packets, 700);
    expect(seqs(out)).toEqual(Array.from({ length: 30 }, (_, i) => 1000 + i));
    expect(jb.stats().duplicates).toBe(30);
  });

  it('drops a packet that arrives after its playout time as late, and counts a duplicate of a played packet as a duplicate', () => {
    const packets = stream(30, { delay: (i) => (i === 10 ? 200 : 0) });
    packets.push({ ...packets[3]!, arrivalMs: 400 });
    const { jb, out } = play(packets, 700, { maxDepthMs: 20 });
    expect(seqs(out)).not.toContain(1010);
    expect(jb.stats().late).toBe(1);
    expect(jb.stats().duplicates).toBe(1);
    expect(jb.stats().lost).toBe(1);
  });

  it('plays across the sequence number wrap 65535 → 0', () => {
    const { out } = play(stream(20, { firstSeq: 65530 }), 500);
    expect(seqs(out)).toEqual([65530, 65531, 65532, 65533, 65534, 65535, ...Array.from({ length: 14 }, (_, i) => i)]);
  });

  it('plays across the 32-bit timestamp wrap', () => {
    const { jb, out } = play(stream(20, { firstTs: 2 ** 32 - 800 }), 500);
    expect(seqs(out)).toHaveLength(20);
    expect(jb.stats().resets).toBe(0);
  });

  it('restarts on an SSRC change and plays the new stream from its first packet', () => {
    const resets: string[] = [];
    const jb = new JitterBuffer({ clockRate: 8000 });
    jb.on('reset', (reason) => resets.push(reason));
    const a = stream(10);
    const b = stream(10, { firstSeq: 30000, firstTs: 999, ssrc: 0x9999 }).map((p) => ({ ...p, arrivalMs: p.arrivalMs + 200 }));
    const { out } = play([...a, ...b], 500, {}, jb);
    expect(resets).toEqual(['ssrc']);
    expect(seqs(out)).toEqual([...a.map((p) => p.seq), ...b.map((p) => p.seq)]);
    expect(jb.stats().resets).toBe(1);
  });

  it('restarts on a timestamp jump without marker, but not on a marked new talkspurt', () => {
    const resets: string[] = [];
    const jb = new JitterBuffer({ clockRate: 8000 });
    jb.on('reset', (reason) => resets.push(reason));
    const a = stream(10);
    const jump = stream(10, { firstSeq: 1010, firstTs: 160000 + 10 * 160 + 8000 * 5 }).map((p) => ({ ...p, arrivalMs: p.arrivalMs + 200 }));
    const { out } = play([...a, ...jump], 500, {}, jb);
    expect(resets).toEqual(['timestamp-jump']);
    expect(seqs(out)).toHaveLength(20);

    const resets2: string[] = [];
    const jb2 = new JitterBuffer({ clockRate: 8000 });
    jb2.on('reset', (reason) => resets2.push(reason));
    const talkspurt = jump.map((p, i) => ({ ...p, marker: i === 0 }));
    const r2 = play([...a, ...talkspurt], 500, {}, jb2);
    expect(resets2).toEqual([]);
    expect(seqs(r2.out)).toHaveLength(20);
  });

  it('restarts on a sequence jump beyond MAX_DROPOUT', () => {
    const jb = new JitterBuffer({ clockRate: 8000 });
    const a = stream(10);
    const b = stream(10, { firstSeq: 1010 + 5000, firstTs: 160000 + 1600 }).map((p) => ({ ...p, arrivalMs: p.arrivalMs + 200 }));
    play([...a, ...b], 500, {}, jb);
    expect(jb.stats().resets).toBe(1);
  });

  it('grows its depth under jitter, up to maxDepthMs, and then loses fewer packets to lateness', () => {
    // Delays cycle 0, 15, 30, 45 ms: a 20 ms buffer cannot absorb that.
    const depths: number[] = [];
    const jb = new JitterBuffer({ clockRate: 8000 });
    jb.on('depth', (d) => depths.push(d));
    const { out } = play(stream(500, { delay: (i) => (i % 4) * 15 }), 10100, {}, jb);
    expect(jb.targetDepthMs).toBeGreaterThanOrEqual(40);
    expect(jb.targetDepthMs).toBeLessThanOrEqual(60);
    expect(depths.length).toBeGreaterThan(0);
    expect(depths.at(-1)).toBe(jb.targetDepthMs);
    // Once adapted, the last 200 frames play without loss or lateness.
    const tail = kinds(out.slice(250, 450));
    expect(tail.every((k) => k === 'packet')).toBe(true);
  });

  it('keeps the minimum depth on a clean stream and never exceeds a configured maximum', () => {
    expect(play(stream(200), 4100).jb.targetDepthMs).toBe(20);
    const jittery = play(stream(200, { delay: (i) => (i % 5) * 40 }), 4500, { maxDepthMs: 80 });
    expect(jittery.jb.targetDepthMs).toBe(80);
  });

  it('shrinks slowly once the jitter is gone, skipping frames to lower the delay', () => {
    const jb = new JitterBuffer({ clockRate: 8000, decayMsPerSecond: 4 });
    // Depth changes, stamped with the packets received so far (one per 20 ms of media).
    const changes: Array<{ depth: number; atPacket: number }> = [];
    jb.on('depth', (depth) => changes.push({ depth, atPacket: jb.stats().received }));
    const jittery = stream(100, { delay: (i) => (i % 4) * 15 });
    const calm = stream(1500, { firstSeq: 1100, firstTs: 160000 + 100 * 160 }).map((p) => ({ ...p, arrivalMs: p.arrivalMs + 2000 }));
    const { out } = play([...jittery, ...calm], 32000, {}, jb);
    const peak = changes.reduce((m, c) => (c.depth > m.depth ? c : m));
    expect(peak.depth).toBeGreaterThanOrEqual(40);
    expect(jb.targetDepthMs).toBe(20);
    // Back to 20 ms only after several seconds of calm (≥ 250 packets = 5 s).
    const back = changes.findLast((c) => c.depth === 20)!;
    expect(back.atPacket - peak.atPacket).toBeGreaterThanOrEqual(250);
    expect(jb.stats().discarded).toBeGreaterThan(0);
    expect(out.filter((r) => r.kind === 'packet').length).toBeGreaterThan(1500);
  });

  it('discards a lone stray packet (other SSRC or far-off sequence number) without restarting', () => {
    const resets: string[] = [];
    const jb = new JitterBuffer({ clockRate: 8000 });
    jb.on('reset', (r) => resets.push(r));
    const packets = stream(30);
    const stray = [
      { seq: 40000, timestamp: 5, ssrc: 0x1234, arrivalMs: 105 },
      { seq: 1010, timestamp: 161600, ssrc: 0x7777, arrivalMs: 305 },
    ];
    const { out } = play([...packets, ...stray], 700, {}, jb);
    expect(resets).toEqual([]);
    expect(seqs(out)).toEqual(packets.map((p) => p.seq));
    expect(jb.stats().discarded).toBe(2);
  });

  describe('guardMs: a sender in phase with the playout clock (issue 19)', () => {
    // Packets land 0.3 ms before their tick (ticks at 10 + 20·k), every fourth 0.5 ms after it.
    const inPhase = stream(60, { delay: (i) => (i % 4 === 3 ? 10.5 : 9.7) });
    const played = (out: PopResult[]): string[] => {
      const k = kinds(out);
      return k.slice(k.indexOf('packet'), k.lastIndexOf('packet') + 1);
    };

    it('without a guard, a packet a fraction of a millisecond late misses its tick: playout underruns and the delay grows a frame', () => {
      const { out } = play(inPhase, 1300);
      expect(played(out)).toContain('missing:underrun');
    });

    it('with guardMs, playout starts a frame later and then plays every packet at its tick, the delay never moving', () => {
      const { jb, out } = play(inPhase, 1300, { guardMs: 5 });
      expect(played(out).every((k) => k === 'packet')).toBe(true);
      expect(seqs(out)).toEqual(Array.from({ length: 60 }, (_, i) => 1000 + i));
      // Packet i is played at tick i + 1 (after 20.3 ms, 19.5 for the late ones), for the whole stream.
      expect(kinds(out).indexOf('packet')).toBe(1);
      expect(jb.stats().underruns).toBe(1); // the end of the stream
    });

    it('a packet older than the guard starts playout at once', () => {
      const { out } = play(stream(10, { delay: () => 4 }), 300, { guardMs: 5 });
      expect(kinds(out)[0]).toBe('packet');
    });
  });

  it('learns the frame duration from the timestamps (30 ms packets)', () => {
    const jb = new JitterBuffer({ clockRate: 8000 });
    for (let i = 0; i < 3; i++) jb.push(toPacket({ seq: i, timestamp: i * 240, ssrc: 1, arrivalMs: i * 30 }));
    expect(jb.frameMs).toBe(30);
  });

  it('emits events only after its state is updated', () => {
    const jb = new JitterBuffer({ clockRate: 8000 });
    const seen: unknown[] = [];
    jb.on('reset', (reason) => seen.push({ reason, resets: jb.stats().resets, buffered: jb.stats().bufferedMs }));
    jb.on('depth', (d) => seen.push({ depth: d, target: jb.targetDepthMs }));
    jb.on('underrun', () => seen.push({ underruns: jb.stats().underruns }));
    for (const p of stream(5)) jb.push(toPacket(p));
    jb.push(toPacket({ seq: 7, timestamp: 1, ssrc: 0x5555, arrivalMs: 100 }));
    jb.push(toPacket({ seq: 8, timestamp: 161, ssrc: 0x5555, arrivalMs: 120 }));
    expect(seen[0]).toEqual({ reason: 'ssrc', resets: 1, buffered: 40 });
    jb.pop(130);
    jb.pop(150);
    jb.pop(170);
    expect(seen.at(-1)).toEqual({ underruns: 1 });
  });

  it('contains a listener that throws', () => {
    const jb = new JitterBuffer({ clockRate: 8000 });
    jb.on('reset', () => {
      throw new Error('listener bug');
    });
    jb.push(toPacket({ seq: 1, timestamp: 0, ssrc: 1, arrivalMs: 0 }));
    jb.push(toPacket({ seq: 1, timestamp: 0, ssrc: 2, arrivalMs: 0 }));
    expect(() => jb.push(toPacket({ seq: 2, timestamp: 160, ssrc: 2, arrivalMs: 20 }))).not.toThrow();
    expect(jb.stats().resets).toBe(1);
  });

  it('never plays a packet twice or out of order, whatever the delays and duplicates (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 20, maxLength: 120 }),
        fc.array(fc.boolean(), { minLength: 120, maxLength: 120 }),
        fc.integer({ min: 0, max: 65535 }),
        (delays, dup, firstSeq) => {
          const packets = stream(delays.length, { firstSeq, delay: (i) => delays[i]! }).flatMap((p, i) => (dup[i] ? [p, { ...p, arrivalMs: p.arrivalMs + 7 }] : [p]));
          const { jb, out } = play(packets, delays.length * 20 + 400);
          const played = seqs(out).map((s) => (s - firstSeq + 65536) % 65536);
          for (let i = 1; i < played.length; i++) expect(played[i]!).toBeGreaterThan(played[i - 1]!);
          const s = jb.stats();
          expect(s.received + s.duplicates + s.late).toBe(packets.length);
          expect(played.length).toBeLessThanOrEqual(delays.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
