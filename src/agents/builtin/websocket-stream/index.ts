export { createWebSocketAgent, BotConnectError } from './agent.js';
export { parseSettings, WebSocketAgentSettingsError, type WebSocketAgentSettings } from './settings.js';
export { registerRestHangup } from './rest-api.js';
