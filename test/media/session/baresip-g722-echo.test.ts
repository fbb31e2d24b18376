/**
 * Interop with a real SIP phone: baresip calls an echo endpoint (trunkgate SipStack +
 * MediaEngine, G.722 only) playing a 16 kHz speech WAV through its aufile source, records what it
 * hears with the sndfile module, and what it recorded must match what it sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crossCorrelate, rms } from '../../../src/media/dsp/analysis.js';
import { MediaEngine } from '../../../src/media/session/engine.js';
import type { MediaSession } from '../../../src/media/session/types.js';
import { SipStack, createResponse } from '../../../src/sip/index.js';
import { freePort, freePortRange } from '../../helpers/ports.js';
import { LO } from './helpers.js';

/** 16-bit PCM samples and rate of a WAV file (walks the RIFF chunks). */
function readWav(path: string): { pcm: Int16Array; rate: number } {
  const buf = readFileSync(path);
  let rate = 0;
  for (let pos = 12; pos + 8 <= buf.length;) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    if (id === 'fmt ') rate = buf.readUInt32LE(pos + 12);
    if (id === 'data') {
      const data = buf.subarray(pos + 8, Math.min(buf.length, pos + 8 + size));
      const pcm = new Int16Array(data.length >> 1);
      for (let i = 0; i < pcm.length; i++) pcm[i] = data.readInt16LE(i * 2);
      return { pcm, rate };
    }
    pos += 8 + size + (size & 1);
  }
  throw new Error(`no data chunk in ${path}`);
}

describe('baresip G.722 call into a MediaSession echo', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-baresip-'));
    execFileSync('espeak-ng', ['-w', join(dir, 'speech22k.wav'), 'Hello, this is trunkgate. One two three four five six.']);
    // 16 kHz mono 16-bit (G.722's rate), padded with silence: aufile hangs up at end of file.
    execFileSync('sox', [join(dir, 'speech22k.wav'), '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', join(dir, 'in.wav'), 'pad', '0.5', '2.5']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('what baresip records matches what it sent (windowed normalized cross-correlation ≥ 0.9)', async () => {
    const sipPort = await freePort();
    const phonePort = await freePort();
    const phoneRtp = await freePortRange(10);
    const engine = new MediaEngine({ localAddress: LO, ports: await freePortRange(4), codecs: ['G722'] });
    const stack = new SipStack({ listen: [{ protocol: 'udp', address: LO, port: sipPort }] });
    await stack.start();
    let session: MediaSession | undefined;
    let codec: string | undefined;
    stack.onRequest((req) => {
      const m = req.message;
      if (m.method === 'INVITE') {
        void engine.answer(m.body.toString()).then(({ answer, session: s }) => {
          session = s;
          codec = s.negotiated.codec.name;
          s.on('audio', (f) => s.play(f.samples, f.sampleRate));
          stack.respond(req.transaction, createResponse(m, 200, 'OK', {
            body: answer.sdp,
            headers: [{ name: 'Contact', value: stack.contact('udp') }, { name: 'Content-Type', value: 'application/sdp' }],
          }));
        }, () => stack.respond(req.transaction, createResponse(m, 488)));
      } else if (m.method === 'BYE') {
        stack.respond(req.transaction, createResponse(m, 200));
        void session?.close('bye');
      } else {
        stack.respond(req.transaction, createResponse(m, 200));
      }
    });

    const conf = join(dir, 'conf');
    execFileSync('mkdir', ['-p', conf]);
    writeFileSync(join(conf, 'config'), [
      `sip_listen ${LO}:${phonePort}`,
      `net_interface ${LO}`,
      'module_path /usr/lib/baresip/modules',
      'module g722.so',
      'module aufile.so',
      'module sndfile.so',
      'module aubridge.so',
      'module account.so',
      'module menu.so',
      `audio_source aufile,${join(dir, 'in.wav')}`,
      'audio_player aubridge,nil',
      'audio_alert aubridge,nil',
      `snd_path ${dir}`,
      `rtp_ports ${phoneRtp.min}-${phoneRtp.max}`,
      '',
    ].join('\n'));
    writeFileSync(join(conf, 'accounts'), `<sip:phone@${LO}:${phonePort}>;regint=0;audio_codecs=G722/16000/1\n`);

    const phone = spawn('baresip', ['-f', conf, '-e', `/dial sip:echo@${LO}:${sipPort}`, '-t', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    phone.stdout.on('data', (d: Buffer) => { log += d.toString(); });
    phone.stderr.on('data', (d: Buffer) => { log += d.toString(); });
    try {
      await new Promise<void>((resolve) => phone.on('close', () => resolve()));
    } finally {
      phone.kill('SIGKILL');
      await session?.close();
      await stack.close();
    }
    expect(codec, log.slice(-3000)).toBe('G722');
    const dec = readdirSync(dir).find((f) => f.startsWith('dump') && f.endsWith('-dec.wav'));
    expect(dec, log.slice(-3000)).toBeDefined();
    const sent = readWav(join(dir, 'in.wav'));
    const heard = readWav(join(dir, dec!));
    expect(heard.rate).toBe(16000);
    // Overall delay from the first 2 s (capped search keeps the test fast), then 250 ms windows.
    const whole = crossCorrelate(sent.pcm.subarray(0, 32000), heard.pcm, 4000);
    const window = 4000;
    const scores: number[] = [];
    for (let start = 0; start + window <= sent.pcm.length; start += window) {
      const ref = sent.pcm.subarray(start, start + window);
      if (rms(ref) < 500) continue;
      const from = Math.max(0, start + whole.lag - 1600);
      scores.push(crossCorrelate(ref, heard.pcm.subarray(from, Math.min(heard.pcm.length, start + whole.lag + window + 1600)), 3200).correlation);
    }
    if (process.env.TG_VERBOSE) console.log({ whole, scores, stats: session?.stats() });
    expect(scores.length).toBeGreaterThan(5);
    expect(scores.filter((c) => c >= 0.9).length / scores.length).toBeGreaterThanOrEqual(0.9);
  }, 60_000);
});
