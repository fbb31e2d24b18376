import { describe, expect, it } from 'vitest';
import { decideFailure } from '../../../../src/agents/builtin/openai-realtime/failure.js';
import { audioPathFor, sessionUpdate } from '../../../../src/agents/builtin/openai-realtime/session-config.js';
import { fillTemplate, MissingApiKeyError, parseSettings, RealtimeSettingsError, requireApiKey } from '../../../../src/agents/builtin/openai-realtime/settings.js';
import { callInfo } from '../../helpers.js';

describe('openai-realtime settings', () => {
  it('defaults: gpt-realtime, server_vad, all built-in tools, hang up on failure, 1.5 s to connect', () => {
    expect(parseSettings({})).toMatchObject({ model: 'gpt-realtime', turn_detection: { type: 'server_vad' }, builtin_tools: ['end_call', 'transfer_call', 'send_dtmf'], on_failure: 'hangup', connect_timeout_ms: 1500, audio: 'auto' });
  });

  it.each([
    [{ turn_detection: { type: 'server_vad', eagerness: 'low' } }],
    [{ on_failure: { transfer: '' } }],
    [{ tools: [{ name: 'end_call', url: 'http://127.0.0.1/x' }] }],
    [{ tools: [{ name: 'x', url: 'ftp://127.0.0.1/x' }] }],
    [{ unknown_key: 1 }],
  ])('rejects %j with RealtimeSettingsError', (raw) => {
    expect(() => parseSettings(raw)).toThrow(RealtimeSettingsError);
  });

  it('refuses to go on without OPENAI_API_KEY', () => {
    expect(() => requireApiKey({})).toThrow(MissingApiKeyError);
    expect(() => requireApiKey({ OPENAI_API_KEY: 'sk-x' })).not.toThrow();
  });

  it('fills {from}, {to} and custom parameters, leaving unknown names as written', () => {
    expect(fillTemplate('From {from} to {to}, {lang} {nope}', { from: '+91', to: '100', lang: 'hi' })).toBe('From +91 to 100, hi {nope}');
  });

  it('session.update (GA): realtime type, the same format both ways, turn detection and tools', () => {
    const s = parseSettings({ voice: 'marin', instructions: 'Caller {from}', turn_detection: { type: 'semantic_vad', eagerness: 'high' } });
    const ev = sessionUpdate(s, callInfo, audioPathFor('PCMA', 'auto', true), ['support']);
    expect(ev).toMatchObject({
      type: 'session.update',
      session: {
        type: 'realtime', model: 'gpt-realtime', instructions: 'Caller +919000000001',
        audio: { input: { format: { type: 'audio/pcma' }, turn_detection: { type: 'semantic_vad', eagerness: 'high' } }, output: { format: { type: 'audio/pcma' }, voice: 'marin' } },
      },
    });
    expect(audioPathFor('PCMU', 'pcm', true)).toMatchObject({ kind: 'pcm', format: { type: 'audio/pcm', rate: 24000 } });
    expect(audioPathFor('G722', 'auto', false)).toMatchObject({ kind: 'pcm' });
  });

  it('on_failure: retry once, then its `then`', () => {
    expect(decideFailure('hangup', false)).toEqual({ kind: 'hangup' });
    expect(decideFailure('retry', false)).toEqual({ kind: 'retry' });
    expect(decideFailure('retry', true)).toEqual({ kind: 'hangup' });
    expect(decideFailure({ transfer: 'support' }, false)).toEqual({ kind: 'transfer', target: 'support' });
    expect(decideFailure({ retry: { then: { transfer: 'support' } } }, true)).toEqual({ kind: 'transfer', target: 'support' });
  });
});
