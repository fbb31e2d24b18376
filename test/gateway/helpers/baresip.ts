import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav, type PcmAudio } from '../../../src/agents/builtin/wav.js';
import { udpPortFree } from '../../../src/loadtest/ports.js';
import { freePort } from '../../helpers/ports.js';

export interface BaresipOptions {
  /** WAV played as the microphone (its rate must match the codec: 16 kHz for G.722, 8 kHz for G.711). */
  source: string;
  /** e.g. 'G722/16000/1' or 'PCMU/8000/1'. */
  codecs: string;
  /** User part of the account (and of the address others dial). */
  user: string;
  /** Quit after this many seconds. */
  seconds: number;
  /** Dial this URI at start (a caller); without it baresip waits and answers (a human). */
  dial?: string;
  /** SRTP with SDES: 'srtp' (optional) or 'srtp-mand' (mandatory). */
  mediaenc?: 'srtp' | 'srtp-mand';
  /** Listen for SIP over TLS too with this PEM (certificate then key); `uri` is then the TLS one. */
  tlsCertificate?: string;
  /**
   * false: no jitter buffer (`jitter_buffer_delay 0-0`). baresip 1.0's buffer does not start over
   * when the sender's SSRC changes: it drops the new stream ("… dropping … (Connection timed out)")
   * while its sequence numbers are below the old stream's, which RFC 3550 §8.2 does not ask of a
   * receiver. A phone that takes a new source as it comes is what these tests need.
   */
  jitterBuffer?: boolean;
}

export interface Baresip {
  /** The URI others dial to reach it. */
  uri: string;
  dir: string;
  done: Promise<{ code: number | null; output: string }>;
  /** What it heard (sndfile's decoded recording), after `done`. */
  heard(): PcmAudio | undefined;
  kill(): void;
}

/** A headless baresip on 127.0.0.1: aufile source, sndfile recorder; dials or auto-answers. */
export async function startBaresip(o: BaresipOptions): Promise<Baresip> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-baresip-'));
  mkdirSync(join(dir, 'rec'));
  const port = await freePort();
  writeFileSync(join(dir, 'config'), [
    'poll_method epoll', `sip_listen 127.0.0.1:${port}`, 'net_interface 127.0.0.1',
    ...(o.tlsCertificate ? ['sip_transports udp,tls', `sip_certificate ${o.tlsCertificate}`] : []), ...(o.mediaenc ? ['module srtp.so'] : []),
    'audio_player aubridge,x', `audio_source aufile,${o.source}`, 'audio_alert aubridge,x',
    'module_path /usr/lib/baresip/modules', 'module stdio.so', 'module g722.so', 'module g711.so', 'module aufile.so',
    'module aubridge.so', 'module sndfile.so', 'module_app account.so', 'module_app menu.so', `snd_path ${join(dir, 'rec')}`,
    ...(o.jitterBuffer === false ? ['jitter_buffer_delay 0-0'] : []), '',
  ].join('\n'));
  writeFileSync(join(dir, 'accounts'), `<sip:${o.user}@127.0.0.1:${port}>;regint=0;answermode=auto;audio_codecs=${o.codecs}${o.mediaenc ? `;mediaenc=${o.mediaenc}` : ''}\n`);
  const args = ['-f', dir, ...(o.dial ? ['-e', `/dial ${o.dial}`] : []), '-t', String(o.seconds)];
  const child: ChildProcess = spawn('baresip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const killTimer = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 15) * 1000);
  const done = new Promise<{ code: number | null; output: string }>((r) => child.on('close', (code) => { clearTimeout(killTimer); r({ code, output }); }));
  if (!o.dial) {
    // A human must be listening before anyone dials it: wait until its SIP port is bound.
    const until = Date.now() + 10_000;
    while (await udpPortFree(port) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    // baresip listens for TLS on the next port.
    while (o.tlsCertificate && !(await tcpListening(port + 1)) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }
  return {
    uri: o.tlsCertificate ? `sip:${o.user}@127.0.0.1:${port + 1};transport=tls` : `sip:${o.user}@127.0.0.1:${port}`,
    dir,
    done,
    heard() {
      const rec = readdirSync(join(dir, 'rec')).find((f) => f.endsWith('-dec.wav'));
      return rec ? readWav(readFileSync(join(dir, 'rec', rec))) : undefined;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

function tcpListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}
