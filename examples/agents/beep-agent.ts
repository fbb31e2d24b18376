/**
 * An agent in one file — a template to copy anywhere and run. It answers with a short beep, beeps
 * once for every DTMF digit the caller presses, and hangs up on '#'. Point a config at it (the
 * path is relative to the config file):
 *
 *   agents:
 *     beeper: { type: module, module: ./beep-agent.ts, settings: { greeting_hz: 880 } }
 *
 * and run `trunkgate start --config that.yaml`. The file may be .ts, .mts, .js or .mjs; the gateway
 * compiles TypeScript itself. The import is types only: the file runs with or without the
 * `trunkgate` package installed beside it (install it, `npm i -D trunkgate`, for your editor and tsc).
 */
import type { Agent, AgentFactory } from 'trunkgate/agent';

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
