/**
 * An example custom agent, in one file: answers with a short beep, then beeps once for every
 * DTMF digit the caller presses, and hangs up on '#'. Point a config at it:
 *
 *   agents:
 *     beeper: { type: module, module: ../examples/agents/beep-agent.ts, settings: { greeting_hz: 880 } }
 */
import type { Agent, AgentFactory } from '../../src/agents/types.js';

const RATE = 16000;

function beep(hz: number, ms: number): Int16Array {
  const out = new Int16Array((RATE * ms) / 1000);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / RATE));
  return out;
}

const createAgent: AgentFactory = (settings) => {
  const hz = typeof settings.greeting_hz === 'number' ? settings.greeting_hz : 880;
  const agent: Agent = {
    start(call, io) {
      io.audioRate = RATE;
      io.log.info({ from: call.from, to: call.to }, 'beep agent answering');
      io.play(beep(hz, 300), RATE);
      io.onDtmf((digit) => {
        if (digit === '#') {
          io.play(beep(hz / 2, 500), RATE);
          io.mark('bye');
          return;
        }
        io.play(beep(hz, 120), RATE);
      });
      io.onMark((name) => { if (name === 'bye') void io.hangup('caller pressed #'); });
    },
    stop(reason) {
      void reason;
    },
  };
  return agent;
};

export default createAgent;
