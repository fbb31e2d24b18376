import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../helpers/ports.js';

const TMP = resolve('.tmp');

/**
 * A headless baresip call (aufile source, sndfile recorder in DIR/rec) that dials `uri` and quits after
 * `seconds`: UDP or TLS (trusting `cafile`), SRTP as `mediaenc` says (srtp, srtp-mand), one codec.
 */
export async function baresipCall(uri: string, source: string, codec: string, mediaenc: string | undefined, seconds: number, cafile?: string): Promise<{ dir: string; code: number | null; output: string }> {
  const dir = (mkdirSync(TMP, { recursive: true }), mkdtempSync(join(TMP, 'baresip-')));
  mkdirSync(join(dir, 'rec'));
  const port = await freePort();
  writeFileSync(join(dir, 'config'), [
    'poll_method epoll', `sip_listen 127.0.0.1:${port}`, 'net_interface 127.0.0.1', 'sip_transports udp,tls', ...(cafile ? [`sip_cafile ${cafile}`] : []),
    'audio_player aubridge,x', `audio_source aufile,${source}`, 'audio_alert aubridge,x',
    'module_path /usr/lib/baresip/modules', 'module stdio.so', 'module g722.so', 'module g711.so', 'module aufile.so', 'module srtp.so',
    'module aubridge.so', 'module sndfile.so', 'module_app account.so', 'module_app menu.so', `snd_path ${join(dir, 'rec')}`, '',
  ].join('\n'));
  writeFileSync(join(dir, 'accounts'), `<sip:caller@127.0.0.1>;regint=0;audio_codecs=${codec}${mediaenc ? `;mediaenc=${mediaenc}` : ''}\n`);
  const child = spawn('baresip', ['-f', dir, '-e', `/dial ${uri}`, '-t', String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const kill = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearTimeout(kill);
  return { dir, code, output };
}

