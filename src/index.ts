/**
 * `trunkgate`: the gateway as a library. Start it in-process with a config file or object, load and
 * validate configurations; agent authors import `trunkgate/agent` instead.
 */
export { startGatewayProcess, type GatewayProcess, type GatewayProcessOptions } from './runtime/gateway-process.js';
export { startGateway, DEFAULT_CONFIG_PATH, type Gateway, type StartGatewayOptions } from './gateway/start.js';
export { loadConfig, parseConfigText, validateConfig, ConfigError, type ConfigIssue } from './gateway/config/load.js';
export type { GatewayConfig, TrunkConfig, AgentConfig, RouteConfig } from './gateway/config/schema.js';
export { createLogger, type Logger } from './log.js';
export * from './agents/index.js';
