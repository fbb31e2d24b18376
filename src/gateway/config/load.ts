/**
 * Reads and validates a configuration file. Any problem becomes a ConfigError naming the file,
 * the field path (e.g. `trunks[0].sources[1]`) and the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { configSchema, DRACHTIO_CONTROL_DEFAULTS, type ConfigFile, type GatewayConfig } from './schema.js';
import { TrunkgateError } from '../../errors.js';

export interface ConfigIssue {
  /** Dotted path with [index] for arrays; '' for the whole file. */
  path: string;
  reason: string;
}

export type ConfigErrorCode = 'CONFIG_UNREADABLE' | 'CONFIG_YAML' | 'CONFIG_INVALID';

export class ConfigError extends TrunkgateError<ConfigErrorCode> {
  constructor(code: ConfigErrorCode, readonly file: string, readonly issues: ConfigIssue[]) {
    super(code, `${file}: ${issues.map((i) => (i.path ? `${i.path}: ${i.reason}` : i.reason)).join('; ')}`);
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/**
 * The file's shape turned into the application's, in one place: the drachtio target resolved
 * (external if given, else the embedded listener with the schema's defaults) and the SDP address.
 */
export function normalizeConfig(file: ConfigFile): GatewayConfig {
  const { embedded, external } = file.drachtio;
  return {
    ...file,
    drachtio: external ? { mode: 'external', ...external } : { mode: 'embedded', ...(embedded ?? DRACHTIO_CONTROL_DEFAULTS) },
    media: { ...file.media, sdp_address: file.media.public_address ?? file.media.address },
  };
}

/** Validates an already-parsed object (tests, programmatic use) and normalises it. */
export function validateConfig(raw: unknown, file = '<inline>'): GatewayConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i: z.core.$ZodIssue) => ({ path: formatPath(i.path), reason: i.message }));
    throw new ConfigError('CONFIG_INVALID', file, issues);
  }
  return normalizeConfig(result.data);
}

export function parseConfigText(text: string, file = '<inline>'): GatewayConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const reason = err instanceof YAMLParseError ? err.message : String(err);
    const line = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}` : '';
    throw new ConfigError('CONFIG_YAML', file, [{ path: line, reason }]);
  }
  return validateConfig(raw, file);
}

/** Something in a valid file worth a word at start-up (a bare address taken as one host). */
export type ConfigNote = ConfigIssue;

/** Bare addresses in trunks' sources, read as one host each (the schema writes them out as /32 or /128). */
function bareAddressNotes(raw: unknown): ConfigNote[] {
  const trunks = (raw as { trunks?: unknown } | null)?.trunks;
  if (!Array.isArray(trunks)) return [];
  return trunks.flatMap((t: unknown, i) => {
    const sources = (t as { sources?: unknown } | null)?.sources;
    if (!Array.isArray(sources)) return [];
    return sources.flatMap((src: unknown, j) => (typeof src === 'string' && !src.includes('/') && isIP(src.trim())
      ? [{ path: `trunks[${i}].sources[${j}]`, reason: `'${src}' is one address: taken as ${src.trim()}/${isIP(src.trim()) === 4 ? 32 : 128}` }]
      : []));
  });
}

/**
 * A custom agent's `module:` is relative to the config file's folder (not the working directory):
 * made absolute here, and a file that is not there is a config error naming the field.
 */
function resolveAgentModules(config: GatewayConfig, file: string): void {
  const base = dirname(resolve(file));
  const missing: ConfigIssue[] = [];
  for (const [name, a] of Object.entries(config.agents)) {
    if (a.type !== 'module' || !a.module) continue;
    a.module = resolve(base, a.module);
    if (!existsSync(a.module)) missing.push({ path: `agents.${name}.module`, reason: `no such file: ${a.module} (paths are relative to the config file)` });
  }
  if (missing.length) throw new ConfigError('CONFIG_INVALID', file, missing);
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', file, [{ path: '', reason: (err as NodeJS.ErrnoException).code ?? String(err) }]);
  }
}

/** The file, validated, with agent module paths made absolute, and the notes for the start-up log. */
export function loadConfigWithNotes(file: string): { config: GatewayConfig; notes: ConfigNote[] } {
  const text = readConfigText(file);
  const config = parseConfigText(text, file);
  resolveAgentModules(config, file);
  return { config, notes: bareAddressNotes(parseYaml(text)) };
}

export function loadConfig(file: string): GatewayConfig {
  return loadConfigWithNotes(file).config;
}
