import { pino, type Logger } from 'pino';
import { prettyStream } from './log-pretty.js';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/**
 * JSON unless stdout is a terminal; TRUNKGATE_LOG_FORMAT=json|pretty decides instead. Tests
 * (VITEST) always get JSON.
 */
export function defaultLogFormat(): LogFormat {
  const env = process.env.TRUNKGATE_LOG_FORMAT;
  if (env === 'json' || env === 'pretty') return env;
  return process.stdout.isTTY && !process.env.VITEST ? 'pretty' : 'json';
}

/**
 * The process-wide logger: pino, JSON lines on stdout (human-readable lines on a terminal, see
 * log-pretty.ts). Level from TRUNKGATE_LOG_LEVEL (default `info`; tests default to `silent`
 * unless the variable is set). Calls get a child with their Call-ID via `callLogger`.
 */
export function createLogger(options: { level?: string; name?: string; format?: LogFormat } = {}): Logger {
  const fallback = process.env.VITEST ? 'silent' : 'info';
  const opts = {
    name: options.name ?? 'trunkgate',
    level: options.level ?? process.env.TRUNKGATE_LOG_LEVEL ?? fallback,
    base: { pid: process.pid },
  };
  return (options.format ?? defaultLogFormat()) === 'pretty' ? pino(opts, prettyStream(process.stdout)) : pino(opts);
}

export const rootLogger: Logger = createLogger();

/** One child logger per call, carrying its Call-ID on every line. */
export function callLogger(parent: Logger, callId: string, extra: Record<string, unknown> = {}): Logger {
  return parent.child({ callId, ...extra });
}
