/**
 * The built bin (`node dist/cli.js`, run `npm run build` first) in a child process for the CDR
 * tests: its JSON log lines, a wait for a named line, and the config of a gateway with CDRs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, freePortRange } from '../../helpers/ports.js';

export const cli = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));

/** A user's environment: none of vitest's variables. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  return { ...env, TRUNKGATE_LOG_LEVEL: 'info', TRUNKGATE_LOG_FORMAT: 'json', ...extra };
}

export interface BinProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  /** Resolves with the first line (already seen or to come) that `match` accepts; rejects if the process exits first. */
  waitFor(match: (l: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function startBin(args: string[], cwd: string): BinProcess {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: userEnv() });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }>();
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      if (!p) continue;
      const line = JSON.parse(p) as Record<string, unknown>;
      lines.push(line);
      for (const w of waiters) if (w.match(line)) { waiters.delete(w); w.resolve(line); }
    }
  });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return {
    child, lines, exited,
    waitFor(match, what) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.add({ match, resolve });
        void exited.then((e) => reject(new Error(`gateway exited (${e.code ?? e.signal}) before ${what}: ${e.stderr.slice(-800)}`)));
      });
    },
  };
}

/** Runs the bin to its end (e.g. `cdr --format json`). */
export function runBin(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: userEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export interface GatewayFolder {
  dir: string;
  config: string;
  sip: number;
  db: string;
}

/** A folder with a gateway config (echo agent, one trunk for 127.0.0.1) whose CDRs go to `cdr.sqlite` there. */
export async function gatewayFolder(options: { mediaPorts?: number; cdr?: string } = {}): Promise<GatewayFolder> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-cdr-'));
  const sip = await freePort();
  const control = await freePort();
  const media = await freePortRange(options.mediaPorts ?? 40);
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, `sip: { listen: [{ address: 127.0.0.1, port: ${sip}, transport: udp }] }
drachtio: { embedded: { host: 127.0.0.1, port: ${control}, secret: s } }
trunks:
  - name: carrier
    sources: [127.0.0.1/32]
    routes: [{ pattern: "*", agent: echo }]
media: { address: 127.0.0.1, port_min: ${media.min}, port_max: ${media.max}, workers: 0 }
shutdown: { grace_seconds: 1 }
cdr: ${options.cdr ?? '{ path: ./cdr.sqlite, instance: test-instance }'}
`);
  return { dir, config, sip, db: join(dir, 'cdr.sqlite') };
}

export const isStartup = (l: Record<string, unknown>): boolean => l.event === 'startup';
