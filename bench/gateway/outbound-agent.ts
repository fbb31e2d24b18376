import type { Agent, AgentFactory } from '../../src/agents/types.js';

/** Bench agent for outbound calls: speaks a 1 kHz tone for `talk_ms` (default 1000), then hangs up. */
const createAgent: AgentFactory = (settings) => {
  const ms = typeof settings.talk_ms === 'number' ? settings.talk_ms : 1000;
  const agent: Agent = {
    start(_call, io) {
      const tone = new Int16Array((8000 * ms) / 1000).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
      io.onMark((name) => { if (name === 'done') void io.hangup('bench call done'); });
      io.play(tone, 8000);
      io.mark('done');
    },
  };
  return agent;
};
export default createAgent;
