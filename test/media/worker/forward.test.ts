import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCodec } from '../../../src/media/codecs/index.js';
import { writeRtpPacket } from '../../../src/media/rtp/header.js';
import type { MediaSession } from '../../../src/media/session/types.js';
import { MediaWorkerPool } from '../../../src/media/worker/pool.js';
import { RemoteMediaSession } from '../../../src/media/worker/remote-session.js';
import { median, seededNoise, windowedCorrelation } from '../../gateway/helpers/audio.js';
import { allocator, LO, pcmuTo, udpPeer, until } from '../session/helpers.js';

let pool: MediaWorkerPool;
beforeAll(() => { pool = new MediaWorkerPool({ workers: 2 }); });
afterAll(async () => { await pool.close(); });

const open: MediaSession[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await Promise.all(closers.splice(0).map((c) => c()));
});

const isPcmu = (b: Buffer): boolean => b.length >= 12 && b[0]! >> 6 === 2 && (b[1]! & 0x7f) === 0;

describe('forwardInWorker: a bridge relayed inside the media worker', () => {
  it('a session created `near` another runs on its worker, and audio sent to one leaves the other (median NCC per 500 ms window ≥ 0.9) without reaching the main thread', async () => {
    const ports = await allocator(2);
    const caller = await udpPeer();
    const human = await udpPeer();
    closers.push(caller.close, human.close);
    const a = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(caller.port), localAddress: LO, idle: 'none' });
    // Fill the other worker first: without `near` the next session would go there.
    const other = await pool.create({ lease: ports.allocate(), negotiated: pcmuTo(caller.port), localAddress: LO, idle: 'none' });
    open.push(a, other);
    const ports2 = await allocator(1);
    const b = await pool.create({ lease: ports2.allocate(), negotiated: pcmuTo(human.port), localAddress: LO, idle: 'none', near: a });
    open.push(b);
    expect(pool.workers().map((w) => w.sessions).sort()).toEqual([1, 2]);
    expect(a.forwardInWorker?.(b)).toBe(true);
    // `other` runs on the other worker: no forwarding there.
    expect(other.forwardInWorker?.(b)).toBe(false);
    // Audio frames the workers ship to the main thread (none: nobody there listens to a or b).
    const delivered = vi.spyOn(RemoteMediaSession.prototype, 'deliverAudio');

    const codec = createCodec('PCMU');
    const sent = seededNoise(8000 * 2, 777);
    const start = performance.now();
    for (let i = 0; i < sent.length / 160; i++) {
      caller.socket.send(writeRtpPacket(0, i === 0, 100 + i, 1000 + i * 160, 0x4321, codec.encode(sent.subarray(i * 160, (i + 1) * 160))), a.localPort, LO);
      await new Promise((r) => setTimeout(r, Math.max(0, start + (i + 1) * 20 - performance.now())));
    }
    await until(() => human.packets.filter(isPcmu).length >= 90);
    const got = human.packets.filter(isPcmu).sort((x, y) => x.readUInt16BE(2) - y.readUInt16BE(2));
    const received = new Int16Array(got.length * 160);
    got.forEach((p, i) => received.set(codec.decode(p.subarray(12)), i * 160));
    const windows = windowedCorrelation(sent, received, 4000, 8000);
    expect(windows.length).toBeGreaterThanOrEqual(3);
    expect(median(windows.map((w) => w.ncc)), JSON.stringify(windows)).toBeGreaterThanOrEqual(0.9);
    expect(delivered).not.toHaveBeenCalled();
    delivered.mockRestore();

    // forwardInWorker(null) stops it: nothing more reaches the human.
    expect(a.forwardInWorker?.(null)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const before = human.packets.length;
    for (let i = 0; i < 10; i++) caller.socket.send(writeRtpPacket(0, false, 300 + i, 99_000 + i * 160, 0x4321, codec.encode(sent.subarray(0, 160))), a.localPort, LO);
    await new Promise((r) => setTimeout(r, 300));
    expect(human.packets.length).toBe(before);
  }, 30_000);
});
