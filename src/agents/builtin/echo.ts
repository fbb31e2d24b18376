/**
 * `echo`: plays back what it hears after a fixed delay. The delay is a delay line built from the
 * play queue itself: `delay_ms` of silence first, then every received frame as it arrives, so the
 * queue stays `delay_ms` deep for the whole call without timers.
 */
import type { Agent, AgentFactory } from '../types.js';

export const createEchoAgent: AgentFactory = (settings) => {
  const delayMs = typeof settings.delay_ms === 'number' ? settings.delay_ms : 200;
  const rate = typeof settings.audio_rate === 'number' ? settings.audio_rate : undefined;
  const agent: Agent = {
    start(_call, io) {
      if (rate) io.audioRate = rate;
      const r = io.audioRate;
      if (delayMs > 0) io.play(new Int16Array(Math.round((r * delayMs) / 1000)), r);
      io.onAudio((frame) => io.play(frame.slice(), r));
    },
  };
  return agent;
};
