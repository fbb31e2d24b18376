/**
 * RFC 4733 sender: the packet sequence for one digit. §2.5.1: the first packet has the marker
 * bit; all packets carry the event's start timestamp (of their segment, for events longer than
 * 0xFFFF ticks, §2.5.1.3); an update is sent every packet time with the duration so far;
 * §2.5.1.4: the final packet (E bit) is sent three times with the same duration.
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
  const total = updates * ticksPerPacket;

  const out: DtmfPacketPlan[] = [];
  const push = (offsetMs: number, segmentStart: number, duration: number, end: boolean): void => {
    out.push({
      offsetMs,
      marker: out.length === 0,
      timestamp: (timestamp + segmentStart) >>> 0,
      payload: serializeTelephoneEvent({ event, end, volume, duration }),
      end,
    });
  };
  // §2.5.1.3: the 16-bit duration field holds 0xFFFF ticks at most (8.19 s at 8 kHz, 1.37 s at
  // 48 kHz); a longer event continues in a new segment whose timestamp is where the last ended.
  let segmentStart = 0;
  for (let k = 0; k < updates; k++) {
    const elapsed = (k + 1) * ticksPerPacket;
    while (elapsed - segmentStart > 0xffff) {
      push(k * ptimeMs, segmentStart, 0xffff, false);
      segmentStart += 0xffff;
    }
    push(k * ptimeMs, segmentStart, elapsed - segmentStart, k === updates - 1);
  }
  for (let r = 1; r <= 2; r++) push((updates - 1 + r) * ptimeMs, segmentStart, total - segmentStart, true);
  return out;
}
