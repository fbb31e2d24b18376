/**
 * RFC 4733 §2.3 telephone-event payload:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     event     |E|R| volume    |          duration             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { TrunkgateError } from '../../errors.js';

export interface TelephoneEvent {
  /** RFC 4733 §3.2: 0–9, 10 = *, 11 = #, 12–15 = A–D (other values are other events). */
  event: number;
  /** E bit: this packet ends the event. */
  end: boolean;
  /** Power level in −dBm0, 0..63 (§2.3.4). */
  volume: number;
  /** Duration so far in RTP timestamp units, 0..65535 (§2.3.5). */
  duration: number;
}

export class DtmfError extends TrunkgateError<'DTMF_BAD_PAYLOAD' | 'DTMF_BAD_DIGIT'> {
  constructor(code: 'DTMF_BAD_PAYLOAD' | 'DTMF_BAD_DIGIT', message: string) {
    super(code, message);
  }
}

export const TELEPHONE_EVENT_SIZE = 4;
const DIGITS = '0123456789*#ABCD';

/** The digit of an RFC 4733 §3.2 DTMF event, or undefined for non-DTMF events. */
export function eventToDigit(event: number): string | undefined {
  return event >= 0 && event < DIGITS.length ? DIGITS[event] : undefined;
}

/** The RFC 4733 event code of a DTMF digit (0-9 * # A-D, case-insensitive). */
export function digitToEvent(digit: string): number {
  const i = digit.length === 1 ? DIGITS.indexOf(digit.toUpperCase()) : -1;
  if (i < 0) throw new DtmfError('DTMF_BAD_DIGIT', `not a DTMF digit: ${JSON.stringify(digit)}`);
  return i;
}

/** Parse the first event of a telephone-event payload (RFC 2198 redundancy is not used here). */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  if (payload.length < TELEPHONE_EVENT_SIZE) {
    throw new DtmfError('DTMF_BAD_PAYLOAD', `telephone-event payload of ${payload.length} bytes`);
  }
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    // The R bit (0x40) is reserved: senders set it to 0, receivers ignore it (§2.3.3).
    volume: payload[1]! & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

export function serializeTelephoneEvent(ev: TelephoneEvent, out: Buffer = Buffer.allocUnsafe(TELEPHONE_EVENT_SIZE)): Buffer {
  if (!Number.isInteger(ev.event) || ev.event < 0 || ev.event > 255) throw new RangeError(`event ${ev.event} out of range`);
  if (!Number.isInteger(ev.volume) || ev.volume < 0 || ev.volume > 63) throw new RangeError(`volume ${ev.volume} out of range`);
  if (!Number.isInteger(ev.duration) || ev.duration < 0 || ev.duration > 0xffff) throw new RangeError(`duration ${ev.duration} out of range`);
  out[0] = ev.event;
  out[1] = (ev.end ? 0x80 : 0) | ev.volume;
  out[2] = ev.duration >> 8;
  out[3] = ev.duration & 0xff;
  return out;
}
