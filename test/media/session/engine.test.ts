import { afterEach, describe, expect, it } from 'vitest';
import { detectTone } from '../../../src/media/dsp/analysis.js';
import { MediaEngine } from '../../../src/media/session/engine.js';
import { NoCommonCodecError } from '../../../src/media/sdp/errors.js';
import type { CodecName } from '../../../src/media/sdp/types.js';
import type { MediaSession } from '../../../src/media/session/types.js';
import { freePortRange } from '../../helpers/ports.js';
import { LO, until } from './helpers.js';

const open: MediaSession[] = [];
afterEach(async () => { await Promise.all(open.splice(0).map((s) => s.close())); });

async function engine(codecs: CodecName[]): Promise<MediaEngine> {
  return new MediaEngine({ localAddress: LO, ports: await freePortRange(4), codecs });
}

function tone(hz: number, rate: number, ms: number): Int16Array {
  const n = Math.round((rate * ms) / 1000);
  return Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)));
}

/** Collect `ms` of audio events after the first loud frame. */
async function record(s: MediaSession, ms: number): Promise<{ pcm: Int16Array; rate: number }> {
  const frames: Int16Array[] = [];
  let rate = 0;
  let total = 0;
  s.on('audio', (f) => {
    if (frames.length === 0 && !f.samples.some((x) => Math.abs(x) > 2000)) return;
    frames.push(f.samples);
    rate = f.sampleRate;
    total += f.samples.length;
  });
  await until(() => rate > 0 && total >= (rate * ms) / 1000);
  const pcm = new Int16Array(total);
  let off = 0;
  for (const f of frames) { pcm.set(f, off); off += f.length; }
  return { pcm, rate };
}

describe('MediaEngine', () => {
  const codecs: CodecName[] = ['PCMU', 'PCMA', 'G722', 'opus'];
  for (const codec of codecs) {
    it(`${codec}: early offer/answer between two engines carries a tone played at 24 kHz and heard at 16 kHz`, async () => {
      const caller = await engine([codec]);
      const callee = await engine([codec]);
      const pending = caller.offer();
      const { answer, session: b } = await callee.answer(pending.offer.sdp);
      const a = await pending.accept(answer.sdp);
      open.push(a, b);
      expect(a.negotiated.codec.name).toBe(codec);
      b.setOutputRate(16000);
      a.play(tone(1000, 24000, 1500), 24000);
      const { pcm, rate } = await record(b, 600);
      expect(rate).toBe(16000);
      expect(pcm.length % 320).toBe(0);
      expect(detectTone(pcm.subarray(1600), 16000, [400, 700, 1000, 1400])).toBe(1000);
    });
  }

  it('late offer: offer() without a session until accept(answer) — the ACK answer starts the media', async () => {
    const us = await engine(['opus', 'PCMU']);
    const peer = await engine(['PCMU']);
    const pending = us.offer();
    expect(us.ports.inUse).toBe(1);
    const { answer, session: theirs } = await peer.answer(pending.offer.sdp);
    const ours = await pending.accept(answer.sdp);
    open.push(ours, theirs);
    expect(ours.negotiated.codec.name).toBe('PCMU');
    expect(ours.negotiated.telephoneEvent?.clockRate).toBe(8000);
    const digits: string[] = [];
    theirs.on('dtmf', (d) => digits.push(d.digit));
    await ours.sendDtmf('7');
    await until(() => digits.length === 1);
    expect(digits).toEqual(['7']);
  });

  it('answer() releases the port when negotiation fails with NoCommonCodecError', async () => {
    const us = await engine(['G722']);
    const peer = await engine(['PCMA']);
    const pending = peer.offer();
    await expect(us.answer(pending.offer.sdp)).rejects.toBeInstanceOf(NoCommonCodecError);
    expect(us.ports.inUse).toBe(0);
    pending.cancel();
    expect(peer.ports.inUse).toBe(0);
  });

  it('closing a session gives its port back to the engine', async () => {
    const us = await engine(['PCMU']);
    const peer = await engine(['PCMU']);
    const pending = peer.offer();
    const { session } = await us.answer(pending.offer.sdp);
    expect(us.ports.inUse).toBe(1);
    await session.close();
    expect(us.ports.inUse).toBe(0);
    pending.cancel();
  });
});
