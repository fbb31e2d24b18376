/**
 * The `openai-realtime` agent type: a caller on OpenAI's Realtime API (docs/openai-realtime.md).
 * `checkRealtimeAgent` runs when the gateway starts, so a bad setting or a missing
 * OPENAI_API_KEY stops it with a clear message instead of failing every call.
 */
import type { AgentContext, AgentFactory } from '../../types.js';
import { RealtimeAgent } from './agent.js';
import { parseSettings, RealtimeSettingsError, requireApiKey, type RealtimeSettings } from './settings.js';

function validated(raw: Record<string, unknown>, transferTargets?: Record<string, string>): RealtimeSettings {
  const s = parseSettings(raw);
  requireApiKey();
  if (transferTargets) {
    const unknown = (s.transfer_targets ?? []).filter((t) => !(t in transferTargets));
    if (unknown.length > 0) throw new RealtimeSettingsError(`transfer_targets: ${unknown.join(', ')} not in the config's transfer_targets`);
  }
  return s;
}

/** At gateway start: settings valid and OPENAI_API_KEY set, else it throws (the gateway refuses to start). */
export function checkRealtimeAgent(settings: Record<string, unknown>, transferTargets?: Record<string, string>): void {
  validated(settings, transferTargets);
}

export const createRealtimeAgent: AgentFactory = (settings, context: AgentContext) => new RealtimeAgent(validated(settings, context.transferTargets), context);

export { RealtimeAgent } from './agent.js';
export { MissingApiKeyError, RealtimeSettingsError, parseSettings, type RealtimeSettings } from './settings.js';
export { transferOutput, runTool, toolDefinitions } from './tools.js';
export type { RealtimeSummary } from './metrics.js';
