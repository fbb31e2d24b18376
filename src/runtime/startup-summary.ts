/**
 * The one start-up line that says what is running: which config file, where SIP listens, which
 * trunks (sources), routes (pattern → agent) and agents (type, module) were loaded.
 */
import type { GatewayConfig } from '../gateway/config/schema.js';

export interface StartupSummary {
  text: string;
  fields: Record<string, unknown>;
}

export function startupSummary(configPath: string, config: GatewayConfig, agentOverride?: string): StartupSummary {
  const listen = config.sip.listen.map((l) => `${l.transport}:${l.address}:${l.port}`);
  const trunks = config.trunks.map((t) => ({ name: t.name, sources: t.sources, routes: t.routes.map((r) => `${r.pattern} → ${agentOverride ?? r.agent ?? r.sip}`) }));
  const used = new Set(agentOverride ? [agentOverride] : config.trunks.flatMap((t) => t.routes.flatMap((r) => (r.agent === undefined ? [] : [r.agent]))));
  const agents = Object.fromEntries([...used].map((name) => {
    const def = config.agents[name];
    return [name, def ? (def.type === 'module' ? `module ${def.module ?? ''}` : def.type) : name];
  }));
  const routeCount = trunks.reduce((n, t) => n + t.routes.length, 0);
  const text = `trunkgate started: ${configPath}; SIP ${listen.join(', ')}; `
    + `${trunks.length} trunk${trunks.length === 1 ? '' : 's'} (${trunks.map((t) => t.name).join(', ')}), `
    + `${routeCount} route${routeCount === 1 ? '' : 's'}, agents ${Object.entries(agents).map(([n, d]) => (n === d ? n : `${n}=${d}`)).join(', ')}`
    + (agentOverride ? ` (--agent ${agentOverride} for every route)` : '');
  return { text, fields: { event: 'startup', config: configPath, listen, trunks, agents } };
}
