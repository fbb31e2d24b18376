/**
 * `startGateway`: load and validate the configuration, prepare the agents, and connect the
 * drachtio-srf application to a drachtio server (the embedded one, started by the process entry,
 * or an external drachtio-server).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rootLogger, type Logger } from '../log.js';
import { GatewayApp, type GatewayAppOptions, type GatewayStats } from './app/application.js';
import { ApiServer } from './api/server.js';
import { loadConfig } from './config/load.js';
import type { GatewayConfig } from './config/schema.js';
import { splitHostPort } from './config/metrics.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics/gateway-metrics.js';
import { startOpsServer, type OpsServer } from './metrics/http-server.js';
import { createCdrRecorder } from './cdr/create.js';

/** sip-configs/default.yaml of this checkout. */
export const DEFAULT_CONFIG_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../sip-configs/default.yaml');

export interface StartGatewayOptions {
  /**
   * YAML file (default sip-configs/default.yaml). With `config` it is not read again, but relative
   * paths in the config are still taken from its folder.
   */
  configPath?: string;
  /** An already validated configuration (tests). */
  config?: GatewayConfig;
  /** Route every call to this agent (CLI --agent). */
  agentOverride?: string;
  logger?: Logger;
  /** Where the drachtio server listens, overriding the config (embedded server on an ephemeral port). */
  drachtio?: { host: string; port: number; secret: string };
  /** Packet tap per call (tests, recording). */
  mediaTap?: GatewayAppOptions['mediaTap'];
  /** Where MediaSessions are made (the process entry's; default: one from the config, closed by stop()). */
  mediaSessions?: GatewayAppOptions['mediaSessions'];
  /** Metrics registry shared with other parts of the process (the edge policy's counters). */
  registry?: GatewayAppOptions['registry'];
}

export interface Gateway {
  readonly app: GatewayApp;
  readonly config: GatewayConfig;
  /** The REST API (config `api:`), when configured. */
  readonly api: ApiServer | undefined;
  stats(): GatewayStats;
  /** Prometheus metrics (also the REST API's counter family, `metrics.restRequests`). */
  readonly metrics: GatewayMetrics;
  /** The `metrics: { listen }` listener (/metrics, /health, /ready), when configured. */
  readonly ops: OpsServer | undefined;
  /** Graceful: new calls 503, live calls get `graceMs` (default: config) and then BYE. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** Throws ConfigError for a bad file, AgentLoadError for an agent that cannot be loaded. */
export async function startGateway(options: StartGatewayOptions = {}): Promise<Gateway> {
  const configPath = options.configPath ?? DEFAULT_CONFIG_PATH;
  const config = options.config ?? loadConfig(configPath);
  const logger = options.logger ?? rootLogger;
  // Relative paths in a file (cdr.path) are relative to its folder, whatever the working directory;
  // an inline config's (tests) to the working directory.
  const baseDir = options.configPath || !options.config ? dirname(resolve(configPath)) : process.cwd();
  // CdrError (an unwritable cdr.path) is a start error, before anything connects.
  const recorder = createCdrRecorder(config, baseDir, logger);
  const app = new GatewayApp({
    config,
    baseDir,
    logger,
    recorder,
    agentOverride: options.agentOverride,
    mediaTap: options.mediaTap,
    mediaSessions: options.mediaSessions,
    registry: options.registry,
  });
  const pool = app.mediaSessions.pool;
  const metrics = createGatewayMetrics({ registry: app.registry, ...(pool ? { mediaWorkers: () => pool.workers() } : {}) });
  app.observe(metrics.observer);
  try {
    await app.prepare();
    const target = options.drachtio ?? config.drachtio;
    await app.connect(target);
  } catch (err) {
    await recorder?.close();
    throw err;
  }
  let ops: OpsServer | undefined;
  if (config.metrics) {
    try {
      ops = await startOpsServer({ ...splitHostPort(config.metrics.listen), registry: app.registry, ready: () => app.readiness(), log: logger });
    } catch (err) {
      await app.stop(0);
      await recorder?.close();
      throw err;
    }
  }
  let api: ApiServer | undefined;
  if (config.api) {
    try {
      api = await ApiServer.start({
        config: config.api, app, log: logger.child({ component: 'api' }),
        onRequest: (r) => {
          metrics.restRequests.inc({ method: r.method, route: r.route, status: String(r.status) });
          metrics.restRequestSeconds.observe({ method: r.method, route: r.route }, r.seconds);
        },
      });
    } catch (err) {
      await app.stop(0);
      await Promise.all([recorder?.close(), ops?.close()]);
      throw err;
    }
  }
  let stopping: Promise<void> | undefined;
  return {
    app,
    config,
    metrics,
    ops,
    api,
    stats: () => app.stats(),
    // /ready answers 503 (draining) throughout the drain; the last calls' final CDRs are written as
    // they end; then the CDR database and the listeners close.
    stop: (o = {}) => (stopping ??= app.stop(o.graceMs).finally(async () => { await Promise.all([recorder?.close(), ops?.close(), api?.close()]); })),
  };
}
