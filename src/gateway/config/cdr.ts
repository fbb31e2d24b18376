/**
 * `cdr:` — durable call detail records (docs/cdr.md): one SQLite row per call, written at the
 * INVITE and updated at the answer and at the end, and an optional webhook per finished call.
 */
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** `$XDG_STATE_HOME/trunkgate/cdr.sqlite` (default `~/.local/state/trunkgate/cdr.sqlite`). */
export function defaultCdrPath(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.length > 0 ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'trunkgate', 'cdr.sqlite');
}

/** This instance's name in its rows when `cdr.instance` is not set: host name and first SIP port. */
export function defaultInstanceId(sipPort: number): string {
  return `${hostname()}:${sipPort}`;
}

export const cdrWebhookSchema = z.object({
  url: z.string().url().refine((u) => /^https?:/i.test(u), { message: 'webhook url must be http(s)' }),
  /** One POST may take this long before it counts as failed. */
  timeout_ms: z.number().int().min(100).default(5000),
  /** Attempts per record before it goes to the dead-letter table (the first one included). */
  attempts: z.number().int().min(1).max(20).default(5),
  /** Wait before the 2nd attempt; doubled for each further one. */
  backoff_ms: z.number().int().min(10).default(1000),
  /** Extra request headers (e.g. Authorization). */
  headers: z.record(z.string(), z.string()).default({}),
}).strict();

export const cdrSchema = z.object({
  /** false: no CDRs at all (nothing is opened). */
  enabled: z.boolean().default(true),
  /** SQLite file; a relative path is taken from the config file's folder. Default: defaultCdrPath(). */
  path: z.string().min(1).optional(),
  /** Tells instances sharing a database (or merged later) apart. Default: cluster.instance_id, else defaultInstanceId(). */
  instance: z.string().min(1).max(200).optional(),
  webhook: cdrWebhookSchema.optional(),
}).strict();

export type CdrConfig = z.output<typeof cdrSchema>;
export type CdrWebhookConfig = z.output<typeof cdrWebhookSchema>;
