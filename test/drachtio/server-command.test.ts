import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import Srf from 'drachtio-srf';
import { freePort } from '../helpers/ports.js';

describe('runServerCommand (trunkgate server)', () => {
  it('serves drachtio-srf on the control port and closes on SIGTERM', async () => {
    const [sipPort, controlPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./helpers/server-command-child.ts', import.meta.url).pathname,
      String(sipPort), String(controlPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      const srf: any = new Srf();
      const hostport = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no connect')), 20_000);
        srf.on('connect', (err: Error | null, hp: string) => { clearTimeout(t); if (err) reject(err); else resolve(hp); });
        srf.on('error', () => { /* retried until the child listens */ });
        srf.connect({ host: '127.0.0.1', port: controlPort, secret: 'cymru' });
      });
      expect(hostport).toBe(`udp/127.0.0.1:${sipPort},tcp/127.0.0.1:${sipPort}`);
      srf.disconnect();
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
      expect(out).toContain('closed');
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect(controlPort, '127.0.0.1');
        s.once('error', () => resolve(true));
        s.once('connect', () => { s.destroy(); resolve(false); });
      });
      expect(refused).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
