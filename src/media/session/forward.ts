/**
 * One direction of a bridge: every decoded frame of one session played into another, with the
 * other's play queue kept short. Both sessions take exactly one frame per tick of the media clock
 * and send exactly one, so audio that piles up in the queue while a thread stalls would never
 * drain: each stall would add its length to the call's delay for good. The target's queue follows
 * the live-backlog rule (live-backlog.ts) with a target depth of 0.
 *
 * Used by the gateway's relay (src/gateway/transfer/relay.ts) in the main thread, and by a media
 * worker when both sessions run on it (the frame then goes from one to the other within the tick).
 */
import { LiveBacklog } from './live-backlog.js';
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
  const backlog = new LiveBacklog({
    ...(options.maxBacklogMs !== undefined ? { maxBacklogMs: options.maxBacklogMs } : {}),
    ...(options.drainAfterMs !== undefined ? { drainAfterMs: options.drainAfterMs } : {}),
  });
  const onAudio = (f: AudioFrame): void => {
    if (to.closed) return;
    if (backlog.admit((f.samples.length / f.sampleRate) * 1000, to.queuedMs)) to.play(f.samples, f.sampleRate);
  };
  from.on('audio', onAudio);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      from.off('audio', onAudio);
    },
    get dropped() { return backlog.dropped; },
  };
}
