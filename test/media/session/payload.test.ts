import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeRtpPacket } from '../../../src/media/rtp/header.js';
import { MediaSessionError } from '../../../src/media/session/errors.js';
import { createMediaSession } from '../../../src/media/session/session.js';
import type { MediaSession, MediaSessionOptions } from '../../../src/media/session/types.js';
import { MediaWorkerPool } from '../../../src/media/worker/pool.js';
import { allocator, LO, pcmuTo, udpPeer, until } from './helpers.js';

/** G.711 passthrough: the `payload` event and playPayload, in-process and in a media worker. */

let pool: MediaWorkerPool;
beforeAll(() => { pool = new MediaWorkerPool({ workers: 1 }); });
afterAll(async () => { await pool.close(); });

const open: MediaSession[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** Octets that are not the codec's silence, distinct per position. */
function octets(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (seed + i * 7) % 0x7f);
}

const hosts: [string, (o: MediaSessionOptions) => Promise<MediaSession>][] = [
  ['in-process', (o) => createMediaSession(o)],
  ['media worker', (o) => pool.create(o)],
];

describe.each(hosts)('MediaSession G.711 payload (%s)', (_host, create) => {
  async function sessionToPeer(): Promise<{ s: MediaSession; peer: Awaited<ReturnType<typeof udpPeer>> }> {
    const ports = await allocator(1);
    const peer = await udpPeer();
    closers.push(peer.close);
    const s = await create({ lease: ports.allocate(), negotiated: pcmuTo(peer.port), localAddress: LO, idle: 'none' });
    open.push(s);
    return { s, peer };
  }

  it('playPayload() sends the octets unchanged, 160 per 20 ms packet, and a mark pads the partial frame with µ-law silence', async () => {
    const { s, peer } = await sessionToPeer();
    const sent = octets(400, 3);
    s.setPlayFormat('payload');
    s.playPayload(sent);
    const marks: string[] = [];
    s.on('mark', (n) => marks.push(n));
    s.mark('end');
    await until(() => marks.includes('end'));
    await until(() => peer.packets.filter((p) => (p[1]! & 0x7f) === 0).length >= 3);
    const payloads = peer.packets.filter((p) => (p[1]! & 0x7f) === 0).map((p) => p.subarray(12));
    expect(payloads.map((p) => p.length)).toEqual([160, 160, 160]);
    const joined = Buffer.concat(payloads);
    expect([...joined.subarray(0, 400)]).toEqual([...sent]);
    expect([...joined.subarray(400)].every((b) => b === 0xff)).toBe(true);
  });

  it('setPlayFormat(payload) on a G.722 session throws MEDIA_PAYLOAD_UNSUPPORTED, and playPayload without it MEDIA_PLAY_FORMAT', async () => {
    const ports = await allocator(2);
    const peer = await udpPeer();
    closers.push(peer.close);
    const g722 = await create({ lease: ports.allocate(), negotiated: pcmuTo(peer.port, { codec: { name: 'G722', payloadType: 9, clockRate: 8000, channels: 1 } }), localAddress: LO });
    open.push(g722);
    expect(() => g722.setPlayFormat('payload')).toThrow(MediaSessionError);
    try { g722.setPlayFormat('payload'); } catch (err) { expect((err as MediaSessionError).code).toBe('MEDIA_PAYLOAD_UNSUPPORTED'); }
    const pcmu = await create({ lease: ports.allocate(), negotiated: pcmuTo(peer.port), localAddress: LO });
    open.push(pcmu);
    try {
      pcmu.playPayload(new Uint8Array(10));
      expect.unreachable();
    } catch (err) {
      expect((err as MediaSessionError).code).toBe('MEDIA_PLAY_FORMAT');
    }
  });

  it('the payload event hands over each received frame as it came off the wire, and queuedMs counts queued payload', async () => {
    const { s, peer } = await sessionToPeer();
    const got: Uint8Array[] = [];
    s.on('payload', (f) => got.push(f.payload));
    const frames = [octets(160, 1), octets(160, 2), octets(160, 5), octets(160, 9), octets(160, 11)];
    const ssrc = 0x1234;
    for (let i = 0; i < frames.length; i++) {
      const pkt = writeRtpPacket(0, i === 0, 100 + i, 8000 + i * 160, ssrc, frames[i]!);
      peer.socket.send(pkt, s.localPort, LO);
      // Sent at the pace of a real stream.
      await new Promise((r) => setTimeout(r, 20));
    }
    const isSilence = (f: Uint8Array): boolean => f.every((b) => b === 0xff);
    await until(() => got.filter((f) => !isSilence(f)).length >= frames.length);
    const sent = frames.map((f) => [...f].join(','));
    // The jitter buffer plays them out in order, unchanged (a gap would be a silence frame).
    expect(got.filter((f) => !isSilence(f)).map((f) => [...f].join(','))).toEqual(sent);
    expect(got.every((f) => f.length === 160)).toBe(true);
    s.setPlayFormat('payload');
    s.playPayload(new Uint8Array(8000));
    await until(() => s.queuedMs > 500);
    expect(s.queuedMs).toBeLessThanOrEqual(1000);
  });
});
