import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { detectTone } from '../../../src/media/dsp/analysis.js';
import { MediaEngine } from '../../../src/media/session/engine.js';
import type { MediaSession } from '../../../src/media/session/types.js';
import { MediaWorkerPool } from '../../../src/media/worker/pool.js';
import { RemoteMediaSession } from '../../../src/media/worker/remote-session.js';
import { readRtpHeader, writeRtpPacket } from '../../../src/media/rtp/header.js';
import { freePort, freePortRange } from '../../helpers/ports.js';
import { LO, until } from '../session/helpers.js';

let pool: MediaWorkerPool;
beforeAll(() => { pool = new MediaWorkerPool({ workers: 1 }); });
afterAll(async () => { await pool.close(); });
const open: MediaSession[] = [];
afterEach(async () => { await Promise.all(open.splice(0).map((s) => s.close())); });

function tone(hz: number, rate: number, ms: number): Int16Array {
  const n = Math.round((rate * ms) / 1000);
  return Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)));
}

describe('MediaEngine with SRTP (SDES keys from offer/answer)', () => {
  for (const where of ['this thread', 'a media worker'] as const) {
    it(`a tone crosses an SRTP call to a session on ${where}, and the wire carries no plain RTP`, async () => {
      const wire: Buffer[] = [];
      const caller = new MediaEngine({ localAddress: LO, ports: await freePortRange(2), codecs: ['PCMU'] });
      const callee = new MediaEngine({
        localAddress: LO, ports: await freePortRange(2), codecs: ['PCMU'],
        ...(where === 'a media worker' ? { createSession: (o) => pool.create(o) } : {}),
      });
      // A relay between them records what is actually on the wire: each side's SDP names the relay.
      const relayPort = await freePort();
      const relay = createSocket('udp4');
      await new Promise<void>((r) => relay.bind(relayPort, LO, () => r()));
      const pending = caller.offer({ srtp: { policy: 'mandatory' } });
      const { answer, session: b } = await callee.answer(pending.offer.sdp.replace(/m=audio \d+ /, `m=audio ${relayPort} `), { srtp: { policy: 'mandatory', suites: ['AES_CM_128_HMAC_SHA1_32'] } });
      const a = await pending.accept(answer.sdp.replace(`m=audio ${b.localPort} `, `m=audio ${relayPort} `));
      relay.on('message', (m, from) => {
        wire.push(Buffer.from(m));
        relay.send(m, from.port === b.localPort ? a.localPort : b.localPort, LO);
      });
      open.push(a, b);
      if (where === 'a media worker') expect(b).toBeInstanceOf(RemoteMediaSession);
      expect(a.negotiated.srtp?.suite).toBe('AES_CM_128_HMAC_SHA1_32');
      expect(b.negotiated.srtp).toEqual({ suite: 'AES_CM_128_HMAC_SHA1_32', localKey: a.negotiated.srtp!.remoteKey, remoteKey: a.negotiated.srtp!.localKey });
      const frames: Int16Array[] = [];
      b.on('audio', (f) => {
        if (frames.length === 0 && !f.samples.some((x) => Math.abs(x) > 2000)) return;
        frames.push(Int16Array.from(f.samples));
      });
      const pcm8k = tone(1000, 8000, 1500);
      a.play(pcm8k, 8000);
      await until(() => frames.length >= 30);
      const pcm = new Int16Array(frames.length * 160);
      frames.forEach((f, i) => pcm.set(f, i * 160));
      expect(detectTone(pcm.subarray(800), 8000, [400, 700, 1000, 1400])).toBe(1000);
      expect(b.stats().packetsRejected).toBe(0);
      expect(a.stats().packetsIn).toBeGreaterThan(20);
      expect(a.stats().packetsRejected).toBe(0);
      // Every RTP packet on the wire is 4 bytes (the _32 tag) longer than 12 + 160, and its payload is not μ-law of the tone.
      const rtpOnWire = wire.filter((m) => (m[1]! & 0x7f) === 0);
      expect(rtpOnWire.length).toBeGreaterThan(20);
      expect(rtpOnWire.every((m) => m.length === 12 + 160 + 4)).toBe(true);
      relay.close();
    });
  }

  it('a session with SRTP keys refuses plain RTP and counts it as rejected', async () => {
    const caller = new MediaEngine({ localAddress: LO, ports: await freePortRange(2), codecs: ['PCMU'] });
    const callee = new MediaEngine({ localAddress: LO, ports: await freePortRange(2), codecs: ['PCMU'] });
    const pending = caller.offer({ srtp: { policy: 'mandatory' } });
    const { session: b } = await callee.answer(pending.offer.sdp, { srtp: { policy: 'mandatory' } });
    open.push(b);
    pending.cancel();
    const s = createSocket('udp4');
    const port = await freePort();
    await new Promise<void>((r) => s.bind(port, LO, () => r()));
    let heard = 0;
    b.on('audio', (f) => { if (f.samples.some((x) => x !== 0)) heard++; });
    for (let i = 0; i < 10; i++) {
      const p = writeRtpPacket(0, false, i, i * 160, 99, Buffer.alloc(160, 0x10));
      expect(readRtpHeader(p)).toBeDefined();
      await new Promise<void>((r) => s.send(p, b.localPort, LO, () => r()));
    }
    await until(() => b.stats().packetsRejected >= 10);
    expect(b.stats().packetsIn).toBe(0);
    expect(heard).toBe(0);
    s.close();
  });
});
