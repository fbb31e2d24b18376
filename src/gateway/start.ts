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

/** sip-configs/default.yaml of this checkout. */
export const DEFAULT_CONFIG_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../sip-configs/default.yaml');

export interface StartGatewayOptions {
  /** YAML file (default sip-configs/default.yaml). Ignored when `config` is given. */
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
}

export interface Gateway {
  readonly app: GatewayApp;
  readonly config: GatewayConfig;
  /** The REST API (config `api:`), when configured. */
  readonly api: ApiServer | undefined;
  stats(): GatewayStats;
  /** Graceful: new calls 503, live calls get `graceMs` (default: config) and then BYE. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** Throws ConfigError for a bad file, AgentLoadError for an agent that cannot be loaded. */
export async function startGateway(options: StartGatewayOptions = {}): Promise<Gateway> {
  const configPath = options.configPath ?? DEFAULT_CONFIG_PATH;
  const config = options.config ?? loadConfig(configPath);
  const logger = options.logger ?? rootLogger;
  const app = new GatewayApp({
    config,
    baseDir: options.config ? process.cwd() : dirname(resolve(configPath)),
    logger,
    agentOverride: options.agentOverride,
    mediaTap: options.mediaTap,
    mediaSessions: options.mediaSessions,
  });
  await app.prepare();
  const target = options.drachtio ?? config.drachtio;
  await app.connect(target);
  const api = config.api ? await ApiServer.start({ config: config.api, app, log: logger.child({ component: 'api' }) }) : undefined;
  let stopping: Promise<void> | undefined;
  return {
    app,
    config,
    api,
    stats: () => app.stats(),
    stop: (o = {}) => (stopping ??= Promise.all([api?.close(), app.stop(o.graceMs)]).then(() => undefined)),
  };
}
