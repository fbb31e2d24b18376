import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The process-wide logger: pino, JSON lines on stdout. Level from TRUNKGATE_LOG_LEVEL (default
 * `info`; tests default to `silent` unless the variable is set). Calls get a child with their
 * Call-ID via `callLogger`.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const fallback = process.env.VITEST ? 'silent' : 'info';
  return pino({
    name: options.name ?? 'trunkgate',
    level: options.level ?? process.env.TRUNKGATE_LOG_LEVEL ?? fallback,
    base: { pid: process.pid },
  });
}

export const rootLogger: Logger = createLogger();

/** One child logger per call, carrying its Call-ID on every line. */
export function callLogger(parent: Logger, callId: string, extra: Record<string, unknown> = {}): Logger {
  return parent.child({ callId, ...extra });
}
