/**
 * `echo`: plays back what it hears after a fixed delay. The delay is a delay line built from the
 * play queue itself: `delay_ms` of silence first, then every received frame as it arrives, so the
 * queue stays `delay_ms` deep for the whole call without timers. A stall of this thread delivers
 * several frames at once and would leave the queue that much deeper for the rest of the call: the
 * live-backlog rule (media/session/live-backlog.ts) brings it back to `delay_ms` by dropping
 * frames, counted in call_end as `echoFramesDropped`.
 */
import { LiveBacklog } from '../../media/session/live-backlog.js';
import type { Agent, AgentFactory } from '../types.js';

export const createEchoAgent: AgentFactory = (settings) => {
  const delayMs = typeof settings.delay_ms === 'number' ? settings.delay_ms : 200;
  const rate = typeof settings.audio_rate === 'number' ? settings.audio_rate : undefined;
  let backlog: LiveBacklog | undefined;
  const agent: Agent = {
    start(_call, io) {
      if (rate) io.audioRate = rate;
      const r = io.audioRate;
      if (delayMs > 0) io.play(new Int16Array(Math.round((r * delayMs) / 1000)), r);
      io.onAudio((frame) => {
        const frameMs = (frame.length / r) * 1000;
        // When a frame is heard the session has just sent one: the queue is a frame short of the delay.
        backlog ??= new LiveBacklog({ targetMs: Math.max(0, delayMs - frameMs) });
        if (backlog.admit(frameMs, io.queuedMs)) io.play(frame.slice(), r);
      });
    },
    summary: () => (backlog && backlog.dropped > 0 ? { echoFramesDropped: backlog.dropped } : undefined),
  };
  return agent;
};
