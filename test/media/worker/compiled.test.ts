import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { mediaWorkerEntry } from '../../../src/media/worker/worker-entry.js';
import { GATEWAY_NODE_FLAGS } from '../../../src/runtime/node-flags.js';
import { freePortRange } from '../../helpers/ports.js';
import { udpPeer, until } from '../session/helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// Inside the checkout (gitignored .tmp/), so the compiled modules find node_modules as dist/ does.
mkdirSync(join(ROOT, '.tmp'), { recursive: true }); // absent in a fresh clone
const OUT = mkdtempSync(join(ROOT, '.tmp', 'worker-dist-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('media worker entry', () => {
  it('from source (.ts) starts media-worker.ts behind the tsx bootstrap; compiled (.js) starts media-worker.js as is', () => {
    const src = mediaWorkerEntry(pathToFileURL(join(ROOT, 'src/media/worker/worker-entry.ts')).href);
    expect(src.eval).toBe(true);
    expect(src.source).toContain('media-worker.ts');
    const built = mediaWorkerEntry('file:///opt/trunkgate/dist/media/worker/worker-entry.js');
    expect(built).toMatchObject({ source: new URL('file:///opt/trunkgate/dist/media/worker/media-worker.js'), eval: false });
    expect(built.execArgv.some((a) => a.startsWith('--input-type'))).toBe(false);
  });

  it('the compiled pool (as in dist/, plain node, no tsx) hosts a session that sends RTP', async () => {
    await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsc'), [
      '--outDir', OUT, '--rootDir', join(ROOT, 'src'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022',
      '--strict', '--skipLibCheck', '--types', 'node', join(ROOT, 'src/media/worker/index.ts'), join(ROOT, 'src/media/worker/media-worker.ts'),
    ], { cwd: ROOT, timeout: 120_000 });
    expect(existsSync(join(OUT, 'media/worker/media-worker.js'))).toBe(true);

    const rx = await udpPeer();
    const range = await freePortRange(2);
    const script = `
      const { MediaWorkerPool, RemoteMediaSession } = await import(${JSON.stringify(pathToFileURL(join(OUT, 'media/worker/index.js')).href)});
      const { PortAllocator } = await import(${JSON.stringify(pathToFileURL(join(OUT, 'media/ports.js')).href)});
      const pool = new MediaWorkerPool({ workers: 1 });
      const ports = new PortAllocator({ min: ${range.min}, max: ${range.max} });
      const s = await pool.create({ lease: ports.allocate(), localAddress: '127.0.0.1', negotiated: {
        codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 }, ptime: 20, direction: 'sendrecv', remoteDirection: 'sendrecv',
        remoteHold: false, remote: { address: '127.0.0.1', port: ${rx.port} }, remoteRtcp: { address: '127.0.0.1', port: ${rx.port + 1} }, rtcpMux: false } });
      // the parent says when its receiver has seen frames from the worker
      await new Promise((resolve) => process.stdin.once('data', resolve));
      await s.close();
      process.stdout.write(JSON.stringify({ remote: s instanceof RemoteMediaSession, packetsOut: s.stats().packetsOut, portsInUse: ports.inUse }));
      await pool.close();
    `;
    // Plain node: no tsx loader anywhere in the child (the worker runs compiled JS); with the gateway's
    // V8 heap flags, which workers must not inherit (they refuse them in execArgv).
    const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const closed = new Promise<number | null>((r) => child.on('close', r));
    await until(() => rx.packets.length >= 6 || child.exitCode !== null, 60_000);
    child.stdin.end('go\n');
    const code = await closed;
    expect(code, err).toBe(0);
    expect(out).not.toMatch(/not valid for worker threads/);
    const result = JSON.parse(out) as { remote: boolean; packetsOut: number; portsInUse: number };
    expect(result.remote).toBe(true);
    expect(result.packetsOut).toBeGreaterThan(5);
    expect(result.portsInUse).toBe(0);
    await until(() => rx.packets.length >= result.packetsOut);
    expect(rx.packets.length).toBe(result.packetsOut);
    await rx.close();
  }, 180_000);
});
