/**
 * Per-call figures of a Realtime conversation: both sides' transcripts, token usage summed over
 * `response.done` events, and per turn the latency chain caller stopped speaking
 * (`speech_stopped`) → first audio delta → first RTP packet of the answer. Each is logged as it
 * happens (`realtime_transcript`, `realtime_usage`, `realtime_turn`); `summary()` is what the
 * gateway folds into the call's `call_end` line.
 */
import type { RealtimeResponseUsage } from 'openai/resources/realtime/realtime';
import type { Logger } from '../../../log.js';

export interface TranscriptLine {
  role: 'caller' | 'assistant';
  text: string;
}

export interface UsageTotals {
  responses: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  inputAudioTokens: number;
  outputAudioTokens: number;
  cachedTokens: number;
}

export interface TurnLatency {
  turn: number;
  /** speech_stopped → first audio delta of the answer, ms (absent when the agent spoke first). */
  stoppedToDeltaMs?: number;
  /** First audio delta → its first frame sent to the caller, ms (what trunkgate adds). */
  deltaToRtpMs: number;
  stoppedToRtpMs?: number;
}

/** A type (not an interface) so it fits the `Record<string, unknown>` of Agent.summary. */
export type RealtimeSummary = {
  realtime: {
    model: string;
    audio: string;
    turns: number;
    usage: UsageTotals;
    /** Median / max of deltaToRtpMs over the call's turns. */
    deltaToRtpMs?: { p50: number; max: number };
    stoppedToRtpMs?: { p50: number; max: number };
    bargeIns: number;
    failure?: string;
  };
};

const round = (ms: number): number => Math.round(ms * 10) / 10;

function spread(xs: number[]): { p50: number; max: number } | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return { p50: round(s[Math.floor((s.length - 1) / 2)]!), max: round(s[s.length - 1]!) };
}

export class CallMetrics {
  readonly transcript: TranscriptLine[] = [];
  readonly usage: UsageTotals = { responses: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0, inputAudioTokens: 0, outputAudioTokens: 0, cachedTokens: 0 };
  readonly turns: TurnLatency[] = [];
  bargeIns = 0;
  failure: string | undefined;
  readonly #log: Logger;
  readonly #model: string;
  readonly #audio: string;
  #stoppedAt: number | undefined;
  #deltaAt: number | undefined;

  constructor(log: Logger, model: string, audio: string) {
    this.#log = log;
    this.#model = model;
    this.#audio = audio;
  }

  line(role: TranscriptLine['role'], text: string): void {
    if (!text) return;
    this.transcript.push({ role, text });
    this.#log.info({ event: 'realtime_transcript', role, text }, `openai-realtime: ${role}`);
  }

  speechStopped(at = performance.now()): void {
    this.#stoppedAt = at;
  }

  /** The first audio delta of a response arrived. */
  firstDelta(at = performance.now()): void {
    this.#deltaAt = at;
  }

  /** That delta's first frame was sent (its mark was reached). */
  firstRtp(at = performance.now()): void {
    if (this.#deltaAt === undefined) return;
    const turn: TurnLatency = { turn: this.turns.length + 1, deltaToRtpMs: round(at - this.#deltaAt) };
    if (this.#stoppedAt !== undefined && this.#stoppedAt <= this.#deltaAt) {
      turn.stoppedToDeltaMs = round(this.#deltaAt - this.#stoppedAt);
      turn.stoppedToRtpMs = round(at - this.#stoppedAt);
    }
    this.#deltaAt = undefined;
    this.#stoppedAt = undefined;
    this.turns.push(turn);
    this.#log.info({ event: 'realtime_turn', ...turn }, 'openai-realtime: turn latency');
  }

  response(status: string | undefined, usage: RealtimeResponseUsage | undefined): void {
    const u = this.usage;
    u.responses++;
    if (usage) {
      u.inputTokens += usage.input_tokens ?? 0;
      u.outputTokens += usage.output_tokens ?? 0;
      u.totalTokens += usage.total_tokens ?? 0;
      u.inputAudioTokens += usage.input_token_details?.audio_tokens ?? 0;
      u.outputAudioTokens += usage.output_token_details?.audio_tokens ?? 0;
      u.cachedTokens += usage.input_token_details?.cached_tokens ?? 0;
    }
    this.#log.info({ event: 'realtime_usage', status, usage, totals: { ...u } }, 'openai-realtime: response done');
  }

  summary(): RealtimeSummary {
    const dr = spread(this.turns.map((t) => t.deltaToRtpMs));
    const sr = spread(this.turns.flatMap((t) => (t.stoppedToRtpMs !== undefined ? [t.stoppedToRtpMs] : [])));
    return {
      realtime: {
        model: this.#model,
        audio: this.#audio,
        turns: this.turns.length,
        usage: { ...this.usage },
        ...(dr ? { deltaToRtpMs: dr } : {}),
        ...(sr ? { stoppedToRtpMs: sr } : {}),
        bargeIns: this.bargeIns,
        ...(this.failure ? { failure: this.failure } : {}),
      },
    };
  }

  /** For a retry: the conversation so far, as plain text for the new session's instructions. */
  transcriptText(maxChars = 4000): string {
    const text = this.transcript.map((l) => `${l.role}: ${l.text}`).join('\n');
    return text.length > maxChars ? text.slice(text.length - maxChars) : text;
  }
}
