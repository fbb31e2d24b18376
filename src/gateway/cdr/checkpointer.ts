/**
 * WAL checkpoints off the call path.
 *
 * In WAL mode SQLite checkpoints automatically inside the COMMIT that takes the log past
 * `wal_autocheckpoint` pages (1,000 by default): that commit copies the log into the database and
 * syncs both (sqlite.org/wal.html §"Automatic Checkpoint"), milliseconds of I/O wait on the thread
 * that committed, which here is the gateway's main thread between two SIP messages. At a few hundred
 * calls per second the log passes 1,000 pages every second or two. So this worker thread, with its
 * own connection to the file, runs a PASSIVE checkpoint every interval: PASSIVE never waits for the
 * writer and never blocks it (§"Application-Initiated Checkpoints").
 *
 * PASSIVE alone does not bound the log: SQLite rewinds the WAL only when a writer starts while every
 * frame has been copied, and with commits arriving all the time one always lands first (a bench of
 * back-to-back commits left a 464 MiB log). A RESTART checkpoint from this thread would rewind it,
 * but it must catch the writer between two transactions and then holds it off while it syncs: under
 * back-to-back commits it rarely got in, and when it did the writer waited 130 ms. So the bound is
 * the writer's own: its automatic checkpoint stays on, at WAL_BOUND_PAGES instead of 1,000 pages.
 * Most of the log has already been copied by this thread when the writer gets there, so that
 * checkpoint copies only what came since the last PASSIVE one, then syncs, and the log rewinds.
 *
 * If the thread cannot start or dies, the writer's automatic checkpoints go back to SQLite's 1,000
 * pages (they do all the copying again) and the owner is told. The worker is a small plain-JavaScript
 * program so that it runs the same from source (tsx) and from dist/.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** One PASSIVE checkpoint's result (PRAGMA wal_checkpoint): frames in the log and frames copied. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface CheckpointerOptions {
  /** The database file (WAL mode; the writer has it open). */
  path: string;
  /** Time between checkpoints, ms. Default 100. */
  intervalMs?: number;
  /** After each checkpoint that found frames in the log. */
  onCheckpoint?: (r: CheckpointResult) => void;
  /** The thread failed or exited before stop(): automatic checkpoints must come back. */
  onFailure: (err: Error) => void;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 100;
/** The writer's wal_autocheckpoint while this thread runs: the log's bound, pages (40 MiB at 4 KiB). */
export const WAL_BOUND_PAGES = 10_000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const checkpoint = () => {
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    if (r && r.log > 0) parentPort.postMessage({ type: 'checkpoint', busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    if (!String(err && err.code).startsWith('SQLITE_BUSY')) throw err;
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class WalCheckpointer {
  readonly #worker: Worker;
  #stopped = false;

  constructor(options: CheckpointerOptions) {
    const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      name: 'cdr-checkpointer',
      workerData: { module: betterSqlite, path: options.path, intervalMs: options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS },
    });
    // A checkpointer must not keep the process alive on its own.
    this.#worker.unref();
    this.#worker.on('message', (m: { type: string } & CheckpointResult) => {
      if (m.type === 'checkpoint') options.onCheckpoint?.({ busy: m.busy, log: m.log, checkpointed: m.checkpointed });
    });
    this.#worker.on('error', (err) => { if (!this.#stopped) options.onFailure(err); });
    this.#worker.on('exit', (code) => {
      if (!this.#stopped) options.onFailure(new Error(`the WAL checkpoint thread exited (${code})`));
    });
  }

  /** Ends the thread (it closes its connection); the writer's own close checkpoints last. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#worker.postMessage('stop');
  }

  /** For tests: ends the thread as a crash would. */
  kill(): Promise<number> {
    return this.#worker.terminate();
  }
}
