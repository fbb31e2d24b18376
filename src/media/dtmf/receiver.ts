/**
 * RFC 4733 receiver: turns a stream of telephone-event packets into digits, each reported once.
 *
 * An event is identified by its RTP timestamp and event code (RFC 4733 §2.5: all packets of one event
 * carry the event's start timestamp). The marker bit is not relied on — it is lost with the first
 * packet, and some gateways never set it. A digit is reported:
 *   - on the first packet with the E bit (§2.5.1.4: the end packet is sent three times; the
 *     copies are recognised as the same event and ignored);
 *   - or, if the end packets were all lost, when a different event starts or when `poll()` finds
 *     no packet of the event for `endTimeoutMs`.
 * A digit that arrives only as end packets is reported from the first of them; a lost start
 * packet does not matter because any packet of an unknown event opens it. A long event that
 * continues in a new segment (§2.5.1.3) stays one digit.
 */
import { eventToDigit, parseTelephoneEvent, type TelephoneEvent } from './telephone-event.js';

export interface DtmfDigit {
  digit: string;
  event: number;
  /** RTP timestamp of the event (its start). */
  timestamp: number;
  /** Duration in RTP ticks as last reported by the sender. */
  durationTicks: number;
  durationMs: number;
  volume: number;
  /** false when the end packets never arrived and the digit was closed by a timeout or a new event. */
  ended: boolean;
}

export interface DtmfReceiverOptions {
  /** Clock rate of the telephone-event format (default 8000). */
  clockRate?: number;
  /** Close an event without end packet after this long without packets (default 1000 ms). */
  endTimeoutMs?: number;
}

export interface TelephoneEventPacket {
  timestamp: number;
  payload: Uint8Array;
  arrivalMs: number;
}

interface OpenEvent {
  key: string;
  ev: TelephoneEvent;
  /** Timestamp of the event's first segment. */
  timestamp: number;
  /** Duration of the earlier segments of a long event (§2.5.1.3), ticks. */
  earlierTicks: number;
  lastArrivalMs: number;
}

/** How many finished (timestamp, event) identities to remember, to drop late copies. */
const HISTORY = 32;

export class DtmfReceiver {
  readonly #clockRate: number;
  readonly #endTimeoutMs: number;
  #open: OpenEvent | undefined;
  readonly #done: string[] = [];

  constructor(options: DtmfReceiverOptions = {}) {
    this.#clockRate = options.clockRate ?? 8000;
    this.#endTimeoutMs = options.endTimeoutMs ?? 1000;
  }

  /** Feed one telephone-event packet; returns the digits completed by it (0, 1 or 2). */
  push(packet: TelephoneEventPacket): DtmfDigit[] {
    const ev = parseTelephoneEvent(packet.payload);
    const timestamp = packet.timestamp >>> 0;
    const key = `${timestamp}:${ev.event}`;
    if (this.#done.includes(key)) return []; // a duplicate, or a copy of the end packet

    const out: DtmfDigit[] = [];
    let open = this.#open;
    if (open && open.key !== key && open.ev.event === ev.event && open.ev.duration === 0xffff &&
      ((open.timestamp + open.earlierTicks + 0xffff) >>> 0) === timestamp) {
      // §2.5.1.3: a long event continues in a new segment whose timestamp is where the previous
      // one ended (its duration having reached 0xFFFF): the same digit, not a new one.
      this.#markDone(open.key);
      open.key = key;
      open.earlierTicks += 0xffff;
      open.ev = ev;
    }
    if (open && open.key !== key) {
      // A new event started while the previous one never ended (its end packets were lost).
      this.#close(open, open.ev, false, out);
      open = undefined;
    }
    if (!open) {
      open = { key, ev, timestamp, earlierTicks: 0, lastArrivalMs: packet.arrivalMs };
      this.#open = open;
    } else {
      // Updates may be reordered: keep the longest duration seen.
      if (ev.duration >= open.ev.duration) open.ev = ev;
      open.lastArrivalMs = packet.arrivalMs;
    }
    // §2.5.1.4: the end packet carries the final duration.
    if (ev.end) this.#close(open, ev, true, out);
    return out;
  }

  /** Close an event whose end packets were lost, once it has been silent for endTimeoutMs. */
  poll(nowMs: number): DtmfDigit[] {
    const out: DtmfDigit[] = [];
    const open = this.#open;
    if (open && nowMs - open.lastArrivalMs >= this.#endTimeoutMs) this.#close(open, open.ev, false, out);
    return out;
  }

  /** Forget everything (new SSRC). An open event is dropped, not reported. */
  reset(): void {
    this.#open = undefined;
    this.#done.length = 0;
  }

  #close(open: OpenEvent, ev: TelephoneEvent, ended: boolean, out: DtmfDigit[]): void {
    this.#open = undefined;
    this.#markDone(open.key);
    const digit = eventToDigit(ev.event);
    if (digit === undefined) return; // not a DTMF event (e.g. flash): consumed silently
    out.push({
      digit,
      event: ev.event,
      timestamp: open.timestamp,
      durationTicks: open.earlierTicks + ev.duration,
      durationMs: Math.round(((open.earlierTicks + ev.duration) * 1000) / this.#clockRate),
      volume: ev.volume,
      ended,
    });
  }

  #markDone(key: string): void {
    this.#done.push(key);
    if (this.#done.length > HISTORY) this.#done.shift();
  }
}
