/**
 * Resolves agent names from the config to factories: built-ins (`echo`, `demo`, `websocket`) and custom
 * modules loaded by dynamic import (default export or a named `createAgent`).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDemoAgent } from './builtin/demo.js';
import { createEchoAgent } from './builtin/echo.js';
import { checkRealtimeAgent, createRealtimeAgent, parseSettings as parseRealtimeSettings } from './builtin/openai-realtime/index.js';
import { createWebSocketAgent, parseSettings } from './builtin/websocket-stream/index.js';
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

/**
 * Settings checks of built-ins that take settings, run when the config is validated (so a bad
 * setting is a config error naming its field, not a failed call). Each throws an Error whose
 * message says what is wrong.
 */
export const BUILTIN_SETTINGS: Record<string, (settings: Record<string, unknown>) => unknown> = {
  websocket: parseSettings,
  'openai-realtime': parseRealtimeSettings,
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

type TsImport = (specifier: string, parentURL: string) => Promise<Record<string, unknown>>;
let tsImporter: Promise<TsImport> | undefined;

/**
 * A user writes an agent in one .ts file anywhere; the compiled gateway (node dist/cli.js) cannot
 * import TypeScript by itself, so .ts/.mts/.cts files go through tsx's `tsImport` (scoped to that
 * import, no global loader). A `.ts` with no `"type": "module"` package.json above it is compiled
 * as CommonJS by tsx: its exports then arrive as `default`, which `factoryOf` unwraps.
 */
function typescriptImporter(): Promise<TsImport> {
  tsImporter ??= import('tsx/esm/api').then((m) => m.tsImport as TsImport);
  return tsImporter;
}

const isFunction = (x: unknown): x is AgentFactory => typeof x === 'function';

/** The factory a module exports: `createAgent`, or `default` (a factory or an agent object), also behind CommonJS interop. */
function factoryOf(mod: Record<string, unknown>): AgentFactory | Agent | undefined {
  const inner = typeof mod.default === 'object' && mod.default !== null ? (mod.default as Record<string, unknown>) : undefined;
  for (const candidate of [mod.createAgent, mod.default, inner?.createAgent, inner?.default]) {
    if (isFunction(candidate) || isAgent(candidate)) return candidate;
  }
  return undefined;
}

/** Modules loaded so far, by file: the config check and the gateway share one instance of each. */
const loaded = new Map<string, Promise<Record<string, unknown>>>();

function importOnce(file: string): Promise<Record<string, unknown>> {
  let p = loaded.get(file);
  if (!p) {
    p = /\.[cm]?ts$/.test(file) && !process.env.VITEST
      ? typescriptImporter().then((tsImport) => tsImport(pathToFileURL(file).href, import.meta.url))
      : (import(pathToFileURL(file).href) as Promise<Record<string, unknown>>);
    loaded.set(file, p);
    p.catch(() => { if (loaded.get(file) === p) loaded.delete(file); }); // a fixed file may be tried again
  }
  return p;
}

/** Loads a user module (.ts, .mts, .cts, .js, .mjs, .cjs); `baseDir` resolves relative paths (the config file's folder). */
export async function loadAgentModule(name: string, modulePath: string, baseDir: string): Promise<AgentFactory> {
  const file = isAbsolute(modulePath) ? modulePath : resolve(baseDir, modulePath);
  if (!existsSync(file)) throw new AgentLoadError(name, `no such file: ${file}`);
  let mod: Record<string, unknown>;
  try {
    mod = await importOnce(file);
  } catch (err) {
    throw new AgentLoadError(name, `import of ${file} failed: ${(err as Error).message}`);
  }
  const exported = factoryOf(mod);
  if (isFunction(exported)) return exported;
  if (exported) return () => exported;
  throw new AgentLoadError(name, `${file} exports neither a default factory nor createAgent (export default function createAgent(settings) { return { start(call, io) {…} }; })`);
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
