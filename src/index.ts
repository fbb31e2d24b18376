/**
 * `trunkgate`: the gateway as a library. Start it in-process with a config file or object, load and
 * validate configurations; agent authors import `trunkgate/agent` instead.
 */
export { startGatewayProcess, type GatewayProcess, type GatewayProcessOptions } from './runtime/gateway-process.js';
export { startGateway, DEFAULT_CONFIG_PATH, type Gateway, type StartGatewayOptions } from './gateway/start.js';
export { loadConfig, parseConfigText, validateConfig, type ConfigIssue } from './gateway/config/load.js';
export type { GatewayConfig, TrunkConfig, AgentConfig, RouteConfig } from './gateway/config/schema.js';
export { createLogger, type Logger } from './log.js';
export * from './agents/index.js';

// Errors: every class derives from TrunkgateError and carries a stable `code` (one family a class).
// `err instanceof TrunkgateError` for any of ours, the family's class for one, `err.code` for the case.
export { TrunkgateError } from './errors.js';
export { ConfigError, type ConfigErrorCode } from './gateway/config/load.js';
export { InvalidCidrError } from './gateway/edge/cidr.js';
export { InvalidPatternError } from './gateway/routing/numbers.js';
export { CallStateError } from './gateway/app/call.js';
export { CdrError, type CdrErrorCode } from './gateway/cdr/errors.js';
export { TransferBusyError } from './gateway/transfer/transferor.js';
export { TransferTargetError } from './gateway/transfer/targets.js';
export { PromptSynthesisError } from './agents/builtin/prompts.js';
export { WebSocketAgentSettingsError } from './agents/builtin/websocket-stream/settings.js';
export { BotConnectError } from './agents/builtin/websocket-stream/agent.js';
export { RealtimeSettingsError, MissingApiKeyError } from './agents/builtin/openai-realtime/settings.js';
export { RealtimeConnectError } from './agents/builtin/openai-realtime/connection.js';
export { LoadtestError, type LoadtestErrorCode } from './loadtest/errors.js';
export { SdpError, NoCommonCodecError, type SdpErrorCode } from './media/sdp/errors.js';
export { MediaWorkerError } from './media/worker/errors.js';
export { DatagramIoError } from './media/udp/select.js';
export { CodecError } from './media/codecs/types.js';
export { MediaSessionError, MediaSocketError, type MediaSessionErrorCode } from './media/session/errors.js';
export { PortExhaustedError, InvalidPortRangeError } from './media/ports.js';
export { DtmfError } from './media/dtmf/telephone-event.js';
export { RtpengineError } from './media/anchor/rtpengine.js';
export { SrtpKeyError } from './media/srtp/errors.js';
export { DrachtioError, type DrachtioErrorCode } from './drachtio/errors.js';
export {
  SipParseError, TransportError, TransactionError, AuthError, ReliableProvisionalError,
  type SipParseErrorCode, type TransportErrorCode, type TransactionErrorCode, type AuthErrorCode, type ReliableProvisionalErrorCode,
} from './sip/index.js';
