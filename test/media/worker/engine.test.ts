import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectTone } from '../../../src/media/dsp/analysis.js';
import type { CodecName } from '../../../src/media/sdp/types.js';
import { MediaEngine } from '../../../src/media/session/engine.js';
import type { MediaSession } from '../../../src/media/session/types.js';
import { MediaWorkerPool } from '../../../src/media/worker/pool.js';
import { RemoteMediaSession } from '../../../src/media/worker/remote-session.js';
import { freePortRange } from '../../helpers/ports.js';
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

describe('MediaEngine with createSession on a worker pool', () => {
  for (const codec of ['G722', 'opus'] as CodecName[]) {
    it(`${codec}: a tone played at 24 kHz by an in-process session is heard at 16 kHz from the worker-hosted session (setOutputRate crosses threads)`, async () => {
      const caller = new MediaEngine({ localAddress: LO, ports: await freePortRange(2), codecs: [codec] });
      const callee = new MediaEngine({ localAddress: LO, ports: await freePortRange(2), codecs: [codec], createSession: (o) => pool.create(o) });
      const pending = caller.offer();
      const { answer, session: b } = await callee.answer(pending.offer.sdp);
      const a = await pending.accept(answer.sdp);
      open.push(a, b);
      expect(b).toBeInstanceOf(RemoteMediaSession);
      expect(b.negotiated.codec.name).toBe(codec);
      b.setOutputRate(16000);
      const frames: Int16Array[] = [];
      const rates = new Set<number>();
      b.on('audio', (f) => {
        if (frames.length === 0 && !f.samples.some((x) => Math.abs(x) > 2000)) return;
        rates.add(f.sampleRate);
        frames.push(Int16Array.from(f.samples));
      });
      a.play(tone(1000, 24000, 1500), 24000);
      await until(() => frames.length >= 30);
      expect([...rates]).toEqual([16000]);
      const pcm = new Int16Array(frames.length * 320);
      frames.forEach((f, i) => pcm.set(f, i * 320));
      expect(detectTone(pcm.subarray(1600), 16000, [400, 700, 1000, 1400])).toBe(1000);
      await b.close();
      expect(callee.ports.inUse).toBe(0);
    });
  }
});
