/**
 * The cost of the metrics (issue 15 item 3): CPU per /metrics scrape (the registry rendered to
 * Prometheus text, and the whole HTTP request through the ops listener) with the series a busy
 * gateway has, against a registry with Node's default metrics alone in the same run; and the cost
 * the gateway pays per call (observer at call end) and per SIP message (the transport tap).
 * Short by default; TG_BENCH_SCRAPES / TG_BENCH_TRUNKS for longer or wider runs.
 */
import { pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { BenchResult } from '../run.js';
import type { Call } from '../../src/gateway/app/call.js';
import type { CallEndRecord } from '../../src/gateway/app/observer.js';
import { createGatewayMetrics } from '../../src/gateway/metrics/gateway-metrics.js';
import { startOpsServer } from '../../src/gateway/metrics/http-server.js';

const SCRAPES = Number(process.env.TG_BENCH_SCRAPES ?? 200);
const TRUNKS = Number(process.env.TG_BENCH_TRUNKS ?? 20);
const CALLS = 20_000;
const SIP_MESSAGES = 200_000;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Per-iteration CPU µs of `fn`, after a warm-up. */
async function perOp(n: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, n); i++) await fn();
  const start = cpuMs();
  for (let i = 0; i < n; i++) await fn();
  return ((cpuMs() - start) * 1000) / n;
}

function fakeCall(trunk: string, i: number): Call {
  return {
    info: { trunk }, target: 'echo', endFields: { direction: i % 4 === 0 ? 'outbound' : 'inbound' },
    transfers: i % 10 === 0 ? [{ result: 'transferred', method: 'bridge', ms: 1 }] : [],
  } as unknown as Call;
}

function endRecord(trunk: string, i: number): CallEndRecord {
  return {
    event: 'call_end', trunk, answered: i % 7 !== 0, durationMs: 1000 + (i % 600) * 1000, setupMs: 50 + (i % 40) * 10,
    hangupBy: i % 3 === 0 ? 'gateway' : 'caller', reason: 'x', endCause: i % 3 === 0 ? 'rtp_timeout' : undefined,
    packetsIn: 3000, packetsOut: 3000, packetsLost: i % 5, lateFrames: i % 2, jitterMs: (i % 30) / 3,
    ...(i % 7 === 0 ? { sipStatus: 487 } : {}),
  };
}

export async function run(): Promise<BenchResult[]> {
  const metrics = createGatewayMetrics({ mediaWorkers: () => [0, 1].map((index) => ({ index, threadId: index, sessions: 100, eventLoop: { activeMs: Date.now() % 1000, idleMs: 1000 }, tid: undefined, priority: undefined })) });
  const trunks = Array.from({ length: TRUNKS }, (_, i) => `trunk-${i}`);
  // Per call: callStarted + callEnded (the observer's work at the end of each call).
  const perCallUs = await perOp(CALLS, (() => {
    let i = 0;
    return () => {
      const t = trunks[i % trunks.length]!;
      const call = fakeCall(t, i);
      metrics.observer.callStarted!(call);
      metrics.observer.callEnded!(call, endRecord(t, i));
      if (i % 11 === 0) metrics.observer.callRefused!({ callId: String(i), trunk: t, reason: 'over_capacity', status: 503 });
      i++;
    };
  })());
  const methods = ['INVITE', 'ACK', 'BYE', 'OPTIONS', 'CANCEL'];
  const perSipNs = (await perOp(SIP_MESSAGES, (() => {
    let i = 0;
    return () => { metrics.sipMessage(i % 2 ? 'in' : 'out', methods[i % methods.length]!, i % 3 ? undefined : [100, 180, 200, 487][i % 4]); i++; };
  })())) * 1000;
  for (const route of ['/v1/calls', '/v1/calls/{id}', '/v1/calls/{id}/hangup']) metrics.restRequests.inc({ method: 'GET', route, status: '200' });

  const baseline = new Registry();
  collectDefaultMetrics({ register: baseline });
  const text = await metrics.registry.metrics();
  const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
  const baselineSeries = (await baseline.metrics()).split('\n').filter((l) => l && !l.startsWith('#')).length;
  const renderUs = await perOp(SCRAPES, () => metrics.registry.metrics());
  const baselineUs = await perOp(SCRAPES, () => baseline.metrics());

  const ops = await startOpsServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, ready: () => ({ ready: true, reasons: [] }), log: pino({ level: 'silent' }) });
  const url = `http://127.0.0.1:${ops.port}/metrics`;
  // Client and server share this process: the figure is both sides of the request.
  const httpUs = await perOp(SCRAPES, async () => (await fetch(url)).text());
  await ops.close();

  const detail = { scrapes: SCRAPES, trunks: TRUNKS, series, bytes: Buffer.byteLength(text) };
  return [
    { suite: 'metrics', name: 'render /metrics text, gateway registry', value: renderUs, unit: 'µs CPU/scrape', detail: { ...detail, baselineUs: +baselineUs.toFixed(1), baselineSeries, ratio: +(renderUs / baselineUs).toFixed(2) } },
    { suite: 'metrics', name: 'render, Node default metrics only (reference)', value: baselineUs, unit: 'µs CPU/scrape', detail: { series: baselineSeries } },
    { suite: 'metrics', name: 'HTTP GET /metrics (client + server, one process)', value: httpUs, unit: 'µs CPU/scrape', detail: { ...detail, shareOfCoreAt15sInterval: +(httpUs / 15e6).toExponential(2) } },
    { suite: 'metrics', name: 'observer work per call (start + end)', value: perCallUs, unit: 'µs CPU/call', detail: { calls: CALLS } },
    { suite: 'metrics', name: 'SIP message counted (transport tap)', value: perSipNs, unit: 'ns CPU/message', detail: { messages: SIP_MESSAGES } },
  ];
}
