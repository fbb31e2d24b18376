/**
 * The CDR webhook: one POST per finished call (its row as JSON, docs/cdr.md), retried with
 * exponential backoff; after the last attempt the payload goes to the cdr_dead_letter table. The
 * row's `webhook` column says where it stands (pending → delivered | dead), so a record still
 * pending when the process stops (or dies) is sent again by the next start: delivery is at least
 * once, and the `Idempotency-Key` header (the record's id) lets the receiver drop a repeat.
 */
import type { Logger } from '../../log.js';
import type { CdrWebhookConfig } from '../config/cdr.js';
import { cdrJson } from './format.js';
import type { CdrRow, CdrStore } from './store.js';

export class CdrWebhook {
  readonly #cfg: CdrWebhookConfig;
  readonly #store: CdrStore;
  readonly #log: Logger;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inflight = new Map<Promise<void>, AbortController>();
  #closed = false;

  constructor(options: { config: CdrWebhookConfig; store: CdrStore; logger: Logger }) {
    this.#cfg = options.config;
    this.#store = options.store;
    this.#log = options.logger;
  }

  /** Starts delivering `row` (state pending in the store). */
  send(row: CdrRow): void {
    if (this.#closed) return;
    this.#attempt(row, JSON.stringify(cdrJson(row)), 1);
  }

  #attempt(row: CdrRow, payload: string, n: number): void {
    const abort = new AbortController();
    const p = this.#post(payload, row.id, abort.signal).then(
      () => {
        if (this.#store.closed) return;
        this.#store.setWebhook(row.id, 'delivered');
        this.#log.debug({ event: 'cdr_webhook_delivered', cdrId: row.id, callId: row.sip_call_id, attempt: n }, 'CDR webhook delivered');
      },
      (err: unknown) => {
        if (this.#closed) return; // still pending in the store: the next start sends it
        const error = err instanceof Error ? err.message : String(err);
        if (n >= this.#cfg.attempts) {
          this.#store.deadLetter({ cdrId: row.id, url: this.#cfg.url, attempts: n, lastError: error, payload });
          this.#store.setWebhook(row.id, 'dead');
          this.#log.warn({ event: 'cdr_webhook_dead', cdrId: row.id, callId: row.sip_call_id, attempts: n, error }, 'CDR webhook failed for good: record in cdr_dead_letter');
          return;
        }
        const wait = this.#cfg.backoff_ms * 2 ** (n - 1);
        this.#log.info({ event: 'cdr_webhook_retry', cdrId: row.id, callId: row.sip_call_id, attempt: n, error, retryInMs: wait }, 'CDR webhook failed: retrying');
        const t = setTimeout(() => { this.#timers.delete(t); this.#attempt(row, payload, n + 1); }, wait);
        this.#timers.add(t);
      },
    ).finally(() => this.#inflight.delete(p));
    this.#inflight.set(p, abort);
  }

  async #post(payload: string, id: string, signal: AbortSignal): Promise<void> {
    const res = await fetch(this.#cfg.url, {
      method: 'POST',
      headers: { ...this.#cfg.headers, 'Content-Type': 'application/json', 'Idempotency-Key': id },
      body: payload,
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.#cfg.timeout_ms)]),
    });
    // The body is not used; reading it frees the connection.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
  }

  /**
   * Stops: waits up to `graceMs` for POSTs under way, then aborts them and drops the retry timers.
   * What is not delivered stays pending in the store.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.#closed) return;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (this.#inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.#inflight.keys()]), new Promise((r) => { timer = setTimeout(r, graceMs); })]);
      clearTimeout(timer);
    }
    this.#closed = true;
    for (const a of this.#inflight.values()) a.abort();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
