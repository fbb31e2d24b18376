/**
 * Reads and validates a configuration file. Any problem becomes a ConfigError naming the file,
 * the field path (e.g. `trunks[0].sources[1]`) and the reason.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type GatewayConfig } from './schema.js';

export interface ConfigIssue {
  /** Dotted path with [index] for arrays; '' for the whole file. */
  path: string;
  reason: string;
}

export class ConfigError extends Error {
  readonly code: 'CONFIG_UNREADABLE' | 'CONFIG_YAML' | 'CONFIG_INVALID';
  constructor(code: ConfigError['code'], readonly file: string, readonly issues: ConfigIssue[]) {
    super(`${file}: ${issues.map((i) => (i.path ? `${i.path}: ${i.reason}` : i.reason)).join('; ')}`);
    this.name = 'ConfigError';
    this.code = code;
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/** Validates an already-parsed object (tests, programmatic use). */
export function validateConfig(raw: unknown, file = '<inline>'): GatewayConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i: z.core.$ZodIssue) => ({ path: formatPath(i.path), reason: i.message }));
    throw new ConfigError('CONFIG_INVALID', file, issues);
  }
  return result.data;
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

export function loadConfig(file: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', file, [{ path: '', reason: (err as NodeJS.ErrnoException).code ?? String(err) }]);
  }
  return parseConfigText(text, file);
}
