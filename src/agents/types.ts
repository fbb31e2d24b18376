/**
 * The agent interface: what a user implements, in one file, to put an AI (or anything else) on
 * the phone. The gateway creates one Agent per call, calls `start(call, io)` once the call is
 * answered, and `stop(reason)` when it ends. Audio is 16-bit mono PCM at `io.audioRate`.
 *
 *   export default function createAgent(settings) {
 *     return {
 *       start(call, io) {
 *         io.audioRate = 16000;
 *         io.onAudio((frame) => io.play(frame, 16000));   // an echo
 *         io.onDtmf((d) => { if (d === '#') io.hangup('caller pressed #'); });
 *       },
 *     };
 *   }
 */
import type { Logger } from '../log.js';

export interface CallInfo {
  /** Caller: the From URI's user part (e.g. +919876543210) and the full URI. */
  from: string;
  fromUri: string;
  /** Dialled number (Request-URI user part) and the full Request-URI. */
  to: string;
  toUri: string;
  /** Name of the trunk the call came in on. */
  trunk: string;
  callId: string;
  codec: { name: string; clockRate: number };
  /** Trunk `custom_parameters` plus the agent's settings; strings only. */
  customParameters: Record<string, string>;
}

export type HangupReason = string;

export interface TransferOptions {
  /** blind: REFER / new leg and forget; warm: agent stays until the human answers. */
  mode: 'blind' | 'warm';
}

export interface AgentIO {
  /**
   * Sample rate of the PCM the agent receives in `onAudio` (default: the codec's rate, 8000 for
   * G.711, 16000 for G.722). Set it once in `start`; the gateway resamples.
   */
  audioRate: number;
  /** One frame per packetization interval (usually 20 ms) at `audioRate`. */
  onAudio(listener: (frame: Int16Array) => void): void;
  /** RFC 4733 digits from the caller: 0-9 * # A-D. */
  onDtmf(listener: (digit: string) => void): void;
  /** A mark queued with `mark` was reached (or dropped by `clear`: cleared = true). */
  onMark(listener: (name: string, cleared: boolean) => void): void;
  /** Queue audio for the caller: PCM at `rate` (resampled to the codec). */
  play(pcm: Int16Array, rate: number): void;
  /** Queue a named mark after the audio queued so far. */
  mark(name: string): void;
  /** Barge-in: drop everything queued. */
  clear(): void;
  /** Milliseconds of audio queued and not yet sent. */
  readonly queuedMs: number;
  /** End the call (BYE). */
  hangup(reason?: HangupReason): Promise<void>;
  /** Send digits to the caller as RFC 4733 events. */
  sendDtmf(digits: string): Promise<void>;
  /**
   * Hand the caller to a named transfer target (config `transfer_targets`) or a SIP URI.
   * Not available yet: rejects with TransferNotAvailableError.
   */
  transfer(target: string, options: TransferOptions): Promise<void>;
  /** Logger carrying the call's Call-ID. */
  readonly log: Logger;
}

export interface Agent {
  start(call: CallInfo, io: AgentIO): Promise<void> | void;
  /** The call ended: 'caller hung up', 'agent hung up', 'shutdown', 'agent failed' … */
  stop?(reason: string): void;
}

/** What the gateway needs to build agents for calls. */
export interface AgentContext {
  /** Named human destinations from the config. */
  transferTargets: Record<string, string>;
  log: Logger;
}

/** One Agent per call; settings come from the config's `agents.<name>.settings`. */
export type AgentFactory = (settings: Record<string, unknown>, context: AgentContext) => Agent | Promise<Agent>;

export class TransferNotAvailableError extends Error {
  readonly code = 'TRANSFER_NOT_AVAILABLE';
  constructor(readonly target: string) {
    super(`call transfer is not available yet (target ${target})`);
    this.name = 'TransferNotAvailableError';
  }
}

export class AgentLoadError extends Error {
  readonly code = 'AGENT_LOAD_FAILED';
  constructor(readonly agent: string, reason: string) {
    super(`cannot load agent '${agent}': ${reason}`);
    this.name = 'AgentLoadError';
  }
}
