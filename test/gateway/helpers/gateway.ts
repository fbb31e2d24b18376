import { Writable } from 'node:stream';
import { pino } from 'pino';
import { validateConfig } from '../../../src/gateway/config/load.js';
import type { GatewayConfig } from '../../../src/gateway/config/schema.js';
import { startGatewayProcess, type GatewayProcess, type GatewayProcessOptions } from '../../../src/runtime/gateway-process.js';
import { freePort, freePortRange } from '../../helpers/ports.js';

export interface TestGateway {
  proc: GatewayProcess;
  sipPort: number;
  config: GatewayConfig;
  /** Every JSON log line so far. */
  logs(): Record<string, unknown>[];
  /** Resolves once `cond()` holds (checked on every log line and every 50 ms), rejects after `timeoutMs`. */
  waitFor(cond: () => boolean, timeoutMs?: number): Promise<void>;
  /** No calls active or pending. */
  waitIdle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  trunk?: Record<string, unknown>;
  /** More trunks after the first. */
  trunks?: Record<string, unknown>[];
  agents?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  agent?: string;
  mediaPorts?: number;
  mediaTap?: GatewayProcessOptions['mediaTap'];
  /** More `media` keys (anchor, rtpengine …) on top of the loopback address and free ports. */
  media?: Record<string, unknown>;
}

/** The embedded drachtio server + the gateway app in this process, on free loopback ports. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const sipPort = await freePort();
  const media = await freePortRange(options.mediaPorts ?? 40);
  const raw = {
    sip: { listen: [{ address: '127.0.0.1', port: sipPort, transport: 'udp' }, { address: '127.0.0.1', port: sipPort, transport: 'tcp' }] },
    drachtio: { embedded: { host: '127.0.0.1', port: 0, secret: 'test-secret' } },
    trunks: [{ name: 'test', sources: ['127.0.0.1/32'], country_code: '91', routes: [{ pattern: '*', agent: options.agent ?? 'echo' }], ...options.trunk }, ...(options.trunks ?? [])],
    agents: { echo: { type: 'echo', settings: { delay_ms: 200 } }, ...options.agents },
    media: { address: '127.0.0.1', port_min: media.min, port_max: media.max, ...options.media },
    edge: { rate_per_second: 5000, burst: 5000 },
    ...options.extra,
  };
  const config = validateConfig(raw);
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const echo = process.env.TRUNKGATE_LOG_LEVEL !== undefined;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) {
        if (!l) continue;
        try { lines.push(JSON.parse(l) as Record<string, unknown>); } catch { /* partial */ }
        if (echo) process.stdout.write(`${l}\n`);
      }
      for (const w of waiters) w();
      cb();
    },
  });
  const logger = pino({ level: process.env.TRUNKGATE_LOG_LEVEL ?? 'info' }, sink);
  const proc = await startGatewayProcess({ config, logger, controlPort: 0, ...(options.mediaTap ? { mediaTap: options.mediaTap } : {}) });
  const waitFor = (cond: () => boolean, timeoutMs = 15_000): Promise<void> => new Promise((resolve, reject) => {
    if (cond()) return resolve();
    const check = (): void => { if (cond()) { done(); resolve(); } };
    const poll = setInterval(check, 50);
    const timer = setTimeout(() => { done(); reject(new Error('waitFor timed out')); }, timeoutMs);
    const done = (): void => { clearInterval(poll); clearTimeout(timer); waiters.delete(check); };
    waiters.add(check);
  });
  return {
    proc, sipPort, config,
    logs: () => lines,
    waitFor,
    waitIdle: (t) => waitFor(() => { const s = proc.gateway.stats(); return s.activeCalls === 0 && s.pendingCalls === 0; }, t),
    stop: () => proc.stop({ graceMs: 0 }),
  };
}
