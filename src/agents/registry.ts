/**
 * Resolves agent names from the config to factories: built-ins (`echo`, `demo`, `websocket`) and custom
 * modules loaded by dynamic import (default export or a named `createAgent`).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDemoAgent } from './builtin/demo.js';
import { createEchoAgent } from './builtin/echo.js';
import { checkRealtimeAgent, createRealtimeAgent } from './builtin/openai-realtime/index.js';
import { createWebSocketAgent } from './builtin/websocket-stream/index.js';
import { AgentLoadError, type Agent, type AgentFactory } from './types.js';

export const BUILTIN_AGENTS: Record<string, AgentFactory> = {
  echo: createEchoAgent,
  demo: createDemoAgent,
  websocket: createWebSocketAgent,
  'openai-realtime': createRealtimeAgent,
};

/**
 * Checks run when the gateway starts, for built-in types whose calls could never succeed with
 * these settings or this environment (openai-realtime without OPENAI_API_KEY): the gateway
 * refuses to start with the reason instead of failing every call.
 */
export const BUILTIN_CHECKS: Record<string, (settings: Record<string, unknown>) => void> = {
  'openai-realtime': (settings) => checkRealtimeAgent(settings),
};

export interface AgentDefinition {
  type: string;
  module?: string | undefined;
  settings: Record<string, unknown>;
}

/** A configured agent: a factory bound to its settings. */
export interface ResolvedAgent {
  name: string;
  settings: Record<string, unknown>;
  factory: AgentFactory;
}

function isAgent(x: unknown): x is Agent {
  return typeof x === 'object' && x !== null && typeof (x as Agent).start === 'function';
}

let typescriptLoader: Promise<void> | undefined;

/**
 * A user writes an agent in one .ts file; the compiled gateway (node dist/cli.js) cannot import
 * TypeScript by itself, so the first .ts agent registers tsx's ESM loader (already present when
 * running from source under tsx or vitest: registering twice is harmless).
 */
function ensureTypeScriptLoader(): Promise<void> {
  typescriptLoader ??= import('tsx/esm/api').then((m) => { m.register(); });
  return typescriptLoader;
}

/** Loads a user module; `baseDir` resolves relative paths (the config file's folder). */
export async function loadAgentModule(name: string, modulePath: string, baseDir: string): Promise<AgentFactory> {
  const file = isAbsolute(modulePath) ? modulePath : resolve(baseDir, modulePath);
  let mod: Record<string, unknown>;
  if (/\.[cm]?ts$/.test(file) && !process.env.VITEST) {
    try {
      await ensureTypeScriptLoader();
    } catch (err) {
      throw new AgentLoadError(name, `${file} is TypeScript and the tsx loader could not be registered: ${(err as Error).message}`);
    }
  }
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new AgentLoadError(name, `import of ${file} failed: ${(err as Error).message}`);
  }
  const exported = mod.createAgent ?? mod.default;
  if (typeof exported === 'function') return exported as AgentFactory;
  if (isAgent(exported)) return () => exported;
  throw new AgentLoadError(name, `${file} exports neither a default factory nor createAgent`);
}

export async function resolveAgent(name: string, def: AgentDefinition | undefined, baseDir: string): Promise<ResolvedAgent> {
  if (!def) {
    const builtin = BUILTIN_AGENTS[name];
    if (!builtin) throw new AgentLoadError(name, 'not defined and not a built-in agent');
    return { name, settings: {}, factory: builtin };
  }
  if (def.type === 'module') {
    if (!def.module) throw new AgentLoadError(name, "type 'module' without a module path");
    return { name, settings: def.settings, factory: await loadAgentModule(name, def.module, baseDir) };
  }
  const builtin = BUILTIN_AGENTS[def.type];
  if (!builtin) throw new AgentLoadError(name, `unknown agent type '${def.type}'`);
  try {
    BUILTIN_CHECKS[def.type]?.(def.settings);
  } catch (err) {
    throw new AgentLoadError(name, (err as Error).message);
  }
  return { name, settings: def.settings, factory: builtin };
}
