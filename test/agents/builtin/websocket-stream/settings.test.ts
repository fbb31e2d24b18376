import { describe, expect, it } from 'vitest';
import { parseSettings, WebSocketAgentSettingsError } from '../../../../src/agents/builtin/websocket-stream/index.js';
import { BUILTIN_AGENTS } from '../../../../src/agents/registry.js';

describe('websocket agent settings', () => {
  it('defaults to Twilio µ-law 8 kHz, hangup on error, no REST endpoint', () => {
    const s = parseSettings({ url: 'wss://bot.example/ws' });
    expect(s).toMatchObject({ format: 'twilio', encoding: 'mulaw', sampleRate: 8000, on_error: 'hangup', connect_timeout_ms: 5000 });
    expect(s.rest_api_port).toBeUndefined();
  });
  it('reads the L16 rate from a Vobiz contentType', () => {
    expect(parseSettings({ url: 'ws://127.0.0.1:1/', format: 'vobiz', encoding: 'audio/x-l16;rate=24000' })).toMatchObject({ encoding: 'l16', sampleRate: 24000 });
  });
  it.each([
    [{ url: 'http://bot/' }],
    [{ url: 'ws://bot/', format: 'telnyx' }],
    [{ url: 'ws://bot/', format: 'twilio', encoding: 'audio/x-l16;rate=16000' }],
    [{ url: 'ws://bot/', format: 'vobiz', encoding: 'audio/x-l16;rate=44100' }],
    [{ url: 'ws://bot/', on_error: 'transfer' }],
    [{ url: 'ws://bot/', unknown: 1 }],
  ])('rejects %j with WebSocketAgentSettingsError', (raw) => {
    expect(() => parseSettings(raw)).toThrow(WebSocketAgentSettingsError);
  });
  it('is registered as the built-in agent type websocket', () => {
    expect(typeof BUILTIN_AGENTS.websocket).toBe('function');
  });
});
