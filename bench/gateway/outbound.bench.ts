/**
 * Outbound calls per second through the REST API: POST /v1/calls at a steady rate to a trunk whose
 * carrier is SIPp's built-in uas (answers at once, echoes RTP), an agent that talks for a second
 * and hangs up, and every call's progress on a local status-callback server. A call succeeded when
 * its callback said `completed` with result `hangup` after `answered`. Reported: the rate offered and
 * completed, failures, POST → answered time (median, p99) and the gateway's CPU per call; the same
 * run places calls with SIPp uac → uas (no gateway) at the same rate as the floor of the setup time.
 * Short by default: TG_BENCH_OUT_RATE (calls/s, default 20) and TG_BENCH_OUT_CALLS (default 200).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { BenchResult } from '../run.js';
import { validateConfig } from '../../src/gateway/config/load.js';
import { startGatewayProcess } from '../../src/runtime/gateway-process.js';
import { portBound } from '../../src/loadtest/ports.js';

const RATE = Number(process.env.TG_BENCH_OUT_RATE ?? 20);
const CALLS = Number(process.env.TG_BENCH_OUT_CALLS ?? 200);
const TOKEN = 'bench-token-0123456789abcdef';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

async function untilBound(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!portBound(port, 'udp')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`SIPp did not bind ${port}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** SIPp uac → SIPp uas at RATE: INVITE → 200 times from SIPp's rtt trace (the floor). */
async function baseline(): Promise<{ median: number; p99: number; code: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-out-base-'));
  const uasPort = await freePort();
  const uas = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-nostdin', '-buff_size', '4194304'], { stdio: 'ignore' });
  await untilBound(uasPort, uas);
  const uac = spawn('sipp', ['-sn', 'uac', `127.0.0.1:${uasPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-m', String(CALLS), '-r', String(RATE),
    '-trace_rtt', '-rtt_freq', '1', '-nostdin', '-buff_size', '4194304'], { cwd: dir, stdio: 'ignore' });
  const code = await new Promise<number | null>((r) => uac.on('close', r));
  uas.kill('SIGTERM');
  const f = readdirSync(dir).find((x) => x.endsWith('_rtt.csv'));
  const rtt = f ? readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(';')[1])).filter(Number.isFinite) : [];
  return { median: quantile(rtt, 0.5), p99: quantile(rtt, 0.99), code };
}

export async function run(): Promise<BenchResult[]> {
  const base = await baseline();

  const carrierPort = await freePort();
  const carrier = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(carrierPort), '-mp', String(await freePort()), '-rtp_echo', '-nostdin', '-buff_size', '4194304'], { stdio: 'ignore' });
  await untilBound(carrierPort, carrier);

  const answered = new Map<string, number>();
  const completed = new Map<string, string>();
  const posted = new Map<string, number>();
  let wake: (() => void) | undefined;
  const callbacks = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const b = JSON.parse(Buffer.concat(chunks).toString()) as { id: string; event: string; result?: string; reason?: string };
      if (b.event === 'answered') answered.set(b.id, Date.now());
      if (b.event === 'completed') completed.set(b.id, answered.has(b.id) ? b.result ?? '' : `not answered: ${b.result} (${b.reason})`);
      res.writeHead(200).end();
      wake?.();
    });
  });
  await new Promise<void>((r) => callbacks.listen(0, '127.0.0.1', r));
  const callbackUrl = `http://127.0.0.1:${(callbacks.address() as AddressInfo).port}/`;

  const sipPort = await freePort();
  const config = validateConfig({
    sip: { listen: [{ address: '127.0.0.1', port: sipPort, transport: 'udp' }] },
    drachtio: { embedded: { host: '127.0.0.1', port: 0, secret: 'bench' } },
    trunks: [{
      name: 'carrier', sources: ['127.0.0.1/32'], codecs: ['PCMU'], max_calls: 1000, routes: [{ pattern: '*', agent: 'talker' }],
      outbound: { proxy: `127.0.0.1:${carrierPort}`, from_number: '+14155550100' },
    }],
    agents: { talker: { type: 'module', module: join(import.meta.dirname, 'outbound-agent.ts') } },
    media: { address: '127.0.0.1', port_min: 44000, port_max: 45999 },
    api: { listen: '127.0.0.1:0', token: TOKEN },
  });
  const proc = await startGatewayProcess({ config, logger: pino({ level: 'silent' }), controlPort: 0 });
  const apiPort = proc.gateway.api!.address.port;
  const post = async (): Promise<void> => {
    const t = Date.now();
    const res = await fetch(`http://127.0.0.1:${apiPort}/v1/calls`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+919876543210', trunk: 'carrier', agent: 'talker', status_callback: callbackUrl }),
    });
    const body = await res.json() as { id?: string };
    if (res.status === 202 && body.id) posted.set(body.id, t);
    else completed.set(`refused-${t}-${Math.random()}`, `HTTP ${res.status}`);
  };

  const cpu0 = process.cpuUsage();
  const started = Date.now();
  const posts: Promise<void>[] = [];
  for (let i = 0; i < CALLS; i++) {
    const due = started + (i * 1000) / RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    posts.push(post());
  }
  await Promise.all(posts);
  const postedIn = (Date.now() - started) / 1000;
  const deadline = Date.now() + 60_000;
  while (completed.size < CALLS && Date.now() < deadline) await new Promise<void>((r) => { wake = r; setTimeout(r, 500); });
  const elapsed = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await proc.stop({ graceMs: 1000 });
  carrier.kill('SIGTERM');
  callbacks.close();

  const ok = [...completed.values()].filter((r) => r === 'hangup').length;
  const failed = CALLS - ok;
  const setup = [...posted].flatMap(([id, t]) => (answered.has(id) ? [answered.get(id)! - t] : []));
  const detail = { rate: RATE, calls: CALLS, completed: ok, failed, postedInS: +postedIn.toFixed(1), elapsedS: +elapsed.toFixed(1), talkMs: 1000 };
  return [
    { suite: 'gateway', name: 'outbound calls/s offered, completed with 0 failed', value: failed === 0 ? CALLS / postedIn : 0, unit: 'calls/s', detail },
    { suite: 'gateway', name: 'outbound calls failed', value: failed, unit: 'calls', detail: { outcomes: Object.fromEntries([...new Set(completed.values())].map((r) => [r, [...completed.values()].filter((x) => x === r).length])) } },
    { suite: 'gateway', name: 'outbound POST → answered median', value: quantile(setup, 0.5), unit: 'ms', detail: { samples: setup.length } },
    { suite: 'gateway', name: 'outbound POST → answered p99', value: quantile(setup, 0.99), unit: 'ms' },
    { suite: 'gateway', name: 'INVITE → 200 median, SIPp uac → uas (floor)', value: base.median, unit: 'ms', detail: { p99: base.p99, sippExit: base.code } },
    { suite: 'gateway', name: 'gateway CPU per outbound call (API + SIP + media + agent)', value: ((cpu.user + cpu.system) / 1000) / Math.max(1, ok), unit: 'ms' },
  ];
}
