import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCodec } from '../../../src/media/codecs/index.js';
import { dtmfPackets } from '../../../src/media/dtmf/index.js';
import { DtmfError } from '../../../src/media/dtmf/telephone-event.js';
import { writeRtpPacket } from '../../../src/media/rtp/header.js';
import { parseRtcp } from '../../../src/media/rtp/rtcp.js';
import { MediaSessionError } from '../../../src/media/session/errors.js';
import type { MediaSession } from '../../../src/media/session/types.js';
import { MediaWorkerPool } from '../../../src/media/worker/pool.js';
import { RemoteMediaSession } from '../../../src/media/worker/remote-session.js';
import { median, seededNoise, windowedCorrelation } from '../../gateway/helpers/audio.js';
import { allocator, LO, pcmuTo, udpPeer, until } from '../session/helpers.js';

const TELEPHONE_EVENT = { payloadType: 101, clockRate: 8000 };

let pool: MediaWorkerPool;
beforeAll(() => { pool = new MediaWorkerPool({ workers: 2 }); });
afterAll(async () => { await pool.close(); });

const open: MediaSession[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function peer(): ReturnType<typeof udpPeer> {
  const p = await udpPeer();
  closers.push(p.close);
  return p;
}

const isRtp = (b: Buffer, pt: number): boolean => b.length >= 12 && b[0]! >> 6 === 2 && (b[1]! & 0x7f) === pt;


/** A chirp 300→3000 Hz. */
function chirp(samples: number, rate = 8000): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => {
    const t = i / rate;
    const f = 300 + (2700 * t) / (samples / rate);
    return Math.round(8000 * Math.sin(2 * Math.PI * f * t));
  });
}

describe('MediaWorkerPool sessions', () => {
  it('echo: RTP from a UDP sender comes back through a worker-hosted session and correlates with what was sent (median NCC per 500 ms window ≥ 0.9)', async () => {
    const ports = await allocator(1);
    const sender = await peer();
    const s = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(sender.port), localAddress: LO, idle: 'none' });
    open.push(s);
    expect(s).toBeInstanceOf(RemoteMediaSession);
    s.on('audio', (f) => s.play(f.samples, f.sampleRate));

    const codec = createCodec('PCMU');
    const sent = seededNoise(8000 * 3, 12345);
    const frames = sent.length / 160;
    // On absolute 20 ms deadlines, as a phone sends (a drifting sender would make the playout conceal).
    const start = performance.now();
    for (let i = 0; i < frames; i++) {
      sender.socket.send(writeRtpPacket(0, i === 0, 1000 + i, 5000 + i * 160, 0x1234, codec.encode(sent.subarray(i * 160, (i + 1) * 160))), s.localPort, LO);
      await new Promise((r) => setTimeout(r, Math.max(0, start + (i + 1) * 20 - performance.now())));
    }
    // Every frame reached the worker (its counters come with its next tick), then nearly all came back.
    await until(() => s.stats().packetsIn === frames);
    await until(() => sender.packets.filter((p) => isRtp(p, 0)).length >= frames - 5);
    const echoed = sender.packets.filter((p) => isRtp(p, 0)).sort((a, b) => a.readUInt16BE(2) - b.readUInt16BE(2));
    const received = new Int16Array(echoed.length * 160);
    echoed.forEach((p, i) => received.set(codec.decode(p.subarray(12)), i * 160));
    // Per 500 ms window (a late tick under load conceals a frame and shifts what follows), over the
    // part of the signal whose echo is complete even at a lag of a few frames: a median over six
    // windows is not decided by the jitter buffer's start-up or by the last echoes still in flight.
    const windows = windowedCorrelation(sent.subarray(0, Math.min(sent.length, received.length - 4 * 160)), received, 4000, 8000);
    expect(windows.length).toBeGreaterThanOrEqual(5);
    expect(median(windows.map((w) => w.ncc)), JSON.stringify(windows)).toBeGreaterThanOrEqual(0.9);
    expect(s.stats().latchedSource).toEqual({ address: LO, port: sender.port });
  });

  it('play() and mark(): marks are reported in order once their audio is sent; clear() reports pending marks cleared at once', async () => {
    const ports = await allocator(1);
    const rx = await peer();
    const s = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO });
    open.push(s);
    const marks: { name: string; cleared: boolean; queuedMs: number }[] = [];
    s.on('mark', (name, info) => marks.push({ name, cleared: info.cleared, queuedMs: s.queuedMs }));
    s.play(chirp(1600), 8000); // 200 ms
    s.mark('first');
    s.play(chirp(800), 8000); // 100 ms
    s.mark('second');
    expect(s.queuedMs).toBe(300);
    await until(() => marks.length === 2);
    expect(marks).toEqual([
      { name: 'first', cleared: false, queuedMs: 100 },
      { name: 'second', cleared: false, queuedMs: 0 },
    ]);

    s.play(chirp(80000), 8000); // 10 s
    s.mark('never-played');
    await until(() => s.queuedMs < 9900);
    s.clear();
    expect(marks[2]).toEqual({ name: 'never-played', cleared: true, queuedMs: 0 });
    expect(s.queuedMs).toBe(0);
    // The worker answers in order: once a mark placed after clear() comes back, any report the
    // worker made of the cleared mark has arrived too, and it must not have been repeated.
    s.mark('barrier');
    await until(() => marks.length === 4 || marks.some((m) => m.name === 'barrier'));
    expect(marks.map((m) => m.name)).toEqual(['first', 'second', 'never-played', 'barrier']);
    expect(s.queuedMs).toBe(0);
  });

  it('a mark reads the queue figure of its own tick, also when the worker catches up several ticks back to back after a stall', async () => {
    const ports = await allocator(1);
    const rx = await peer();
    const s = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO });
    open.push(s);
    const marks: { name: string; queuedMs: number }[] = [];
    s.on('mark', (name) => marks.push({ name, queuedMs: s.queuedMs }));
    for (let i = 1; i <= 5; i++) {
      s.play(chirp(160), 8000); // one frame
      s.mark(`after-${i}`);
    }
    // Queued behind the plays: the worker's loop is blocked for 7+ ticks, then its clock runs the
    // missed ticks back to back (rtp/clock.ts), a few frames and marks each time.
    pool.stall(s, 160);
    await until(() => marks.length === 5);
    expect(marks).toEqual([1, 2, 3, 4, 5].map((i) => ({ name: `after-${i}`, queuedMs: 100 - 20 * i })));
  });

  it('DTMF in: RFC 4733 packets become dtmf events', async () => {
    const ports = await allocator(1);
    const sender = await peer();
    const s = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(sender.port, { telephoneEvent: TELEPHONE_EVENT }), localAddress: LO });
    open.push(s);
    const digits: { digit: string; durationMs: number }[] = [];
    s.on('dtmf', (d) => digits.push(d));
    let seq = 100;
    let ts = 80_000;
    for (const digit of ['7', '#']) {
      for (const p of dtmfPackets(digit, { timestamp: ts, durationMs: 100 })) {
        sender.socket.send(writeRtpPacket(101, p.marker, seq++, p.timestamp, 0xabc, p.payload), s.localPort, LO);
        await new Promise((r) => setTimeout(r, 20));
      }
      ts += 8000;
    }
    await until(() => digits.length === 2);
    expect(digits).toEqual([{ digit: '7', durationMs: 100 }, { digit: '#', durationMs: 100 }]);
    await until(() => s.stats().dtmfIn === 2);
  });

  it('sendDtmf: resolves once the RFC 4733 packets are on the wire; rejects with the in-process error classes', async () => {
    const ports = await allocator(2);
    const rx = await peer();
    const s = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port, { telephoneEvent: TELEPHONE_EVENT }), localAddress: LO });
    open.push(s);
    await s.sendDtmf('19', { durationMs: 60 });
    const events = rx.packets.filter((p) => isRtp(p, 101));
    // Per digit: 3 updates (60 ms) + the end packet sent three times (RFC 4733 §2.5.1.4).
    expect(events.length).toBeGreaterThanOrEqual(2 * 5);
    expect(new Set(events.map((p) => p[12]))).toEqual(new Set([1, 9]));
    await until(() => s.stats().dtmfOut === 2);
    await expect(s.sendDtmf('x')).rejects.toBeInstanceOf(DtmfError);

    const plain = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO });
    open.push(plain);
    await expect(plain.sendDtmf('1')).rejects.toMatchObject({ code: 'MEDIA_NO_TELEPHONE_EVENT' });
    await plain.close();
    await expect(s.sendDtmf('1').then(() => s.close()).then(() => s.sendDtmf('2'))).rejects.toBeInstanceOf(MediaSessionError);
  });

  it('updateRemote() moves the destination to the new address', async () => {
    const ports = await allocator(1);
    const first = await peer();
    const second = await peer();
    const s = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(first.port), localAddress: LO });
    open.push(s);
    await until(() => first.packets.length >= 3);
    s.updateRemote({ address: LO, port: second.port });
    expect(s.negotiated.remote).toEqual({ address: LO, port: second.port });
    await until(() => second.packets.length >= 3);
    const before = first.packets.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(first.packets.length - before).toBeLessThanOrEqual(1);
  });

  it('stats() after close() matches what the wire saw, and close releases the lease and sends RTCP BYE', async () => {
    const ports = await allocator(1);
    const rx = await peer();
    const rtcp = await peer();
    const lease = ports.allocate();
    const s = await pool.create({ lease, negotiated: pcmuTo(rx.port, { remoteRtcp: { address: LO, port: rtcp.port } }), localAddress: LO, rtcpIntervalMs: 300 });
    const statsEvents: number[] = [];
    s.on('stats', (st) => statsEvents.push(st.packetsOut));
    s.play(chirp(4000), 8000);
    await until(() => s.stats().framesSent >= 20 && statsEvents.length >= 1);
    let closeReason: string | undefined;
    s.on('close', (r) => { closeReason = r; });
    await Promise.all([s.close('bye now'), s.close()]);
    expect(closeReason).toBe('bye now');
    expect(s.closed).toBe(true);
    expect(lease.released).toBe(true);
    const st = s.stats();
    await until(() => rx.packets.length >= st.packetsOut);
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.packets.length).toBe(st.packetsOut);
    expect(st.framesSent).toBe(st.packetsOut);
    expect(st.bytesOut).toBe(rx.packets.reduce((a, p) => a + p.length, 0));
    await until(() => rtcp.packets.some((p) => parseRtcp(p).byes.length > 0));
  });

  it('a port held by another socket (EADDRINUSE) rejects create with that code and releases the lease', async () => {
    const ports = await allocator(1);
    const squatter = createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(ports.min % 2 === 0 ? ports.min : ports.min + 1, LO, () => r()));
    closers.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const lease = ports.allocate();
    await expect(pool.create({ lease, negotiated: pcmuTo(9), localAddress: LO })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(lease.released).toBe(true);
    expect(ports.inUse).toBe(0);
  });

  it("the worker's log lines come out of the call's own logger, with its Call-ID bindings", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); cb(); } });
    const callLog = pino({ level: 'debug' }, sink).child({ callId: 'abc@host' });
    const ports = await allocator(1);
    const rx = await peer();
    const s = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO, logger: callLog, id: 'abc@host' });
    await s.close();
    const started = lines.find((l) => l.msg === 'media session started');
    expect(started).toMatchObject({ callId: 'abc@host', media: 'abc@host', level: 20 });
    expect(lines.find((l) => l.msg === 'media session closed')).toMatchObject({ callId: 'abc@host' });
  });

  it('sessions go to the least-loaded worker', async () => {
    const ports = await allocator(4);
    const rx = await peer();
    const before = pool.workers().map((w) => w.sessions);
    for (let i = 0; i < 4; i++) open.push(await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO }));
    const after = pool.workers().map((w) => w.sessions);
    expect(after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0)).toBe(4);
    expect(Math.max(...after) - Math.min(...after)).toBeLessThanOrEqual(1);
  });
});

describe('MediaWorkerPool lifecycle', () => {
  function threads(): number {
    // This test file runs in its own process (vitest forks): the kernel's thread count is ours.
    return Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  }

  /** Field 19 of /proc/<pid>/task/<tid>/stat: the thread's nice value. */
  function niceOf(tid: number): number {
    return Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
  }

  /** /proc/self/task/<tid>/stat fields 40 and 41: rt_priority and policy (2 = SCHED_RR). */
  function schedOf(tid: number): { rtPriority: number; policy: number } {
    const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { rtPriority: Number(f[37]), policy: Number(f[38]) };
  }

  it.runIf(process.platform === 'linux')('worker threads run in SCHED_RR at the real-time priority asked for, and the main thread is left alone (needs root or CAP_SYS_NICE; otherwise nice, and the reason is reported)', async () => {
    const own = new MediaWorkerPool({ workers: 2, realtime: 7, nice: -3 });
    try {
      await own.ready();
      for (const w of own.workers()) {
        if (process.getuid?.() === 0) {
          expect(w.priority).toEqual({ applied: true, realtime: 7 });
          expect(schedOf(w.tid!)).toEqual({ rtPriority: 7, policy: 2 });
        } else {
          expect(w.priority).toMatchObject({ applied: true, nice: expect.any(Number), realtimeRefused: expect.stringContaining('CAP_SYS_NICE') });
        }
      }
      expect(schedOf(process.pid)).toEqual({ rtPriority: 0, policy: 0 });
    } finally {
      await own.close();
    }
  });

  it.runIf(process.platform === 'linux')('worker threads run at the nice value asked for when real-time is not (raising priority needs root or CAP_SYS_NICE; otherwise the reason is reported)', async () => {
    const own = new MediaWorkerPool({ workers: 2, nice: -7, realtime: null });
    try {
      await own.ready();
      for (const w of own.workers()) {
        expect(w.tid).toBeGreaterThan(0);
        if (process.getuid?.() === 0) {
          expect(w.priority).toEqual({ applied: true, nice: -7 });
          expect(schedOf(w.tid!).policy).toBe(0);
          expect(niceOf(w.tid!)).toBe(-7);
        } else {
          expect(w.priority).toMatchObject({ applied: false, reason: expect.stringContaining('CAP_SYS_NICE') });
        }
      }
      expect(niceOf(process.pid)).toBe(0); // the main thread is left alone
    } finally {
      await own.close();
    }
  });

  it.runIf(process.platform === 'linux')('nice: null leaves the worker threads at the process priority', async () => {
    const own = new MediaWorkerPool({ workers: 1, nice: null, realtime: null });
    try {
      await own.ready();
      const w = own.workers()[0]!;
      expect(w.priority).toBeNull();
      expect(niceOf(w.tid!)).toBe(niceOf(process.pid));
    } finally {
      await own.close();
    }
  });

  it('a worker that dies ends its calls with a reason, is replaced, and the pool still serves new sessions', async () => {
    const own = new MediaWorkerPool({ workers: 2 });
    try {
      const ports = await allocator(3);
      const rx = await peer();
      const a = await own.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO, id: 'on-worker-0' });
      const b = await own.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO, id: 'on-worker-1' });
      expect(own.workers().map((w) => w.sessions)).toEqual([1, 1]);
      const reasons: string[] = [];
      a.on('close', (r) => reasons.push(r));
      await until(() => a.stats().packetsOut > 3);
      const oldThread = own.workers()[0]!.threadId;
      await own.terminateWorker(0);
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toMatch(/worker/);
      expect(a.closed).toBe(true);
      expect(ports.inUse).toBe(1);
      const bOut = b.stats().packetsOut;
      await until(() => b.stats().packetsOut > bOut + 3);
      expect(own.workers()[0]!.threadId).not.toBe(oldThread);
      const c = await own.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO });
      await until(() => c.stats().packetsOut > 3);
      await Promise.all([b.close(), c.close()]);
      expect(ports.inUse).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('close() closes the sessions left, terminates every thread and rejects later creates', async () => {
    const base = threads();
    const own = new MediaWorkerPool({ workers: 2 });
    const ports = await allocator(1);
    const rx = await peer();
    const s = await own.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO });
    expect(threads()).toBeGreaterThanOrEqual(base + 2);
    const reasons: string[] = [];
    s.on('close', (r) => reasons.push(r));
    await own.close();
    expect(reasons).toEqual(['media worker pool closed']);
    expect(ports.inUse).toBe(0);
    await until(() => threads() <= base);
    await expect(own.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO })).rejects.toMatchObject({ code: 'MEDIA_POOL_CLOSED' });
    expect(ports.inUse).toBe(0);
  });

  it('ready() rejects when no worker can start (here: a heap limit too small to load the module), and such a worker is not restarted in a loop', async () => {
    const base = threads();
    const own = new MediaWorkerPool({ workers: 2, resourceLimits: { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 } });
    try {
      await expect(own.ready()).rejects.toThrow(/media worker/);
      await until(() => threads() <= base);
    } finally {
      await own.close();
    }
  });

  it('a session with a packet tap runs in-process (functions cannot cross threads)', async () => {
    const ports = await allocator(1);
    const rx = await peer();
    const seen: string[] = [];
    const s = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(rx.port), localAddress: LO, tap: (dir) => seen.push(dir) });
    open.push(s);
    expect(s).not.toBeInstanceOf(RemoteMediaSession);
    await until(() => seen.includes('out'));
  });
});
