/**
 * CDRs (src/gateway/cdr): what the SQLite writes cost.
 *  1. The store alone: the four writes of a call (INVITE insert, answer, end, final figures)
 *     committed one by one, against the same writes committed 4 and 100 at a time (what the
 *     store's one-transaction-per-event-loop-turn does under load) — does batching per turn pay?
 *  3. The wall time of each commit on the writer's thread (one call's 4 writes per commit), with
 *     WAL checkpoints on their own thread (checkpointer.ts) and with SQLite's automatic ones, which
 *     run inside the commit that fills the log: the tail (p99.9, max) is what a call waits for.
 *     Once paced (a commit every millisecond, what a busy gateway does) and once back to back
 *     (the worst case: the thread cannot keep up and the writer's bound does the copying).
 *  2. The gateway under SIPp at 300 calls/s (built-in uac, short calls, echo agent, media on the
 *     main thread): the gateway's CPU per call and its event-loop delay with CDRs off and on, in
 *     the same run, alternated.
 * Short by default; TG_BENCH_CDR_SECONDS (per gateway run, default 4) and TG_BENCH_CDR_CALLS
 * (store part, default 20000) for longer ones. The machine is shared: compare within one run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import type { BenchResult } from '../run.js';
import { validateConfig } from '../../src/gateway/config/load.js';
import { CdrStore, type EndColumns } from '../../src/gateway/cdr/store.js';
import { startGatewayProcess } from '../../src/runtime/gateway-process.js';

const RATE = Number(process.env.TG_BENCH_CDR_RATE ?? 300);
const SECONDS = Number(process.env.TG_BENCH_CDR_SECONDS ?? 4);
const STORE_CALLS = Number(process.env.TG_BENCH_CDR_CALLS ?? 20_000);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const END: EndColumns = {
  codec: 'PCMU', answer_at: new Date().toISOString(), end_at: new Date().toISOString(), setup_ms: 40, duration_ms: 30_000, sip_status: null,
  hangup_by: 'caller', hangup_reason: 'caller hung up', transfer_result: null, transfers: null, packets_in: 1500, packets_out: 1500, packets_lost: 0,
  jitter_ms: 1.2, late_frames: 0, dtmf_in: 0, rtt_ms: null, remote_packets_lost: null, input_tokens: null, output_tokens: null, total_tokens: null,
  end_record: JSON.stringify({ event: 'call_end', answered: true, durationMs: 30000, codec: 'PCMU', agent: 'echo', trunk: 'bench', packetsIn: 1500, packetsOut: 1500, hangupBy: 'caller', reason: 'caller hung up' }),
};

function oneCall(s: CdrStore, i: number): void {
  const id = `c${i}`;
  const now = new Date().toISOString();
  s.invited({ id, sip_call_id: `${id}@bench`, direction: 'inbound', trunk: 'bench', from_number: '+919000000001', to_number: '+919876543210', dialled: '919876543210', agent: 'echo', source: '127.0.0.1:5070', invite_at: now });
  s.answered(id, now, 'PCMU');
  s.ending(id, now, 'caller', 'caller hung up');
  s.ended(id, END, null);
}

/** Writes of STORE_CALLS calls, committed every `callsPerCommit` calls (4 writes each); wall and CPU time. */
function storeWrites(callsPerCommit: number): { writesPerSecond: number; usPerCall: number; cpuUsPerCall: number } {
  const s = new CdrStore({ path: join(mkdtempSync(join(tmpdir(), 'tg-bench-cdr-')), 'cdr.sqlite'), instance: 'bench' });
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < STORE_CALLS; i++) {
    oneCall(s, i);
    if ((i + 1) % callsPerCommit === 0) s.flush();
  }
  s.flush();
  const c = process.cpuUsage(c0);
  const ns = Number(process.hrtime.bigint() - t0);
  s.close();
  return { writesPerSecond: (STORE_CALLS * 4) / (ns / 1e9), usPerCall: ns / 1000 / STORE_CALLS, cpuUsPerCall: (c.user + c.system) / STORE_CALLS };
}

/** Every write committed alone (what one transaction per write would cost). */
function storeWritesOneByOne(): { writesPerSecond: number; usPerCall: number; cpuUsPerCall: number } {
  const s = new CdrStore({ path: join(mkdtempSync(join(tmpdir(), 'tg-bench-cdr-')), 'cdr.sqlite'), instance: 'bench' });
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const now = new Date().toISOString();
  for (let i = 0; i < STORE_CALLS; i++) {
    const id = `c${i}`;
    s.invited({ id, sip_call_id: `${id}@bench`, direction: 'inbound', trunk: 'bench', from_number: '+919000000001', to_number: '+919876543210', dialled: '919876543210', agent: 'echo', source: '127.0.0.1:5070', invite_at: now });
    s.flush();
    s.answered(id, now, 'PCMU');
    s.flush();
    s.ending(id, now, 'caller', 'caller hung up');
    s.flush();
    s.ended(id, END, null);
    s.flush();
  }
  const c = process.cpuUsage(c0);
  const ns = Number(process.hrtime.bigint() - t0);
  s.close();
  return { writesPerSecond: (STORE_CALLS * 4) / (ns / 1e9), usPerCall: ns / 1000 / STORE_CALLS, cpuUsPerCall: (c.user + c.system) / STORE_CALLS };
}

/** Each commit's wall time, µs, over STORE_CALLS calls committed one call at a time. */
function commitLatency(checkpointThread: boolean, paceMs = 0): { p50: number; p99: number; p999: number; max: number; walMiB: number } {
  const path = join(mkdtempSync(join(tmpdir(), 'tg-bench-cdr-')), 'cdr.sqlite');
  const s = new CdrStore({ path, instance: 'bench', checkpointThread });
  const us: number[] = [];
  const start = performance.now();
  for (let i = 0; i < STORE_CALLS; i++) {
    oneCall(s, i);
    const t0 = process.hrtime.bigint();
    s.flush();
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
    // Paced: spin to the next commit's time (a timer's millisecond grain is too coarse).
    while (paceMs > 0 && performance.now() < start + (i + 1) * paceMs) { /* pace */ }
  }
  const walMiB = statSync(`${path}-wal`).size / 2 ** 20;
  s.close();
  us.sort((a, b) => a - b);
  const q = (p: number): number => +us[Math.min(us.length - 1, Math.floor(p * us.length))]!.toFixed(1);
  return { p50: q(0.5), p99: q(0.99), p999: q(0.999), max: +us.at(-1)!.toFixed(1), walMiB: +walMiB.toFixed(1) };
}

function runSipp(args: string[], cwd: string): Promise<number | null> {
  const child = spawn('sipp', [...args, '-nostdin', '-buff_size', '4194304'], { cwd, stdio: 'ignore' });
  const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((r) => child.on('close', (code) => { clearTimeout(kill); r(code); }));
}

/** One gateway in this process, CDRs on or off; SIPp calls at RATE for SECONDS; this process's CPU per call. */
async function gatewayRun(cdr: boolean): Promise<{ cpuMsPerCall: number; loopP99Ms: number; calls: number; sippExit: number | null; rows: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-cdr-gw-'));
  const sipPort = await freePort();
  const config = validateConfig({
    sip: { listen: [{ address: '127.0.0.1', port: sipPort, transport: 'udp' }] },
    drachtio: { embedded: { host: '127.0.0.1', port: 0, secret: 'bench' } },
    trunks: [{ name: 'bench', sources: ['127.0.0.1/32'], country_code: '91', max_calls: 5000, routes: [{ pattern: '*', agent: 'echo' }] }],
    media: { address: '127.0.0.1', port_min: 44000, port_max: 45999, workers: 0 },
    edge: { rate_per_second: 100000, burst: 100000 },
    cdr: cdr ? { path: join(dir, 'cdr.sqlite'), instance: 'bench' } : { enabled: false },
  });
  const proc = await startGatewayProcess({ config, logger: pino({ level: 'silent' }), controlPort: 0 });
  const sipp = (calls: number): Promise<number | null> => freePort().then(async (p) => runSipp(['-sn', 'uac', `127.0.0.1:${sipPort}`, '-i', '127.0.0.1', '-p', String(p), '-mp', String(await freePort()),
    '-m', String(calls), '-r', String(RATE), '-d', '200', '-s', '919876543210'], dir));
  await sipp(Math.min(200, RATE)); // warm-up
  const calls0 = proc.gateway.stats().callsTotal;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const code = await sipp(RATE * SECONDS);
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const calls = proc.gateway.stats().callsTotal - calls0;
  await proc.stop({ graceMs: 1000 });
  let rows = 0;
  if (cdr) {
    const s = new CdrStore({ path: join(dir, 'cdr.sqlite'), instance: 'bench-reader' });
    rows = (s.db.prepare("SELECT count(*) AS n FROM cdr WHERE state = 'ended'").get() as { n: number }).n;
    s.close();
  }
  return { cpuMsPerCall: (cpu.user + cpu.system) / 1000 / Math.max(1, calls), loopP99Ms: loop.percentile(99) / 1e6, calls, sippExit: code, rows };
}

export async function run(): Promise<BenchResult[]> {
  const single = storeWritesOneByOne();
  const ten = storeWrites(1);
  const hundred = storeWrites(25);
  // Thread, automatic, thread, automatic: the disk's and the machine's load drift.
  const latency = [commitLatency(true), commitLatency(false), commitLatency(true), commitLatency(false)];
  const paced = [commitLatency(true, 1), commitLatency(false, 1), commitLatency(true, 1), commitLatency(false, 1)];
  // Off, on, off, on: the machine's load drifts; each side is the mean of its two runs.
  const runs = [await gatewayRun(false), await gatewayRun(true), await gatewayRun(false), await gatewayRun(true)];
  const off = (runs[0]!.cpuMsPerCall + runs[2]!.cpuMsPerCall) / 2;
  const on = (runs[1]!.cpuMsPerCall + runs[3]!.cpuMsPerCall) / 2;
  const detail = { rate: RATE, seconds: SECONDS, runs: runs.map((r, i) => ({ cdr: i % 2 === 1, cpuMsPerCall: +r.cpuMsPerCall.toFixed(3), loopP99Ms: +r.loopP99Ms.toFixed(2), calls: r.calls, sippExit: r.sippExit, endedRows: r.rows })) };
  const store = (r: typeof single) => ({ calls: STORE_CALLS, writesPerCall: 4, usPerCall: +r.usPerCall.toFixed(1), cpuUsPerCall: +r.cpuUsPerCall.toFixed(1) });
  return [
    { suite: 'cdr', name: 'store writes/s, one commit per write', value: single.writesPerSecond, unit: 'writes/s', detail: store(single) },
    { suite: 'cdr', name: 'store writes/s, one commit per call (4 writes)', value: ten.writesPerSecond, unit: 'writes/s', detail: store(ten) },
    { suite: 'cdr', name: 'store writes/s, one commit per 25 calls (100 writes)', value: hundred.writesPerSecond, unit: 'writes/s', detail: store(hundred) },
    { suite: 'cdr', name: 'commit wall time p99.9, a commit per ms, checkpoints on their own thread', value: Math.max(paced[0]!.p999, paced[2]!.p999), unit: 'µs', detail: { calls: STORE_CALLS, runs: [paced[0], paced[2]] } },
    { suite: 'cdr', name: 'commit wall time p99.9, a commit per ms, automatic checkpoints inside commits', value: Math.max(paced[1]!.p999, paced[3]!.p999), unit: 'µs', detail: { calls: STORE_CALLS, runs: [paced[1], paced[3]] } },
    { suite: 'cdr', name: 'commit wall time p99.9, back to back, checkpoints on their own thread', value: Math.max(latency[0]!.p999, latency[2]!.p999), unit: 'µs', detail: { calls: STORE_CALLS, runs: [latency[0], latency[2]] } },
    { suite: 'cdr', name: 'commit wall time p99.9, back to back, automatic checkpoints inside commits', value: Math.max(latency[1]!.p999, latency[3]!.p999), unit: 'µs', detail: { calls: STORE_CALLS, runs: [latency[1], latency[3]] } },
    { suite: 'cdr', name: `gateway CPU per call, CDRs off (${RATE} calls/s)`, value: off, unit: 'ms', detail },
    { suite: 'cdr', name: `gateway CPU per call, CDRs on (${RATE} calls/s)`, value: on, unit: 'ms' },
    { suite: 'cdr', name: 'CPU added per call by CDRs', value: on - off, unit: 'ms', detail: { ratio: +(on / off).toFixed(3) } },
    { suite: 'cdr', name: 'event-loop delay p99, CDRs off / on', value: (runs[1]!.loopP99Ms + runs[3]!.loopP99Ms) / Math.max(0.001, runs[0]!.loopP99Ms + runs[2]!.loopP99Ms), unit: 'ratio on/off' },
  ];
}
