/**
 * RFC 4733 sender: the packet sequence for one digit. §2.5.1: the first packet has the marker
 * bit; all packets carry the event's start timestamp; an update is sent every packet time with
 * the duration so far; §2.5.1.4: the final packet (E bit) is sent three times with the same
 * duration.
 */
import { digitToEvent, serializeTelephoneEvent } from './telephone-event.js';

export interface DtmfSendOptions {
  /** Event duration in ms (default 100; rounded up to whole packets). */
  durationMs?: number;
  /** Packet interval in ms (default 20). */
  ptimeMs?: number;
  /** telephone-event clock rate (default 8000). */
  clockRate?: number;
  /** −dBm0, 0..63 (default 10). */
  volume?: number;
  /** RTP timestamp of the event: the media timestamp at the start of the digit. */
  timestamp: number;
}

export interface DtmfPacketPlan {
  /** When to send it, relative to the first packet. */
  offsetMs: number;
  marker: boolean;
  timestamp: number;
  payload: Buffer;
  end: boolean;
}

export function dtmfPackets(digit: string, options: DtmfSendOptions): DtmfPacketPlan[] {
  const event = digitToEvent(digit);
  const ptimeMs = options.ptimeMs ?? 20;
  const clockRate = options.clockRate ?? 8000;
  const volume = options.volume ?? 10;
  const timestamp = options.timestamp >>> 0;
  const ticksPerPacket = (ptimeMs * clockRate) / 1000;
  const updates = Math.max(1, Math.ceil((options.durationMs ?? 100) / ptimeMs));
  // §2.5.1.3: a duration that does not fit in 16 bits needs segmenting; digits are far shorter.
  const total = Math.min(updates * ticksPerPacket, 0xffff);

  const out: DtmfPacketPlan[] = [];
  for (let k = 0; k < updates; k++) {
    const last = k === updates - 1;
    out.push({
      offsetMs: k * ptimeMs,
      marker: k === 0,
      timestamp,
      payload: serializeTelephoneEvent({ event, end: last, volume, duration: last ? total : (k + 1) * ticksPerPacket }),
      end: last,
    });
  }
  for (let r = 1; r <= 2; r++) {
    out.push({
      offsetMs: (updates - 1 + r) * ptimeMs,
      marker: false,
      timestamp,
      payload: serializeTelephoneEvent({ event, end: true, volume, duration: total }),
      end: true,
    });
  }
  return out;
}
