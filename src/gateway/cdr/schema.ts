/**
 * The CDR database's schema, versioned with SQLite's `user_version` (docs/cdr.md): each entry of
 * MIGRATIONS takes the database from version i to i + 1, in one transaction with the version bump,
 * so a database is always at exactly one version. A database above ours is refused (CDR_SCHEMA).
 */
import type { Database } from 'better-sqlite3';
import { CdrError } from './errors.js';

/**
 * The predicate of the partial index `cdr_unfinished`. SQLite uses a partial index only for a query
 * whose WHERE contains this term as written (sqlite.org/partialindex.html §2.2: `state = 'ending'`
 * alone does not qualify), so the queries that want the index repeat it from here.
 */
export const UNFINISHED = "state IN ('invited', 'answered', 'ending')";

const V1 = `
CREATE TABLE cdr (
  id TEXT PRIMARY KEY,                 -- this record's id (UUID), also the webhook's Idempotency-Key
  sip_call_id TEXT NOT NULL,           -- the caller leg's Call-ID
  instance TEXT NOT NULL,              -- which trunkgate instance handled the call
  direction TEXT NOT NULL,             -- inbound | outbound
  state TEXT NOT NULL,                 -- invited | answered | ending | ended | crashed
  trunk TEXT NOT NULL,
  from_number TEXT,
  to_number TEXT,
  dialled TEXT,
  agent TEXT,                          -- the agent's name, or the SIP route's URI
  source TEXT,                         -- carrier address:port the INVITE came from
  codec TEXT,
  invite_at TEXT NOT NULL,             -- ISO 8601 UTC with milliseconds
  answer_at TEXT,
  end_at TEXT,                         -- NULL for state crashed: the end is not known
  setup_ms INTEGER,
  duration_ms INTEGER,
  sip_status INTEGER,                  -- final response to a call not answered (480, 487, 488 …)
  hangup_by TEXT,                      -- caller | agent | gateway | human
  hangup_reason TEXT,
  transfer_result TEXT,
  transfers INTEGER,
  packets_in INTEGER,
  packets_out INTEGER,
  packets_lost INTEGER,
  jitter_ms REAL,
  late_frames INTEGER,
  dtmf_in INTEGER,
  rtt_ms REAL,
  remote_packets_lost INTEGER,
  input_tokens INTEGER,
  output_tokens INTEGER,
  total_tokens INTEGER,
  end_record TEXT,                     -- the call_end log line's fields as JSON (everything above and more)
  webhook TEXT                         -- NULL (none configured) | pending | delivered | dead
);
CREATE INDEX cdr_invite_at ON cdr (invite_at);
CREATE INDEX cdr_sip_call_id ON cdr (sip_call_id);
CREATE INDEX cdr_unfinished ON cdr (instance, state) WHERE ${UNFINISHED};
CREATE INDEX cdr_webhook_pending ON cdr (instance) WHERE webhook = 'pending';
CREATE TABLE cdr_dead_letter (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  cdr_id TEXT NOT NULL,
  url TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  failed_at TEXT NOT NULL,
  payload TEXT NOT NULL
);
`;

export const MIGRATIONS: readonly string[] = [V1];
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings `db` to SCHEMA_VERSION; throws CdrError CDR_SCHEMA for a newer database. Instances sharing
 * one database may open it at the same moment: the version is read and the migrations run inside
 * one write transaction taken at once (BEGIN IMMEDIATE), so the others wait (busy_timeout) and then
 * read the new version — a deferred transaction would let each read 0 and all but one fail on
 * CREATE TABLE.
 */
export function migrate(db: Database, path: string): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new CdrError('CDR_SCHEMA', `${path}: CDR schema version ${current} is newer than this trunkgate's (${SCHEMA_VERSION}); use a newer trunkgate or another cdr.path`, path);
    }
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    if (current < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
