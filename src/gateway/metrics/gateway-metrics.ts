/**
 * The gateway's Prometheus metrics (prom-client), fed by the GatewayApp observer seam and by the
 * SIP transport tap the process entry wires in. One registry per gateway; the edge policy's
 * counters and Node's default metrics (event-loop lag, heap, CPU) share it.
 *
 * Counters about a call's media advance when the call ends (from its call_end record), so a
 * scrape after a load equals the sum over the calls' call_end lines.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MediaWorkerInfo } from '../../media/worker/pool.js';
import type { Call } from '../app/call.js';
import type { CallEndRecord, GatewayObserver } from '../app/observer.js';

/** Calls from a trunk are inbound; an outbound call (REST API) says so in `endFields.direction`. */
export type CallDirection = 'inbound' | 'outbound';

/** SIP methods counted by name; anything else (a scanner's invention) is `OTHER`, to bound the label's values. */
const SIP_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE']);

export interface GatewayMetricsOptions {
  registry?: Registry;
  /** Media worker threads (sessions, event-loop use), when MediaSessions run on a pool. */
  mediaWorkers?: () => MediaWorkerInfo[];
  /** Node's default metrics (event-loop lag, heap, GC, CPU) on the registry (default true). */
  defaultMetrics?: boolean;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Give to GatewayApp.observe(). */
  readonly observer: GatewayObserver;
  /** One SIP message in or out (transport tap): requests by method, responses by CSeq method and status. */
  sipMessage(direction: 'in' | 'out', method: string, status?: number): void;
  /** The REST API's requests (src/gateway/api, branch ops-api): route is the template (`/v1/calls/{id}`). */
  readonly restRequests: Counter<'method' | 'route' | 'status'>;
  readonly restRequestSeconds: Histogram<'method' | 'route'>;
}

/** Seconds: from INVITE to answer, and answered call lengths. */
const SETUP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
const JITTER_BUCKETS_MS = [1, 2, 5, 10, 20, 40, 80, 160];

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

  const callsActive = new Gauge({ name: 'trunkgate_calls_active', help: 'Calls up now (media set up, not ended), by trunk and direction', labelNames: ['trunk', 'direction'], registers });
  const callsTotal = new Counter({
    name: 'trunkgate_calls_total',
    help: 'Calls by trunk, direction and outcome: completed (answered, then ended), canceled, unanswered, or the refusal reason (over_capacity, shutting_down, no_route_for_number …)',
    labelNames: ['trunk', 'direction', 'outcome'], registers,
  });
  const setupSeconds = new Histogram({ name: 'trunkgate_call_setup_seconds', help: 'INVITE to answer, answered calls', labelNames: ['trunk', 'direction'], buckets: SETUP_BUCKETS, registers });
  const durationSeconds = new Histogram({ name: 'trunkgate_call_duration_seconds', help: 'Answer to end, answered calls', labelNames: ['trunk', 'direction'], buckets: DURATION_BUCKETS, registers });
  const gatewayHangups = new Counter({ name: 'trunkgate_gateway_hangups_total', help: 'Calls the gateway ended itself, by cause (rtp_timeout, hold_timeout, human_rtp_timeout, shutdown, other)', labelNames: ['cause'], registers });
  const rtpPackets = new Counter({ name: 'trunkgate_rtp_packets_total', help: 'RTP packets of ended calls, caller and human legs, by direction (in = received)', labelNames: ['direction'], registers });
  const rtpLost = new Counter({ name: 'trunkgate_rtp_packets_lost_total', help: 'RTP packets lost on the way to the gateway (sequence gaps), ended calls', registers });
  const lateFrames = new Counter({ name: 'trunkgate_rtp_late_frames_total', help: 'Frames the gateway sent late (playout missed its 20 ms slot), ended calls', registers });
  const jitter = new Histogram({ name: 'trunkgate_rtp_jitter_ms', help: 'Interarrival jitter (RFC 3550 §6.4.1) of each ended call\'s caller leg, ms', buckets: JITTER_BUCKETS_MS, registers });
  const transfers = new Counter({ name: 'trunkgate_transfers_total', help: 'Transfers by method and result', labelNames: ['method', 'result'], registers });
  const agentErrors = new Counter({ name: 'trunkgate_agent_errors_total', help: 'Agents that failed or could not be created, by agent', labelNames: ['agent'], registers });
  // Hot path (every SIP message): a plain number per series, handed to prom-client at scrape time.
  const sipCounts = new Map<string, { labels: { direction: string; method: string; status: string }; n: number }>();
  new Counter({
    name: 'trunkgate_sip_messages_total', help: 'SIP messages by direction, method and status (requests: status "")', labelNames: ['direction', 'method', 'status'], registers,
    collect() {
      this.reset();
      for (const { labels, n } of sipCounts.values()) this.inc(labels, n);
    },
  });
  const restRequests = new Counter({ name: 'trunkgate_rest_requests_total', help: 'REST API requests by method, route template and status', labelNames: ['method', 'route', 'status'], registers });
  const restRequestSeconds = new Histogram({ name: 'trunkgate_rest_request_seconds', help: 'REST API request handling time', labelNames: ['method', 'route'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers });
  new Gauge({ name: 'trunkgate_draining', help: '1 while the gateway drains (SIGTERM): new calls are refused', registers, collect() { this.set(draining ? 1 : 0); } });

  if (options.mediaWorkers) {
    const read = options.mediaWorkers;
    // Utilisation between two scrapes: the worker's event-loop active share (ELU), not CPU.
    const last = new Map<number, { active: number; idle: number }>();
    new Gauge({
      name: 'trunkgate_media_worker_utilization', help: 'Share of time each media worker\'s event loop was busy since the previous scrape (0–1)', labelNames: ['worker'], registers,
      collect() {
        this.reset();
        for (const w of read()) {
          const prev = last.get(w.index) ?? { active: 0, idle: 0 };
          const da = w.eventLoop.activeMs - prev.active;
          const di = w.eventLoop.idleMs - prev.idle;
          last.set(w.index, { active: w.eventLoop.activeMs, idle: w.eventLoop.idleMs });
          if (da + di > 0 && da >= 0 && di >= 0) this.set({ worker: String(w.index) }, da / (da + di));
        }
      },
    });
    new Gauge({
      name: 'trunkgate_media_worker_sessions', help: 'Media sessions on each worker thread', labelNames: ['worker'], registers,
      collect() {
        this.reset();
        for (const w of read()) this.set({ worker: String(w.index) }, w.sessions);
      },
    });
  }

  let draining = false;
  const direction = (call: Call): CallDirection => (call.endFields.direction === 'outbound' ? 'outbound' : 'inbound');
  // The labels a call was counted active under, so its end takes it off the same series.
  const activeLabels = new WeakMap<Call, { trunk: string; direction: CallDirection }>();

  const observer: GatewayObserver = {
    callRefused({ trunk, reason, agent }) {
      callsTotal.inc({ trunk, direction: 'inbound', outcome: reason });
      if (reason === 'agent_failed' || reason === 'agent_unavailable') agentErrors.inc({ agent: agent ?? '-' });
    },
    callStarted(call) {
      const labels = { trunk: call.info.trunk, direction: direction(call) };
      activeLabels.set(call, labels);
      callsActive.inc(labels);
    },
    callEnded(call, record) {
      const active = activeLabels.get(call);
      if (active) callsActive.dec(active);
      countEnd(call, record, { trunk: record.trunk, direction: direction(call) });
    },
    drainStarted() {
      draining = true;
    },
  };

  function countEnd(call: Call, record: CallEndRecord, labels: { trunk: string; direction: string }): void {
    if (record.answered) {
      callsTotal.inc({ ...labels, outcome: 'completed' });
      if (record.setupMs !== undefined) setupSeconds.observe(labels, record.setupMs / 1000);
      durationSeconds.observe(labels, record.durationMs / 1000);
      if (/^agent (failed|unavailable)/.test(record.reason)) agentErrors.inc({ agent: call.target });
    } else if (record.sipStatus === 487) {
      callsTotal.inc({ ...labels, outcome: 'canceled' });
    } else if (record.sipStatus === undefined) {
      callsTotal.inc({ ...labels, outcome: 'unanswered' });
    } // else: refused before the answer, counted by callRefused.
    if (record.hangupBy === 'gateway') gatewayHangups.inc({ cause: record.endCause ?? 'other' });
    for (const leg of [record, record.human as Record<string, unknown> | undefined]) {
      if (!leg) continue;
      rtpPackets.inc({ direction: 'in' }, num(leg.packetsIn));
      rtpPackets.inc({ direction: 'out' }, num(leg.packetsOut));
      rtpLost.inc(Math.max(0, num(leg.packetsLost)));
      lateFrames.inc(num(leg.lateFrames));
    }
    if (num(record.packetsIn) > 0) jitter.observe(num(record.jitterMs));
    for (const t of call.transfers) transfers.inc({ method: t.method, result: t.result });
  }

  return {
    registry, observer, restRequests, restRequestSeconds,
    sipMessage(dir, method, status) {
      const m = SIP_METHODS.has(method) ? method : 'OTHER';
      const s = status === undefined ? '' : status >= 100 && status <= 699 ? String(status) : 'invalid';
      const key = `${dir} ${m} ${s}`;
      const c = sipCounts.get(key);
      if (c) c.n++;
      else sipCounts.set(key, { labels: { direction: dir, method: m, status: s }, n: 1 });
    },
  };
}
