/**
 * The whole gateway in one process: the embedded drachtio server (trunkgate's SIP stack, with
 * the edge policy on its pre-parse hook) plus the drachtio-srf application connected to it. This
 * lives above both layers (src/runtime/ composes them), so src/gateway never imports src/drachtio.
 */
import { rootLogger, type Logger } from '../log.js';
import { createDrachtioServer, type DrachtioServer } from '../drachtio/server.js';
import type { ListenOptions, TlsClientOptions } from '../sip/transport/types.js';
import { loadConfig } from '../gateway/config/load.js';
import { readClientTls, readListenerTls, type ClientTls } from '../gateway/config/tls.js';
import type { GatewayConfig } from '../gateway/config/schema.js';
import { CidrSet } from '../gateway/edge/cidr.js';
import { createEdgePolicy, type EdgePolicy } from '../gateway/edge/policy.js';
import { DEFAULT_CONFIG_PATH, startGateway, type Gateway, type StartGatewayOptions } from '../gateway/start.js';
import { mediaSessionOptions } from '../gateway/app/application.js';
import { createMediaSessionFactory } from '../media/worker/factory.js';
import { Registry } from 'prom-client';
import { countSipTraffic } from './sip-metrics.js';

/**
 * What the gateway application routes (GatewayApp: srf.invite, srf.use('options')): SIP opens
 * once the embedded server has its routes for these, so no caller meets the 503 the server gives
 * while no application routes a method.
 */
const GATEWAY_METHODS = ['invite', 'options'] as const;

export interface GatewayProcessOptions {
  configPath?: string;
  config?: GatewayConfig;
  agentOverride?: string;
  logger?: Logger;
  /** Control port for the embedded server (default: the config's; 0 = ephemeral, for tests). */
  controlPort?: number;
  mediaTap?: StartGatewayOptions['mediaTap'];
}

export interface GatewayProcess {
  gateway: Gateway;
  server: DrachtioServer | undefined;
  edge: EdgePolicy | undefined;
  /** Graceful stop of the application, then the embedded server. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

export async function startGatewayProcess(options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  const configPath = options.configPath ?? DEFAULT_CONFIG_PATH;
  const config = options.config ?? loadConfig(configPath);
  // The file the config came from, if any: its folder anchors relative paths (startGateway).
  const file = options.config ? options.configPath : configPath;
  // A cluster instance names itself on every log line (and so in every call's call_end).
  const instance = config.cluster.instance_id;
  const logger = instance ? (options.logger ?? rootLogger).child({ instance }) : (options.logger ?? rootLogger);
  // Media sessions (worker threads, and the UDP layer media.udp) are set up here and handed down;
  // DatagramIoError (media.udp 'native' without the addon) is a start error before anything binds.
  const mediaSessions = createMediaSessionFactory(mediaSessionOptions(config, logger));
  if (config.drachtio.mode === 'external') {
    let gateway: Gateway;
    try {
      gateway = await startGateway({ ...options, config, ...(file ? { configPath: file } : {}), logger, mediaSessions });
    } catch (err) {
      await mediaSessions.close();
      throw err;
    }
    return {
      gateway, server: undefined, edge: undefined,
      async stop(o) {
        await gateway.stop(o);
        await mediaSessions.close();
      },
    };
  }
  const embedded = config.drachtio;
  // One log line per refused source (a peer retrying on one connection would repeat it per message).
  const refusedPeers = new Set<string>();
  // One metrics registry for the edge's counters and the gateway's (served at metrics.listen).
  const registry = new Registry();
  const edge = createEdgePolicy(config, {
    registry,
    onTlsPeerRefused: (info) => {
      if (refusedPeers.has(info.source) || refusedPeers.size >= 10_000) return;
      refusedPeers.add(info.source);
      logger.warn({ event: 'tls_peer_refused', ...info }, `request from ${info.source} dropped: trunk ${info.trunk} requires a verified TLS client certificate (${info.reason})`);
    },
  });
  const configFile = options.configPath ?? (options.config ? '<inline>' : configPath);
  const tls = readListenerTls(config, configFile);
  const tlsClient = tlsClientOptions(config, readClientTls(config, configFile));
  if (!tlsClient.verifyServer) {
    logger.warn({ event: 'tls_client_unverified' }, 'sip.tls_client.verify_server is false: the certificates of TLS servers the gateway connects to are not checked');
  }
  // Client certificates are asked for when a trunk verifies its peers (the edge policy decides).
  const requestCert = config.trunks.some((t) => t.tls.verify_peer);
  const listen: ListenOptions[] = config.sip.listen.map((l, i) => ({ protocol: l.transport, address: l.address, port: l.port, ...(tls[i] ? { tls: { ...tls[i], requestCert } } : {}) }));
  const server = createDrachtioServer({
    sip: { listen, userAgent: 'trunkgate', tlsClient, ...(instance ? { callIdHost: instance } : {}) },
    control: { host: embedded.host, port: options.controlPort ?? embedded.port, secret: embedded.secret },
    logger,
    sourcePolicy: edge,
  });
  // Issue 19: the control port first, the application connected and routing, then SIP.
  let control: Awaited<ReturnType<DrachtioServer['startControl']>>;
  try {
    control = await server.startControl();
  } catch (err) {
    await mediaSessions.close();
    throw err;
  }
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      config, ...(file ? { configPath: file } : {}), logger, ...(options.agentOverride ? { agentOverride: options.agentOverride } : {}),
      ...(options.mediaTap ? { mediaTap: options.mediaTap } : {}),
      drachtio: { host: control.host, port: control.port, secret: embedded.secret },
      mediaSessions,
      registry,
    });
    countSipTraffic(server.stack.transport, gateway.metrics);
  } catch (err) {
    await server.close();
    await mediaSessions.close();
    throw err;
  }
  try {
    await server.routed(GATEWAY_METHODS);
    await server.openSip();
  } catch (err) {
    await gateway.stop({ graceMs: 0 });
    await server.close();
    await mediaSessions.close();
    throw err;
  }
  return {
    gateway,
    server,
    edge,
    async stop(o) {
      await gateway.stop(o);
      await server.close();
      await mediaSessions.close();
    },
  };
}

/**
 * The SIP stack's TLS client from `sip.tls_client` (files already read) and the trunks'
 * `tls.server_names`: a server at one of a trunk's sources may show one of those names when the
 * URI gave its IP address (docs/security.md).
 */
export function tlsClientOptions(config: GatewayConfig, files: ClientTls): TlsClientOptions {
  const named = config.trunks.filter((t) => t.tls.server_names.length > 0)
    .map((t) => ({ sources: new CidrSet(t.sources), names: t.tls.server_names }));
  return {
    verifyServer: files.verifyServer,
    ...(files.ca ? { ca: files.ca } : {}),
    ...(files.cert && files.key ? { cert: files.cert, key: files.key } : {}),
    ...(named.length ? { namesFor: (address: string) => named.filter((t) => t.sources.contains(address)).flatMap((t) => t.names) } : {}),
  };
}
