/**
 * `trunkgate/agent`: what an agent author imports. The agent interface and its types, the errors
 * an agent may meet, and small helpers (WAV files, µ-law/A-law, the built-in websocket agent).
 *
 *   import type { AgentFactory } from 'trunkgate/agent';
 *   const createAgent: AgentFactory = () => ({ start(call, io) { io.onAudio((f) => io.play(f, io.audioRate)); } });
 *   export default createAgent;
 */
export type {
  Agent, AgentContext, AgentFactory, AgentIO, CallInfo, CallerHears, HangupReason,
  TransferOptions, TransferOutcome, TransferResult, Whisper,
} from './types.js';
export { AgentLoadError } from './types.js';
export type { Logger } from '../log.js';
export { readWav, writeWav, WavFormatError, type PcmAudio } from './builtin/wav.js';
export { encodeUlaw, decodeUlaw, encodeAlaw, decodeAlaw } from '../media/codecs/index.js';

import type { AgentFactory } from './types.js';

/** Identity, for the types: `export default defineAgent((settings) => ({ start(call, io) {…} }))` in a .js or .ts file. */
export function defineAgent(factory: AgentFactory): AgentFactory {
  return factory;
}
