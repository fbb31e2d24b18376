/**
 * `transfer.media: relay`: caller ↔ human audio through trunkgate's media engine. Each session's
 * decoded frames are played into the other at one shared PCM rate (the higher codec rate of the
 * two, so a G.722 caller and a PCMU human are transcoded through 16 kHz PCM and nothing is lost on
 * the wideband side), and RFC 4733 digits are passed on as digits.
 *
 * Backlog: both legs take exactly one frame per tick of the media clock and send exactly one, so
 * audio that piles up in a leg's play queue while a thread stalls (the main thread, which relays
 * between media workers, or a worker) would never drain: each stall would add its length to the
 * call's delay for good. The relay therefore drops a frame when the queue it would go into already
 * holds more than `maxBacklogMs`, and drains a smaller standing backlog of a frame or more by one
 * frame after it has lasted `drainAfterMs`, the way a jitter buffer shrinks (a 20 ms splice).
 */
import type { AudioFrame, DtmfEvent, MediaSession } from '../../media/index.js';

export interface RelayOptions {
  /** Most audio a leg's play queue may hold when a frame arrives, ms; above it the frame is dropped. Default 20 (one frame of slack). */
  maxBacklogMs?: number;
  /** A backlog of a frame or more that lasts this long loses one frame, ms. Default 1000. */
  drainAfterMs?: number;
}

export interface Relay {
  /** Stops relaying (the sessions stay open). */
  stop(): void;
  /** Frames dropped to keep the delay down, per direction. */
  readonly dropped: { aToB: number; bToA: number };
}

/** The PCM rate a session's codec delivers without resampling (G.722 is 16 kHz audio on an 8 kHz RTP clock). */
export function pcmRateOf(session: MediaSession): number {
  const c = session.negotiated.codec;
  if (c.name === 'G722') return 16000;
  if (c.name === 'opus') return 48000;
  return c.clockRate;
}

/** One direction: plays `from`'s frames into `to`, keeping `to`'s queue short. */
function direction(to: MediaSession, maxBacklogMs: number, drainAfterMs: number): { onAudio: (f: AudioFrame) => void; dropped: () => number } {
  let dropped = 0;
  /** Audio relayed since the backlog last reached a frame or more (0: no standing backlog). */
  let standingMs = 0;
  const onAudio = (f: AudioFrame): void => {
    if (to.closed) return;
    const frameMs = (f.samples.length / f.sampleRate) * 1000;
    const backlog = to.queuedMs;
    if (backlog > maxBacklogMs) {
      dropped++;
      standingMs = 0;
      return;
    }
    if (backlog >= frameMs) {
      standingMs += frameMs;
      if (standingMs >= drainAfterMs) {
        dropped++;
        standingMs = 0;
        return;
      }
    } else {
      standingMs = 0;
    }
    to.play(f.samples, f.sampleRate);
  };
  return { onAudio, dropped: () => dropped };
}

export function relayMedia(a: MediaSession, b: MediaSession, options: RelayOptions = {}): Relay {
  const maxBacklogMs = options.maxBacklogMs ?? 20;
  const drainAfterMs = options.drainAfterMs ?? 1000;
  const rate = Math.max(pcmRateOf(a), pcmRateOf(b));
  a.setOutputRate(rate);
  b.setOutputRate(rate);
  const aToB = direction(b, maxBacklogMs, drainAfterMs);
  const bToA = direction(a, maxBacklogMs, drainAfterMs);
  const dtmfAToB = (e: DtmfEvent): void => { if (!b.closed) b.sendDtmf(e.digit).catch(() => undefined); };
  const dtmfBToA = (e: DtmfEvent): void => { if (!a.closed) a.sendDtmf(e.digit).catch(() => undefined); };
  a.on('audio', aToB.onAudio);
  b.on('audio', bToA.onAudio);
  a.on('dtmf', dtmfAToB);
  b.on('dtmf', dtmfBToA);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      a.off('audio', aToB.onAudio);
      b.off('audio', bToA.onAudio);
      a.off('dtmf', dtmfAToB);
      b.off('dtmf', dtmfBToA);
    },
    get dropped() { return { aToB: aToB.dropped(), bToA: bToA.dropped() }; },
  };
}
