/**
 * The CDR database: one writer connection (better-sqlite3, synchronous), WAL journal.
 *
 * Writes are queued and committed together in one transaction per event-loop turn (setImmediate):
 * a commit here blocks for ~150–200 µs of mostly I/O wait whatever its size, so one per write
 * would hold the call path for ~1 ms per call (bench/gateway/cdr.bench.ts). The turn's commit
 * still comes before the SIP message that follows a write leaves: the application hands its
 * responses to the drachtio server over a TCP connection, read in a later poll phase than this
 * turn's check phase (and an external drachtio-server is another process further away). So a
 * process killed at any moment leaves each call it had admitted in the file, finished or not
 * (WAL with synchronous=NORMAL: a commit is in the WAL file, i.e. the OS, once it returns; only a
 * power loss could take the last commits back). `flush()` commits at once (exit, close, reads).
 * The WAL is copied into the database by a thread of its own (checkpointer.ts); a commit checkpoints
 * only when the log reaches its bound, and then has little left to copy.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { WalCheckpointer, WAL_BOUND_PAGES, type CheckpointerOptions, type CheckpointResult } from './checkpointer.js';
import { CdrError } from './errors.js';
import { migrate, UNFINISHED } from './schema.js';

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

const BUSY_TIMEOUT_MS = 5000;
/** SQLite's default wal_autocheckpoint, restored when the checkpoint thread is not running. */
const AUTOCHECKPOINT_PAGES = 1000;

/**
 * Runs `fn` again while SQLite answers SQLITE_BUSY without waiting, for up to BUSY_TIMEOUT_MS.
 * busy_timeout does not cover every case: "If SQLite determines that invoking the busy handler could
 * result in a deadlock, it will go ahead and return SQLITE_BUSY", and in WAL mode the last
 * connection to close holds an exclusive lock while it cleans up, during which another connection
 * opening the file gets SQLITE_BUSY at once (sqlite.org/wal.html §"Sometimes Queries Return
 * SQLITE_BUSY In WAL Mode"). Only at open: the writes that follow wait in busy_timeout.
 */
function retryWhileBusy<T>(fn: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      if (!String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw err;
      // A synchronous pause (this runs once, at start): 5–40 ms, growing.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(40, 5 * (attempt + 1)));
    }
  }
}

/** Opens (creating folder, file and schema as needed) the database at `path` for writing; throws CdrError CDR_OPEN / CDR_SCHEMA. */
export function openCdrDatabase(path: string, options: { readonly?: boolean } = {}): Database.Database {
  let db: Database.Database;
  try {
    if (!options.readonly) makeFolders(dirname(path));
    db = new Database(path, options.readonly ? { readonly: true, fileMustExist: true } : {});
  } catch (err) {
    throw new CdrError('CDR_OPEN', `cannot open the CDR database ${path}: ${(err as Error).message}`, path, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    retryWhileBusy(() => {
      if (options.readonly) {
        const v = db.pragma('user_version', { simple: true }) as number;
        if (v === 0) throw new CdrError('CDR_SCHEMA', `${path} is not a trunkgate CDR database (user_version 0)`, path);
      } else {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        migrate(db, path);
      }
    });
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
  readonly #queue: { what: string; id: string; run: () => void }[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  readonly #commit: () => void;
  readonly #onError: (err: unknown, what: string, id: string | undefined) => void;
  readonly #insert: Database.Statement;
  readonly #answered: Database.Statement;
  readonly #ending: Database.Statement;
  readonly #ended: Database.Statement;
  readonly #webhook: Database.Statement;
  readonly #dead: Database.Statement;
  readonly #get: Database.Statement;
  #checkpointer: WalCheckpointer | undefined;
  #closed = false;

  constructor(options: {
    path: string;
    instance: string;
    onWriteError?: (err: unknown, what: string, id: string | undefined) => void;
    /** WAL checkpoints on a thread of their own (default true; an object tunes it); false: SQLite's automatic ones, inside commits. */
    checkpointThread?: boolean | (Pick<CheckpointerOptions, 'intervalMs'> & { boundPages?: number });
    /** For tests: each checkpoint the thread made that found frames in the log. */
    onCheckpoint?: (r: CheckpointResult) => void;
  }) {
    this.path = options.path;
    this.instance = options.instance;
    this.#onError = options.onWriteError ?? (() => undefined);
    this.#db = openCdrDatabase(options.path);
    const db = this.#db;
    if (options.checkpointThread !== false && options.path !== ':memory:') {
      const { boundPages = WAL_BOUND_PAGES, ...tuning } = typeof options.checkpointThread === 'object' ? options.checkpointThread : {};
      this.#startCheckpointer(boundPages, { ...tuning, ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}) });
    }
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
    this.#commit = db.transaction(() => {
      for (const op of this.#queue.splice(0)) {
        // A failing statement is undone alone (SQLite statement journal); the others commit.
        try { op.run(); } catch (err) { this.#onError(err, op.what, op.id); }
      }
    });
  }

  #startCheckpointer(boundPages: number, tuning: Omit<CheckpointerOptions, 'path' | 'onFailure'>): void {
    // Without the thread (it could not start, or died) SQLite's automatic checkpoints come back.
    const fallBack = (err: unknown): void => {
      this.#checkpointer = undefined;
      if (this.#db.open) this.#db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      this.#onError(err, 'WAL checkpoint thread (automatic checkpoints are back on)', undefined);
    };
    try {
      // The thread copies the log as it grows; the writer's own checkpoint is only the bound (checkpointer.ts).
      this.#db.pragma(`wal_autocheckpoint = ${boundPages}`);
      this.#checkpointer = new WalCheckpointer({ path: this.path, ...tuning, onFailure: fallBack });
    } catch (err) {
      fallBack(err);
    }
  }

  /** Checkpoints are made by SQLite inside commits every 1,000 pages (the thread is not running). */
  get automaticCheckpoints(): boolean {
    return (this.#db.pragma('wal_autocheckpoint', { simple: true }) as number) === AUTOCHECKPOINT_PAGES;
  }

  /** For tests: the checkpoint thread as a crash would end it. */
  killCheckpointer(): Promise<number> | undefined {
    return this.#checkpointer?.kill();
  }

  #enqueue(what: string, id: string, run: () => void): void {
    if (this.#closed) return;
    this.#queue.push({ what, id, run });
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Commits every queued write now, in one transaction. */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#queue.length === 0 || !this.#db.open) return;
    const n = this.#queue.length;
    try {
      this.#commit();
    } catch (err) {
      this.#queue.length = 0;
      this.#onError(err, `commit of ${n} writes`, undefined);
    }
  }

  /**
   * Rows of this instance a previous process left unfinished: in flight (invited, answered) →
   * crashed, hang-up by the gateway, reason gateway_crashed, end unknown; ending (the end was
   * written, the final figures were not) → ended. Both get a webhook when one is configured.
   */
  recover(webhook: boolean): RecoveryResult {
    const [crashedSql, completedSql] = recoverySql(webhook);
    return this.#db.transaction(() => {
      const crashed = this.#db.prepare(crashedSql).run(this.instance).changes;
      const completed = this.#db.prepare(completedSql).run(this.instance).changes;
      return { crashed, completed };
    })();
  }

  invited(row: InviteRow): void {
    const params = { ...row, instance: this.instance };
    this.#enqueue('invite', row.id, () => this.#insert.run(params));
  }

  answered(id: string, answerAt: string, codec: string | null): void {
    this.#enqueue('answer', id, () => this.#answered.run({ id, answer_at: answerAt, codec }));
  }

  ending(id: string, endAt: string, by: string, reason: string): void {
    this.#enqueue('end', id, () => this.#ending.run({ id, end_at: endAt, hangup_by: by, hangup_reason: reason }));
  }

  ended(id: string, end: EndColumns, webhook: WebhookState | null): void {
    this.#enqueue('final', id, () => this.#ended.run({ id, ...end, webhook }));
  }

  setWebhook(id: string, state: WebhookState): void {
    this.#enqueue('webhook', id, () => this.#webhook.run({ id, webhook: state }));
  }

  deadLetter(d: DeadLetter): void {
    const row = { ...d, failedAt: new Date().toISOString() };
    this.#enqueue('dead letter', d.cdrId, () => this.#dead.run(row));
  }

  /** The row as stored, queued writes included. */
  get(id: string): CdrRow | undefined {
    this.flush();
    return this.#get.get(id) as CdrRow | undefined;
  }

  /** Finished rows of this instance whose webhook was not delivered yet (a restart resends them). */
  pendingWebhooks(): CdrRow[] {
    this.flush();
    return this.#db.prepare("SELECT * FROM cdr WHERE instance = ? AND webhook = 'pending' ORDER BY invite_at").all(this.instance) as CdrRow[];
  }

  /** The underlying connection (tests and the benchmark read through it). */
  get db(): Database.Database {
    return this.#db;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Commits what is queued, checkpoints the WAL into the file and closes; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#checkpointer?.stop();
    this.#checkpointer = undefined;
    try { this.#db.pragma('wal_checkpoint(TRUNCATE)'); } catch { /* another connection holds it: the next opener checkpoints */ }
    this.#db.close();
  }
}

/**
 * The two statements of `recover` (parameter: the instance). Each repeats UNFINISHED so that it
 * reads the unfinished rows through the partial index: without it SQLite scanned the whole table
 * (135 ms for 153,000 rows, blocking start-up, against 0.6 ms).
 */
export function recoverySql(webhook: boolean): [crashed: string, completed: string] {
  const hook = webhook ? "'pending'" : 'webhook';
  return [
    `UPDATE cdr SET state = 'crashed', hangup_by = 'gateway', hangup_reason = '${CRASHED_REASON}', webhook = ${hook}
      WHERE instance = ? AND ${UNFINISHED} AND state IN ('invited', 'answered')`,
    `UPDATE cdr SET state = 'ended', webhook = ${hook} WHERE instance = ? AND ${UNFINISHED} AND state = 'ending'`,
  ];
}
