import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, freePortRange } from '../helpers/ports.js';

const entry = fileURLToPath(new URL('../../src/runtime/start-command.ts', import.meta.url));

function runEntry(args: string[], onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRUNKGATE_LOG_LEVEL: 'info' } });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); onStdout?.(stdout, (sig) => child.kill(sig)); });
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => child.on('close', (code) => { clearTimeout(kill); resolve({ code, stderr, stdout }); }));
}

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tg-cfg-')), 'bad.yaml');
  writeFileSync(file, text);
  return file;
}

describe('the gateway process entry with a broken configuration', () => {
  it('exits non-zero and names the file and the field path of an invalid CIDR', async () => {
    const file = configFile(`trunks:
  - name: carrier
    sources: [203.0.113.0/33]
    routes: [{ pattern: "*", agent: echo }]
`);
    const r = await runEntry(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('trunks[0].sources[0]');
    const fatal = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { code?: string; issues?: { path: string }[] }).find((l) => l.code);
    expect(fatal?.code).toBe('CONFIG_INVALID');
    expect(fatal?.issues?.map((i) => i.path)).toEqual(['trunks[0].sources[0]']);
  }, 40_000);

  it('exits non-zero on YAML that does not parse', async () => {
    const r = await runEntry(['--config', configFile('trunks: [ {name: x\n')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('CONFIG_YAML');
  }, 40_000);

  it('exits non-zero when the file does not exist', async () => {
    const r = await runEntry(['--config', join(tmpdir(), 'no-such-trunkgate-config.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('CONFIG_UNREADABLE');
  }, 40_000);
});

describe('the gateway process entry with a good configuration', () => {
  it('starts, and on SIGTERM stops and exits 0', async () => {
    const sip = await freePort();
    const control = await freePort();
    const media = await freePortRange(20);
    const file = configFile(`sip: { listen: [{ address: 127.0.0.1, port: ${sip}, transport: udp }] }
drachtio: { embedded: { host: 127.0.0.1, port: ${control}, secret: s } }
trunks: [{ name: t, sources: [127.0.0.1/32], routes: [{ pattern: "*", agent: echo }] }]
media: { address: 127.0.0.1, port_min: ${media.min}, port_max: ${media.max} }
shutdown: { grace_seconds: 5 }
`);
    let signalled = false;
    const r = await runEntry(['--config', file], (out, kill) => {
      if (!signalled && out.includes('connected to drachtio server')) { signalled = true; kill('SIGTERM'); }
    });
    expect(signalled).toBe(true);
    expect(r.code).toBe(0);
  }, 40_000);
});
