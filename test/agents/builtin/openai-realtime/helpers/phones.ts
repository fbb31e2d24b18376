/**
 * Real callers for the Realtime tests: a headless baresip (aufile source, sndfile recorder, so the
 * test reads what the caller heard) and SIPp scenarios (RTP from a PCMU WAV, then BYE or wait for
 * the gateway's BYE).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav, type PcmAudio } from '../../../../../src/agents/builtin/wav.js';
import { freePort } from '../../../../helpers/ports.js';

export interface BaresipResult {
  code: number | null;
  output: string;
  /** What baresip heard (its decoder's output), if it recorded anything. */
  heard: PcmAudio | undefined;
}

/** baresip dials `uri` with `codec` (e.g. 'PCMU/8000/1', 'G722/16000/1'), plays `source` and quits after `seconds`. */
export async function baresipCall(uri: string, source: string, codec: string, seconds: number): Promise<BaresipResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-rt-baresip-'));
  mkdirSync(join(dir, 'rec'));
  const port = await freePort();
  writeFileSync(join(dir, 'config'), [
    'poll_method epoll', `sip_listen 127.0.0.1:${port}`, 'net_interface 127.0.0.1',
    'audio_player aubridge,x', `audio_source aufile,${source}`, 'audio_alert aubridge,x',
    'module_path /usr/lib/baresip/modules', 'module stdio.so', 'module g722.so', 'module g711.so', 'module aufile.so',
    'module aubridge.so', 'module sndfile.so', 'module_app account.so', 'module_app menu.so', `snd_path ${join(dir, 'rec')}`, '',
  ].join('\n'));
  writeFileSync(join(dir, 'accounts'), `<sip:caller@127.0.0.1>;regint=0;audio_codecs=${codec}\n`);
  const child = spawn('baresip', ['-f', dir, '-e', `/dial ${uri}`, '-t', String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const kill = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearTimeout(kill);
  const rec = readdirSync(join(dir, 'rec')).find((f) => f.endsWith('-dec.wav'));
  return { code, output, heard: rec ? readWav(readFileSync(join(dir, 'rec', rec))) : undefined };
}

/** A tone as 16-bit PCM. */
export function tone(ms: number, rate: number, hz: number, amp = 8000): Int16Array {
  const n = Math.round((ms * rate) / 1000);
  return Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate)));
}

/** Little-endian bytes of PCM (the API's audio/pcm). */
export function pcmBytes(pcm: Int16Array): Buffer {
  const b = Buffer.alloc(pcm.length * 2);
  pcm.forEach((v, i) => b.writeInt16LE(v, i * 2));
  return b;
}

/** RMS per `windowMs` window. */
export function rmsWindows(pcm: Int16Array, rate: number, windowMs = 20): number[] {
  const w = Math.round((rate * windowMs) / 1000);
  const out: number[] = [];
  for (let off = 0; off + w <= pcm.length; off += w) {
    let sum = 0;
    for (let i = off; i < off + w; i++) sum += pcm[i]! * pcm[i]!;
    out.push(Math.sqrt(sum / w));
  }
  return out;
}

/**
 * Power of `hz` in each window (Goertzel), normalised by the window's energy: ≈ 1 where the
 * window is that tone, ≈ 0 where it is silence or something else.
 */
export function toneShare(pcm: Int16Array, rate: number, hz: number, windowMs = 20): number[] {
  const w = Math.round((rate * windowMs) / 1000);
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  const out: number[] = [];
  for (let off = 0; off + w <= pcm.length; off += w) {
    let s1 = 0;
    let s2 = 0;
    let energy = 0;
    for (let i = off; i < off + w; i++) {
      const x = pcm[i]!;
      energy += x * x;
      const s0 = x + k * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const power = s1 * s1 + s2 * s2 - k * s1 * s2;
    out.push(energy > 0 ? (2 * power) / (w * energy) : 0);
  }
  return out;
}

/** espeak-ng speech at `rate`, 16-bit, after `leadIn` s of silence and `tail` s after it (aufile hangs up at the end of its file). */
export function speechFile(dir: string, rate: number, leadIn: number, tail: number, text = 'Hello, I would like to know the opening hours of your shop please.'): string {
  const raw = join(dir, `speech-${rate}-${leadIn}-${tail}.raw.wav`);
  const out = join(dir, `speech-${rate}-${leadIn}-${tail}.wav`);
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', raw, text]);
  execFileSync('sox', [raw, '-r', String(rate), '-c', '1', '-b', '16', '-e', 'signed-integer', out, 'pad', String(leadIn), String(tail)]);
  return out;
}
