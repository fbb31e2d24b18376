/** The CdrRecorder the config asks for (`cdr:`), or none when `cdr.enabled` is false. */
import { resolve } from 'node:path';
import type { Logger } from '../../log.js';
import { defaultCdrPath, defaultInstanceId } from '../config/cdr.js';
import type { GatewayConfig } from '../config/schema.js';
import { CdrRecorder } from './recorder.js';

/** Where the CDRs of `config` go: `cdr.path` (relative to `baseDir`, the config file's folder) or the default. */
export function cdrPath(config: Pick<GatewayConfig, 'cdr'>, baseDir: string): string {
  return config.cdr.path ? resolve(baseDir, config.cdr.path) : defaultCdrPath();
}

/** Throws CdrError (CDR_OPEN, CDR_SCHEMA) when the database cannot be used. */
export function createCdrRecorder(config: GatewayConfig, baseDir: string, logger: Logger): CdrRecorder | undefined {
  if (!config.cdr.enabled) return undefined;
  return new CdrRecorder({
    path: cdrPath(config, baseDir),
    // Behind a dispatcher each instance is already named (cluster.instance_id): its rows carry that name.
    instance: config.cdr.instance ?? config.cluster.instance_id ?? defaultInstanceId(config.sip.listen[0]?.port ?? 5060),
    webhook: config.cdr.webhook,
    logger,
  });
}
