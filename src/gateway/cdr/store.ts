/**
 * The CDR database: one writer connection (better-sqlite3, synchronous), WAL journal. Every write
 * is one prepared statement in its own implicit transaction, done before the SIP message that
 * follows it is handed on — so a process killed at any moment leaves each call it had admitted in
 * the file, finished or not (WAL with synchronous=NORMAL: a commit is in the WAL file, i.e. the OS,
 * when the call returns; only a power loss could take the last commits back).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CdrError } from './errors.js';
import { migrate } from './schema.js';

export type CdrState = 'invited' | 'answered' | 'ending' | 'ended' | 'crashed';
export type WebhookState = 'pending' | 'delivered' | 'dead';

/** One row as stored (column names are the table's). */
export interface CdrRow {
  id: string;
  sip_call_id: string;
  instance: string;
  direction: 'inbound' | 'outbound';
  state: CdrState;
  trunk: string;
  from_number: string | null;
  to_number: string | null;
  dialled: string | null;
  agent: string | null;
  source: string | null;
  codec: string | null;
  invite_at: string;
  answer_at: string | null;
  end_at: string | null;
  setup_ms: number | null;
  duration_ms: number | null;
  sip_status: number | null;
  hangup_by: string | null;
  hangup_reason: string | null;
  transfer_result: string | null;
  transfers: number | null;
  packets_in: number | null;
  packets_out: number | null;
  packets_lost: number | null;
  jitter_ms: number | null;
  late_frames: number | null;
  dtmf_in: number | null;
  rtt_ms: number | null;
  remote_packets_lost: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  end_record: string | null;
  webhook: WebhookState | null;
}

export type InviteRow = Pick<CdrRow, 'id' | 'sip_call_id' | 'direction' | 'trunk' | 'from_number' | 'to_number' | 'dialled' | 'agent' | 'source' | 'invite_at'>;

/** What the end of a call fills in (the call_end record's columns). */
export type EndColumns = Pick<CdrRow, 'codec' | 'answer_at' | 'end_at' | 'setup_ms' | 'duration_ms' | 'sip_status' | 'hangup_by' | 'hangup_reason'
  | 'transfer_result' | 'transfers' | 'packets_in' | 'packets_out' | 'packets_lost' | 'jitter_ms' | 'late_frames' | 'dtmf_in' | 'rtt_ms'
  | 'remote_packets_lost' | 'input_tokens' | 'output_tokens' | 'total_tokens' | 'end_record'>;

export interface RecoveryResult {
  /** Calls in flight when the previous process died: now state crashed, end unknown. */
  crashed: number;
  /** Calls that had ended (end time, side, reason written) but not their final figures: now ended. */
  completed: number;
}

export interface DeadLetter {
  cdrId: string;
  url: string;
  attempts: number;
  lastError: string;
  payload: string;
}

/** The reason written on calls a previous process left in flight (docs/cdr.md). */
export const CRASHED_REASON = 'gateway_crashed';

/** Opens (creating folder, file and schema as needed) the database at `path` for writing; throws CdrError CDR_OPEN / CDR_SCHEMA. */
export function openCdrDatabase(path: string, options: { readonly?: boolean } = {}): Database.Database {
  let db: Database.Database;
  try {
    if (!options.readonly) makeFolders(dirname(path));
    db = new Database(path, options.readonly ? { readonly: true, fileMustExist: true } : {});
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
  } catch (err) {
    throw new CdrError('CDR_OPEN', `cannot open the CDR database ${path}: ${(err as Error).message}`, path, { cause: err });
  }
  try {
    if (options.readonly) {
      const v = db.pragma('user_version', { simple: true }) as number;
      if (v === 0) throw new CdrError('CDR_SCHEMA', `${path} is not a trunkgate CDR database (user_version 0)`, path);
    } else {
      migrate(db, path);
    }
  } catch (err) {
    db.close();
    if (err instanceof CdrError) throw err;
    throw new CdrError('CDR_OPEN', `cannot open the CDR database ${path}: ${(err as Error).message}`, path, { cause: err });
  }
  return db;
}

/**
 * mkdir -p one level at a time: Node 20's `mkdirSync(…, { recursive: true })` spins forever on a
 * path below /proc (mkdir gives ENOENT for a parent that exists); a plain mkdir fails at once.
 */
function makeFolders(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeFolders(parent);
  mkdirSync(dir);
}

export class CdrStore {
  readonly path: string;
  readonly instance: string;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #answered: Database.Statement;
  readonly #ending: Database.Statement;
  readonly #ended: Database.Statement;
  readonly #webhook: Database.Statement;
  readonly #dead: Database.Statement;
  readonly #get: Database.Statement;
  #closed = false;

  constructor(options: { path: string; instance: string }) {
    this.path = options.path;
    this.instance = options.instance;
    this.#db = openCdrDatabase(options.path);
    const db = this.#db;
    this.#insert = db.prepare(`INSERT INTO cdr (id, sip_call_id, instance, direction, state, trunk, from_number, to_number, dialled, agent, source, invite_at)
      VALUES (@id, @sip_call_id, @instance, @direction, 'invited', @trunk, @from_number, @to_number, @dialled, @agent, @source, @invite_at)`);
    this.#answered = db.prepare(`UPDATE cdr SET state = 'answered', answer_at = @answer_at, codec = coalesce(@codec, codec) WHERE id = @id AND state = 'invited'`);
    this.#ending = db.prepare(`UPDATE cdr SET state = 'ending', end_at = @end_at, hangup_by = @hangup_by, hangup_reason = @hangup_reason WHERE id = @id AND state IN ('invited', 'answered')`);
    this.#ended = db.prepare(`UPDATE cdr SET state = 'ended', codec = coalesce(@codec, codec), answer_at = coalesce(@answer_at, answer_at), end_at = coalesce(end_at, @end_at),
      setup_ms = @setup_ms, duration_ms = @duration_ms, sip_status = @sip_status, hangup_by = coalesce(hangup_by, @hangup_by), hangup_reason = coalesce(hangup_reason, @hangup_reason),
      transfer_result = @transfer_result, transfers = @transfers, packets_in = @packets_in, packets_out = @packets_out, packets_lost = @packets_lost,
      jitter_ms = @jitter_ms, late_frames = @late_frames, dtmf_in = @dtmf_in, rtt_ms = @rtt_ms, remote_packets_lost = @remote_packets_lost,
      input_tokens = @input_tokens, output_tokens = @output_tokens, total_tokens = @total_tokens, end_record = @end_record, webhook = @webhook
      WHERE id = @id AND state IN ('invited', 'answered', 'ending')`);
    this.#webhook = db.prepare('UPDATE cdr SET webhook = @webhook WHERE id = @id');
    this.#dead = db.prepare('INSERT INTO cdr_dead_letter (cdr_id, url, attempts, last_error, failed_at, payload) VALUES (@cdrId, @url, @attempts, @lastError, @failedAt, @payload)');
    this.#get = db.prepare('SELECT * FROM cdr WHERE id = ?');
  }

  /**
   * Rows of this instance a previous process left unfinished: in flight (invited, answered) →
   * crashed, hang-up by the gateway, reason gateway_crashed, end unknown; ending (the end was
   * written, the final figures were not) → ended. Both get a webhook when one is configured.
   */
  recover(webhook: boolean): RecoveryResult {
    const hook = webhook ? "'pending'" : 'webhook';
    return this.#db.transaction(() => {
      const crashed = this.#db.prepare(`UPDATE cdr SET state = 'crashed', hangup_by = 'gateway', hangup_reason = '${CRASHED_REASON}', webhook = ${hook}
        WHERE instance = ? AND state IN ('invited', 'answered')`).run(this.instance).changes;
      const completed = this.#db.prepare(`UPDATE cdr SET state = 'ended', webhook = ${hook} WHERE instance = ? AND state = 'ending'`).run(this.instance).changes;
      return { crashed, completed };
    })();
  }

  invited(row: InviteRow): void {
    this.#insert.run({ ...row, instance: this.instance });
  }

  answered(id: string, answerAt: string, codec: string | null): void {
    this.#answered.run({ id, answer_at: answerAt, codec });
  }

  ending(id: string, endAt: string, by: string, reason: string): void {
    this.#ending.run({ id, end_at: endAt, hangup_by: by, hangup_reason: reason });
  }

  ended(id: string, end: EndColumns, webhook: WebhookState | null): void {
    this.#ended.run({ id, ...end, webhook });
  }

  setWebhook(id: string, state: WebhookState): void {
    this.#webhook.run({ id, webhook: state });
  }

  deadLetter(d: DeadLetter): void {
    this.#dead.run({ ...d, failedAt: new Date().toISOString() });
  }

  get(id: string): CdrRow | undefined {
    return this.#get.get(id) as CdrRow | undefined;
  }

  /** Finished rows of this instance whose webhook was not delivered yet (a restart resends them). */
  pendingWebhooks(): CdrRow[] {
    return this.#db.prepare("SELECT * FROM cdr WHERE instance = ? AND webhook = 'pending' ORDER BY invite_at").all(this.instance) as CdrRow[];
  }

  /** The underlying connection (tests and the benchmark read through it). */
  get db(): Database.Database {
    return this.#db;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Checkpoints the WAL into the file and closes; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try { this.#db.pragma('wal_checkpoint(TRUNCATE)'); } catch { /* another connection holds it: the next opener checkpoints */ }
    this.#db.close();
  }
}
