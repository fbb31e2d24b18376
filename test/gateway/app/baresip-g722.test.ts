import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/agents/builtin/wav.js';
import { freePort } from '../../helpers/ports.js';
import { correlateWithLag, median, speechWav, windowedCorrelation } from '../helpers/audio.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

/** A headless baresip (aufile source, sndfile recorder) that dials `uri` and quits after `seconds`. */
async function baresipCall(uri: string, source: string, seconds: number): Promise<{ dir: string; code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-baresip-'));
  mkdirSync(join(dir, 'rec'));
  const port = await freePort();
  writeFileSync(join(dir, 'config'), [
    'poll_method epoll', `sip_listen 127.0.0.1:${port}`, 'net_interface 127.0.0.1',
    'audio_player aubridge,x', `audio_source aufile,${source}`, 'audio_alert aubridge,x',
    'module_path /usr/lib/baresip/modules', 'module stdio.so', 'module g722.so', 'module g711.so', 'module aufile.so',
    'module aubridge.so', 'module sndfile.so', 'module_app account.so', 'module_app menu.so', `snd_path ${join(dir, 'rec')}`, '',
  ].join('\n'));
  writeFileSync(join(dir, 'accounts'), '<sip:caller@127.0.0.1>;regint=0;audio_codecs=G722/16000/1\n');
  const child = spawn('baresip', ['-f', dir, '-e', `/dial ${uri}`, '-t', String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const kill = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearTimeout(kill);
  return { dir, code, output };
}

describe('a G.722 call from baresip to the echo agent', () => {
  it('is answered with G.722 and what baresip hears correlates with what it sent (median NCC per 250 ms window ≥ 0.9)', async () => {
    // aufile ends the call at the end of the file: 0.5 s lead-in, speech, 2 s of silence for the echo tail.
    const source = speechWav('g722-test', 'Testing the wideband path. One two three four five six seven.', 16000, 'signed-integer', 2);
    gw = await startTestGateway({ trunk: { codecs: ['G722', 'PCMU'] } });
    const r = await baresipCall(`sip:919876543210@127.0.0.1:${gw.sipPort}`, source, 12);
    await gw.waitIdle();
    const answered = gw.logs().find((l) => l.event === 'call_answered');
    expect(answered, r.output).toMatchObject({ codec: 'G722' });
    const end = gw.logs().find((l) => l.event === 'call_end');
    expect(end).toMatchObject({ hangupBy: 'caller' });

    const rec = readdirSync(join(r.dir, 'rec')).find((f) => f.endsWith('-dec.wav'));
    expect(rec, r.output).toBeDefined();
    const heard = readWav(readFileSync(join(r.dir, 'rec', rec!)));
    const sent = readWav(readFileSync(source));
    expect(heard.sampleRate).toBe(16000);
    const whole = correlateWithLag(sent.samples, heard.samples, 16000 * 2);
    const windows = windowedCorrelation(sent.samples, heard.samples, 4000, 16000 * 2);
    const detail = JSON.stringify({ whole, windows: windows.map((w) => Math.round(w.ncc * 1000) / 1000) });
    expect(windows.length).toBeGreaterThanOrEqual(4);
    expect(median(windows.map((w) => w.ncc)), detail).toBeGreaterThanOrEqual(0.9);
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);
  }, 60_000);
});
