/** Reading CDRs back (`trunkgate cdr`): rows from a time on, oldest first, streamed. */
import type Database from 'better-sqlite3';
import { CdrError } from './errors.js';
import type { CdrRow } from './store.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since`: a duration back from `now` (`90s`, `15m`, `2h`, `7d`) or a date/time Date.parse
 * reads (`2026-12-07`, `2026-12-07T06:00:00Z`). Returns ISO 8601 UTC; throws CdrError CDR_QUERY.
 */
export function parseSince(value: string, now = Date.now()): string {
  const rel = /^(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim());
  if (rel) return new Date(now - Number(rel[1]) * UNITS[rel[2]!]!).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new CdrError('CDR_QUERY', `--since: '${value}' is neither a duration (15m, 2h, 7d) nor a date (2026-12-07T06:00:00Z)`);
  return new Date(t).toISOString();
}

/** Rows whose INVITE came at or after `since` (all without it), in INVITE order. */
export function selectCdrs(db: Database.Database, options: { since?: string | undefined } = {}): IterableIterator<CdrRow> {
  return options.since
    ? db.prepare('SELECT * FROM cdr WHERE invite_at >= ? ORDER BY invite_at, rowid').iterate(options.since) as IterableIterator<CdrRow>
    : db.prepare('SELECT * FROM cdr ORDER BY invite_at, rowid').iterate() as IterableIterator<CdrRow>;
}
