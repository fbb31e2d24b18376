/**
 * The smallest agent, in plain JavaScript: the caller hears themselves, half a second late, and
 * '#' hangs up. Same use as beep-agent.ts: `agents: { echo2: { type: module, module: ./echo-agent.mjs } }`.
 */
/** @type {import('trunkgate/agent').AgentFactory} */
export default function createAgent(settings) {
  const delayFrames = Math.round((typeof settings.delay_ms === 'number' ? settings.delay_ms : 500) / 20);
  return {
    start(call, io) {
      const queue = [];
      io.onAudio((frame) => {
        queue.push(frame);
        if (queue.length > delayFrames) io.play(queue.shift(), io.audioRate);
      });
      io.onDtmf((digit) => { if (digit === '#') void io.hangup('caller pressed #'); });
    },
  };
}
