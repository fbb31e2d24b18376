/**
 * Agents checked with the rest of the configuration, before anything listens: every custom
 * module is imported once (a missing file, a syntax error or a module without a factory is a
 * config error naming `agents.<name>.module`), and a `--agent` override must name an agent.
 */
import { dirname, resolve } from 'node:path';
import { BUILTIN_AGENTS, loadAgentModule } from '../../agents/registry.js';
import { AgentLoadError } from '../../agents/types.js';
import { ConfigError, type ConfigIssue } from './load.js';
import type { GatewayConfig } from './schema.js';

export async function checkAgents(config: GatewayConfig, file: string, agentOverride?: string): Promise<void> {
  const issues: ConfigIssue[] = [];
  if (agentOverride !== undefined && !(agentOverride in config.agents) && !(agentOverride in BUILTIN_AGENTS)) {
    const known = [...Object.keys(config.agents), ...Object.keys(BUILTIN_AGENTS)];
    issues.push({ path: '--agent', reason: `unknown agent '${agentOverride}' (agents: ${[...new Set(known)].join(', ')})` });
  }
  for (const [name, a] of Object.entries(config.agents)) {
    if (a.type !== 'module' || !a.module) continue;
    try {
      await loadAgentModule(name, a.module, dirname(resolve(file)));
    } catch (err) {
      if (!(err instanceof AgentLoadError)) throw err;
      issues.push({ path: `agents.${name}.module`, reason: err.reason });
    }
  }
  if (issues.length) throw new ConfigError('CONFIG_INVALID', file, issues);
}
