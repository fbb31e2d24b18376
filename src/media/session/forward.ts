/**
 * One direction of a bridge: every decoded frame of one session played into another, with the
 * other's play queue kept short. Both sessions take exactly one frame per tick of the media clock
 * and send exactly one, so audio that piles up in the queue while a thread stalls would never
 * drain: each stall would add its length to the call's delay for good. So a frame is dropped when
 * the queue it would go into already holds more than `maxBacklogMs`, and a smaller standing backlog
 * of a frame or more loses one frame after it has lasted `drainAfterMs`, the way a jitter buffer
 * shrinks (a 20 ms splice).
 *
 * Used by the gateway's relay (src/gateway/transfer/relay.ts) in the main thread, and by a media
 * worker when both sessions run on it (the frame then goes from one to the other within the tick).
 */
import type { AudioFrame, MediaSession } from './types.js';

export interface ForwardOptions {
  /** Most audio the target's play queue may hold when a frame arrives, ms; above it the frame is dropped. Default 20 (one frame of slack). */
  maxBacklogMs?: number;
  /** A backlog of a frame or more that lasts this long loses one frame, ms. Default 1000. */
  drainAfterMs?: number;
}

export interface Forward {
  stop(): void;
  /** Frames dropped to keep the delay down. */
  readonly dropped: number;
}

type Source = Pick<MediaSession, 'on' | 'off'>;
type Target = Pick<MediaSession, 'closed' | 'queuedMs' | 'play'>;

export function forwardAudio(from: Source, to: Target, options: ForwardOptions = {}): Forward {
  const maxBacklogMs = options.maxBacklogMs ?? 20;
  const drainAfterMs = options.drainAfterMs ?? 1000;
  let dropped = 0;
  /** Audio forwarded since the backlog last reached a frame or more (0: no standing backlog). */
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
  from.on('audio', onAudio);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      from.off('audio', onAudio);
    },
    get dropped() { return dropped; },
  };
}
