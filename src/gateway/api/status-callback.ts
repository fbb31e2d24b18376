/**
 * POSTs an outbound call's progress to its `status_callback` URL: one JSON body per state, sent in
 * order (a state is sent only after the one before it was delivered or given up), each retried on
 * a network error or a 5xx answer with a growing pause, and given up after the last attempt.
 */
import type { Logger } from '../../log.js';
import type { StatusCallbackBody } from './schemas.js';

export interface StatusCallbackOptions {
  url: string;
  log: Logger;
  /** Attempts per state (default 3). */
  attempts?: number;
  /** Per attempt, ms (default 5000). */
  timeoutMs?: number;
  /** Pause before the second attempt, doubled after each (default 500 ms). */
  backoffMs?: number;
}

export class StatusCallback {
  readonly #o: Required<StatusCallbackOptions>;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: StatusCallbackOptions) {
    this.#o = { attempts: 3, timeoutMs: 5000, backoffMs: 500, ...options };
  }

  /** Queues `body` after the states before it; resolves once it was delivered or given up. */
  send(body: StatusCallbackBody): Promise<void> {
    this.#chain = this.#chain.then(() => this.#deliver(body));
    return this.#chain;
  }

  async #deliver(body: StatusCallbackBody): Promise<void> {
    const { url, attempts, timeoutMs, log } = this.#o;
    let pause = this.#o.backoffMs;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let failure: string;
      try {
        const res = await fetch(url, {
          method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'trunkgate' }, body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status < 500) {
          if (res.status >= 300) log.warn({ event: 'status_callback_refused', url, status: res.status, state: body.event }, 'status callback answered with an error: not retried');
          return;
        }
        failure = `HTTP ${res.status}`;
      } catch (err) {
        failure = (err as Error)?.message ?? String(err);
      }
      if (attempt === attempts) {
        log.warn({ event: 'status_callback_failed', url, state: body.event, attempts, reason: failure }, 'status callback not delivered: giving up');
        return;
      }
      await new Promise((r) => setTimeout(r, pause));
      pause *= 2;
    }
  }
}
