/**
 * Real audio end to end: SIPp places a call with a PCMU offer and streams speech (espeak-ng →
 * sox u-law WAV) with rtp_stream; trunkgate's SipStack answers with negotiateAnswer's SDP and a
 * MediaSession wired as an echo. SIPp does not read RTP, so the test taps what the session sends
 * and compares it with the WAV SIPp streamed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RtpPacket } from 'werift-rtp';
import { createCodec } from '../../../src/media/codecs/index.js';
import { crossCorrelate, rms } from '../../../src/media/dsp/analysis.js';
import { negotiateAnswer } from '../../../src/media/sdp/negotiate.js';
import { createMediaSession } from '../../../src/media/session/session.js';
import type { MediaSession } from '../../../src/media/session/types.js';
import { SipStack, createResponse } from '../../../src/sip/index.js';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { allocator, LO } from './helpers.js';

const scenario = fileURLToPath(new URL('../fixtures/uac-pcmu-rtp-stream.xml', import.meta.url));

/** The u-law samples of a WAV's data chunk (walks the RIFF chunks; sox writes fmt + fact + data). */
function wavData(buf: Buffer): Buffer {
  for (let pos = 12; pos + 8 <= buf.length;) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    if (id === 'data') return buf.subarray(pos + 8, pos + 8 + size);
    pos += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

describe('MediaSession echo with SIPp rtp_stream (PCMU)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-echo-'));
    execFileSync('espeak-ng', ['-w', join(dir, 'speech22k.wav'), 'Hello, this is trunkgate. One two three four five six.']);
    execFileSync('sox', [join(dir, 'speech22k.wav'), '-r', '8000', '-c', '1', '-e', 'u-law', join(dir, 'speech.wav')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('echoes the streamed speech back: normalized cross-correlation with what SIPp sent ≥ 0.9', async () => {
    const sipPort = await freePort();
    const sippPort = await freePort();
    const mediaPort = await sippMediaPort();
    const ports = await allocator();
    const stack = new SipStack({ listen: [{ protocol: 'udp', address: LO, port: sipPort }] });
    await stack.start();
    const sentPayloads: Buffer[] = [];
    let session: MediaSession | undefined;
    let answered = false;
    const closed = new Promise<void>((resolve) => {
      stack.onRequest((req) => {
        const m = req.message;
        if (m.method === 'INVITE') {
          const lease = ports.allocate();
          const answer = negotiateAnswer(m.body.toString(), { codecs: ['PCMU', 'PCMA'], localAddress: LO, localPort: lease.port, dtmf: true });
          void createMediaSession({
            lease, negotiated: answer, localAddress: LO,
            tap: (dir, pkt) => { if (dir === 'out' && (pkt[1]! & 0x7f) === 0) sentPayloads.push(RtpPacket.deSerialize(pkt).payload); },
          }).then((s) => {
            session = s;
            s.on('audio', (f) => s.play(f.samples, f.sampleRate));
            const res = createResponse(m, 200, 'OK', {
              body: answer.sdp,
              headers: [{ name: 'Contact', value: stack.contact('udp') }, { name: 'Content-Type', value: 'application/sdp' }],
            });
            stack.respond(req.transaction, res);
            answered = true;
          });
        } else if (m.method === 'BYE') {
          stack.respond(req.transaction, createResponse(m, 200));
          void session?.close('bye').then(() => resolve());
        } else {
          stack.respond(req.transaction, createResponse(m, 405));
        }
      });
    });

    try {
      const result = await runSipp({
        args: ['-sf', scenario, `${LO}:${sipPort}`, '-i', LO, '-p', String(sippPort), '-mp', String(mediaPort), '-m', '1', '-timeout', '30s'],
        cwd: dir,
        timeoutMs: 40_000,
      });
      expect(answered).toBe(true);
      expect(result.code, result.errors || result.stdout.slice(-2000)).toBe(0);
      await closed;
    } finally {
      await session?.close();
      await stack.close();
    }

    const stats = session!.stats();
    expect(stats.latchedSource?.address).toBe(LO);
    expect(stats.packetsIn).toBeGreaterThan(150);

    const ulaw = createCodec('PCMU');
    const sent = ulaw.decode(wavData(readFileSync(join(dir, 'speech.wav'))));
    const echoed = ulaw.decode(Buffer.concat(sentPayloads));
    // The echo is the input delayed by the adaptive jitter buffer (its depth may change during the
    // call on this busy machine, which shifts the delay): correlate each 250 ms window of speech
    // with the echo around the overall lag.
    const whole = crossCorrelate(sent, echoed, 2000);
    const window = 2000;
    const scores: number[] = [];
    for (let start = 0; start + window <= sent.length; start += window) {
      const ref = sent.subarray(start, start + window);
      if (rms(ref) < 500) continue; // silence between words says nothing
      const from = Math.max(0, start + whole.lag - 800);
      const seg = echoed.subarray(from, Math.min(echoed.length, start + whole.lag + window + 800));
      scores.push(crossCorrelate(ref, seg, 1600).correlation);
    }
    if (process.env.TG_VERBOSE) console.log({ whole, scores, stats });
    expect(scores.length).toBeGreaterThan(5);
    const good = scores.filter((c) => c >= 0.9).length;
    expect(good / scores.length).toBeGreaterThanOrEqual(0.9);
  }, 60_000);
});
