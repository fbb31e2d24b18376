/**
 * The gateway's seam for whatever watches calls without taking part in them: metrics, CDR
 * writers, the REST API's live view. Observers are told, never asked: a listener that throws
 * is logged and the call goes on (mediasoup's observer emitter, safeEmit).
 */
import type { Logger } from '../../log.js';
import type { RejectReason } from './admission.js';
import type { Call } from './call.js';

/** The `call_end` log line's fields, as logged (see Call#logEnd). */
export type CallEndRecord = Record<string, unknown> & {
  event: 'call_end';
  trunk: string;
  answered: boolean;
  durationMs: number;
  setupMs?: number | undefined;
  hangupBy: string;
  reason: string;
  /** Why the gateway ended the call, in one word (`rtp_timeout`, `shutdown` …), when it did. */
  endCause?: string | undefined;
};

export interface GatewayObserver {
  /** An INVITE refused before a call existed (admission, setup failure, CANCEL before media). */
  callRefused?(event: { callId: string; trunk: string; reason: RejectReason; status: number; agent?: string | undefined }): void;
  /** A call exists (admitted, media up, not answered yet). */
  callStarted?(call: Call): void;
  /** After its `call_end` line: the call is gone, its trunk channel free. */
  callEnded?(call: Call, record: CallEndRecord): void;
  /** Drain began (SIGTERM or stop()): no new calls from now on. */
  drainStarted?(event: { graceMs: number; liveCalls: number }): void;
  /**
   * Awaited by stop() after the last call ended and before the drachtio connection closes and
   * the process exits: flush what must survive (CDRs). A rejection is logged.
   */
  stopping?(): void | Promise<void>;
}

/** The observers of one gateway; each notification reaches all, whatever one of them throws. */
export class Observers {
  readonly #list = new Set<GatewayObserver>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Returns an unsubscribe. */
  add(observer: GatewayObserver): () => void {
    this.#list.add(observer);
    return () => this.#list.delete(observer);
  }

  notify<K extends Exclude<keyof GatewayObserver, 'stopping'>>(event: K, ...args: Parameters<NonNullable<GatewayObserver[K]>>): void {
    for (const o of this.#list) {
      const fn = o[event] as ((...a: typeof args) => void) | undefined;
      if (!fn) continue;
      try {
        fn.apply(o, args);
      } catch (err) {
        this.#log.warn({ err, observerEvent: event }, 'gateway observer threw');
      }
    }
  }

  async stopping(): Promise<void> {
    await Promise.all([...this.#list].map(async (o) => {
      try {
        await o.stopping?.();
      } catch (err) {
        this.#log.warn({ err }, 'gateway observer failed while stopping');
      }
    }));
  }
}
