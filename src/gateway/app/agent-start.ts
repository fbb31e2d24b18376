/**
 * Puts an agent on a call: resolves it by name, creates one for this call (its settings, with
 * per-call overrides from the REST API), wires its AgentIO to the call's media and controls, and
 * runs `start()`. The same for every call the gateway carries, inbound or outbound.
 */
import type { Agent, TransferOptions, TransferOutcome } from '../../agents/types.js';
import type { ResolvedAgent } from '../../agents/registry.js';
import { createAgentIO } from './agent-io.js';
import type { Call, HangupSide } from './call.js';

export interface AgentStartDeps {
  agent(name: string): Promise<ResolvedAgent>;
  transferTargets: Record<string, string>;
  transfer(call: Call, target: string, options: TransferOptions): Promise<TransferOutcome>;
  /** io.record() for this call, when it can be recorded (anchored in rtpengine). */
  recordControl?(call: Call): { record?: () => Promise<void> };
}

/** The agent's scalar settings ride in customParameters too (what a websocket bot sees); the trunk's values win. */
function addAgentSettings(call: Call, settings: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(settings)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') call.info.customParameters[k] ??= String(v);
  }
}

/**
 * Resolves once the agent's `start()` returned. A factory that fails ends the call through `end`
 * (the agent is unavailable); a throw from `start()` is the caller's to handle.
 */
export async function startAgent(call: Call, name: string, end: (by: HangupSide, reason: string) => Promise<void>, deps: AgentStartDeps,
  settingsOverride: Record<string, unknown> = {}): Promise<void> {
  const resolved = await deps.agent(name);
  const settings = { ...resolved.settings, ...settingsOverride };
  addAgentSettings(call, settings);
  const fail = (err: unknown): void => {
    if (call.ended) return;
    call.log.error({ event: 'agent_failed', err, agent: name }, 'agent failed: ending the call');
    void end('gateway', `agent failed: ${(err as Error)?.message ?? String(err)}`);
  };
  let agent: Agent;
  try {
    agent = await resolved.factory(settings, { transferTargets: deps.transferTargets, log: call.log });
  } catch (err) {
    // No agent for this call (its factory failed): the agent is unavailable, as a bot that cannot be reached.
    call.log.error({ event: 'agent_failed', err, agent: name }, 'agent could not be created for this call');
    await end('gateway', `agent unavailable: ${(err as Error)?.message ?? String(err)}`);
    return;
  }
  call.agent = agent;
  call.io = createAgentIO(call.session, {
    hangup: (reason) => end('agent', reason),
    transfer: (target, options) => deps.transfer(call, target, options),
    ...deps.recordControl?.(call),
    onFailure: fail,
    log: call.log,
  });
  await agent.start(call.info, call.io.io);
}
