/**
 * `openai-realtime`: puts the caller on a speech-to-speech model over the Realtime API (GA protocol)
 * with the official `openai` package. One WebSocket per call: the caller's audio goes out as
 * `input_audio_buffer.append`, the answer's `response.output_audio.delta`s are queued and paced by
 * the call's media session, server VAD's `speech_started` is barge-in, function calls run the tools,
 * and any failure of the Realtime side ends in `on_failure` — never in silence.
 */
import type { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { OpenAIRealtimeError } from 'openai/realtime/internal-base';
import type { RealtimeClientEvent, ResponseFunctionCallArgumentsDoneEvent } from 'openai/resources/realtime/realtime';
import type { Agent, AgentContext, AgentIO, CallInfo } from '../../types.js';
import { synthesize } from '../prompts.js';
import type { PcmAudio } from '../wav.js';
import { linkAudio, type AudioLink } from './audio.js';
import { classifyError, classifyResponseFailure, openRealtime, type FailureKind } from './connection.js';
import { decideFailure, type FailureAction } from './failure.js';
import { CallMetrics, type RealtimeSummary } from './metrics.js';
import { PlaybackTracker } from './playback.js';
import { audioPathFor, sessionUpdate, type AudioPath } from './session-config.js';
import type { RealtimeSettings } from './settings.js';
import { runTool, type ToolResult } from './tools.js';

/** After barge-in, the server cancels the response itself (interrupt_response); if it has not within this, we do. */
const CANCEL_GRACE_MS = 500;
/** Client events kept while the socket opens: 5 s of 20 ms audio frames. */
const MAX_PENDING_EVENTS = 250;
/** Longest wait for a goodbye or an apology to be played before the BYE goes anyway. */
const PLAYOUT_WAIT_MS = 15_000;

export class RealtimeAgent implements Agent {
  readonly #s: RealtimeSettings;
  readonly #transferTargets: string[];
  #io: AgentIO | undefined;
  #call: CallInfo | undefined;
  #path: AudioPath | undefined;
  #audio: AudioLink | undefined;
  #metrics: CallMetrics | undefined;
  #rt: OpenAIRealtimeWS | undefined;
  readonly #tracker = new PlaybackTracker();
  #ended = false;
  #retried = false;
  #failing = false;
  #responseActive = false;
  #responseId: string | undefined;
  #responseHadAudio = false;
  #firstDeltaOfResponse = true;
  #calls: ResponseFunctionCallArgumentsDoneEvent[] = [];
  #hangupAfterResponse = false;
  #marks = 0;
  readonly #markWaiters = new Map<string, () => void>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #apology: Promise<PcmAudio | undefined> | undefined;
  /** Client events from before the session was open (caller audio, DTMF), sent once it is. */
  #pending: RealtimeClientEvent[] = [];

  constructor(settings: RealtimeSettings, context: AgentContext) {
    this.#s = settings;
    this.#transferTargets = settings.transfer_targets ?? Object.keys(context.transferTargets);
  }

  async start(call: CallInfo, io: AgentIO): Promise<void> {
    const s = this.#s;
    this.#io = io;
    this.#call = call;
    const path = audioPathFor(call.codec.name, s.audio, io.payload !== undefined);
    this.#path = path;
    this.#metrics = new CallMetrics(io.log, s.model, path.format.type ?? 'audio/pcm');
    this.#audio = linkAudio(io, path, (audio) => this.#send({ type: 'input_audio_buffer.append', audio }));
    io.onDtmf((digit) => this.#dtmf(digit));
    io.onMark((name) => {
      if (name.startsWith('rt-first-')) this.#metrics?.firstRtp();
      const w = this.#markWaiters.get(name);
      if (w) { this.#markWaiters.delete(name); w(); }
    });
    if (s.apology) this.#apology = synthesize(s.apology, { sampleRate: 16000 }).catch((err: unknown) => { io.log.warn({ err }, 'openai-realtime: apology prompt unavailable'); return undefined; });
    io.log.info({ event: 'realtime_start', model: s.model, audio: path.format, transferTargets: this.#transferTargets }, 'openai-realtime: connecting');
    // Not awaited: the gateway answers the call meanwhile, so a failure to connect can still
    // play the apology or transfer an answered call. What the caller says or presses until the
    // session is open is kept (#send) and sent after the session.update.
    void this.#connect(false);
  }

  stop(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const w of this.#markWaiters.values()) w();
    this.#markWaiters.clear();
    this.#closeSocket();
    if (this.#metrics) this.#io?.log.info({ event: 'realtime_summary', reason, ...this.#metrics.summary() }, 'openai-realtime: call summary');
  }

  /** The call's Realtime figures (usage, turns, latency) for its `call_end` line. */
  summary(): RealtimeSummary | undefined {
    return this.#metrics?.summary();
  }

  // ——— the socket ———

  async #connect(retry: boolean): Promise<void> {
    const s = this.#s;
    const io = this.#io!;
    const started = performance.now();
    let rt: OpenAIRealtimeWS;
    try {
      rt = await openRealtime(s.model, s.connect_timeout_ms);
    } catch (err) {
      if (!this.#ended) await this.#fail('connect', (err as Error).message, performance.now() - started);
      return;
    }
    if (this.#ended) { rt.close(); return; }
    this.#rt = rt;
    this.#failing = false;
    this.#wire(rt);
    const summary = retry ? this.#metrics!.transcriptText() : '';
    const extra = retry ? `\n\nThe call was interrupted by a technical problem and reconnected. The conversation so far:\n${summary || '(nothing yet)'}` : '';
    rt.send(sessionUpdate(s, this.#call!, this.#path!, this.#transferTargets, extra));
    const pending = this.#pending;
    this.#pending = [];
    for (const event of pending) this.#send(event);
    io.log.info({ event: 'realtime_connected', url: rt.url.origin + rt.url.pathname, retry, ms: Math.round(performance.now() - started) }, 'openai-realtime: session open');
    if (retry) {
      this.#send({ type: 'response.create', response: { instructions: 'Apologise in one short sentence for the interruption and continue the conversation.' } });
    } else if (s.greeting) {
      this.#send({ type: 'response.create', response: { instructions: s.greeting } });
    }
  }

  #wire(rt: OpenAIRealtimeWS): void {
    const io = this.#io!;
    const m = this.#metrics!;
    rt.on('error', (err: OpenAIRealtimeError) => {
      const kind = classifyError(err);
      io.log.warn({ event: 'realtime_error', error: err.error ?? { message: err.message }, fatal: kind !== undefined }, 'openai-realtime: error event');
      if (kind && rt === this.#rt) void this.#fail(kind, err.error?.message ?? err.message);
    });
    rt.socket.on('close', (code: number, reason: Buffer) => {
      if (rt === this.#rt && !this.#ended) void this.#fail('dropped', `socket closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
    });
    rt.on('input_audio_buffer.speech_started', () => this.#bargeIn());
    rt.on('input_audio_buffer.speech_stopped', () => m.speechStopped());
    rt.on('response.created', (e) => {
      this.#responseActive = true;
      this.#responseId = e.response.id;
      this.#responseHadAudio = false;
      this.#firstDeltaOfResponse = true;
      this.#calls = [];
    });
    rt.on('response.output_audio.delta', (e) => {
      if (!this.#tracker.accept(e.item_id)) return;
      let mark: string | undefined;
      if (this.#firstDeltaOfResponse) {
        this.#firstDeltaOfResponse = false;
        m.firstDelta();
        mark = `rt-first-${++this.#marks}`;
      }
      const ms = this.#audio!.play(e.delta, mark);
      this.#tracker.queued(e.item_id, ms);
      this.#responseHadAudio = true;
    });
    // The item's last partial frame is sent now rather than held for more audio.
    rt.on('response.output_audio.done', (e) => { if (this.#tracker.accept(e.item_id)) io.mark(`rt-end-${++this.#marks}`); });
    rt.on('response.output_audio_transcript.done', (e) => m.line('assistant', e.transcript));
    rt.on('conversation.item.input_audio_transcription.completed', (e) => m.line('caller', e.transcript));
    rt.on('response.function_call_arguments.done', (e) => { this.#calls.push(e); });
    rt.on('response.done', (e) => {
      this.#responseActive = false;
      const r = e.response;
      m.response(r.status, r.usage);
      const failure = classifyResponseFailure(r.status, r.status_details);
      if (failure) { void this.#fail(failure, JSON.stringify(r.status_details?.error ?? {})); return; }
      const calls = this.#calls;
      this.#calls = [];
      if (calls.length > 0) { void this.#runTools(calls, this.#responseHadAudio); return; }
      if (this.#hangupAfterResponse) void this.#hangupAfterPlayout('agent ended the call (end_call)');
    });
  }

  /** Send, or keep until the session is open; dropped once the call ended or while a failure is handled. */
  #send(event: RealtimeClientEvent): void {
    if (this.#ended || this.#failing) return;
    const rt = this.#rt;
    if (!rt) {
      this.#pending.push(event);
      if (this.#pending.length > MAX_PENDING_EVENTS) this.#pending.shift();
      return;
    }
    if (rt.socket.readyState === rt.socket.OPEN) rt.send(event);
  }

  #closeSocket(): void {
    const rt = this.#rt;
    this.#rt = undefined;
    if (!rt) return;
    try { rt.close({ code: 1000, reason: 'call ended' }); } catch { /* already closed */ }
  }

  // ——— turn-taking ———

  /** Caller speech while the answer plays: stop it at once, tell the model what was heard. */
  #bargeIn(): void {
    const io = this.#io!;
    const streaming = this.#responseActive;
    const queued = io.queuedMs;
    io.clear();
    const t = this.#tracker.interrupt(queued, streaming);
    if (t) {
      this.#metrics!.bargeIns++;
      this.#send({ type: 'conversation.item.truncate', item_id: t.itemId, content_index: 0, audio_end_ms: t.audioEndMs });
      io.log.info({ event: 'realtime_barge_in', itemId: t.itemId, audioEndMs: t.audioEndMs, receivedMs: Math.round(t.receivedMs) }, 'openai-realtime: barge-in');
    }
    if (!streaming) return;
    const id = this.#responseId;
    const serverCancels = this.#s.turn_detection.interrupt_response !== false;
    const cancel = (): void => { if (this.#responseActive && this.#responseId === id) this.#send({ type: 'response.cancel' }); };
    if (serverCancels) this.#later(cancel, CANCEL_GRACE_MS);
    else cancel();
  }

  #dtmf(digit: string): void {
    this.#io!.log.info({ event: 'realtime_dtmf', digit }, 'openai-realtime: caller pressed a key');
    this.#send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `The caller pressed the key ${digit} on the phone keypad.` }] } });
    if (!this.#responseActive) this.#send({ type: 'response.create' });
  }

  async #runTools(calls: ResponseFunctionCallArgumentsDoneEvent[], hadAudio: boolean): Promise<void> {
    const io = this.#io!;
    const results: ToolResult[] = [];
    for (const c of calls) {
      io.log.info({ event: 'realtime_tool_call', tool: c.name, callId: c.call_id, arguments: c.arguments }, 'openai-realtime: tool call');
      const r = await runTool(c.name, c.arguments, { io, call: this.#call!, settings: this.#s, transferTargets: this.#transferTargets });
      results.push(r);
      if (this.#ended) return;
      this.#send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: c.call_id, output: r.output } });
    }
    if (results.some((r) => r.after === 'done')) return;
    if (results.some((r) => r.after === 'hangup')) {
      if (hadAudio) {
        await this.#hangupAfterPlayout('agent ended the call (end_call)');
      } else {
        // The model hung up without a word: let it say goodbye, then hang up once that has played.
        this.#hangupAfterResponse = true;
        this.#send({ type: 'response.create', response: { instructions: 'Say a short goodbye to the caller. Do not call any tool.', tool_choice: 'none' } });
        this.#later(() => void this.#hangupAfterPlayout('agent ended the call (end_call)'), PLAYOUT_WAIT_MS);
      }
      return;
    }
    if (!this.#responseActive) this.#send({ type: 'response.create' });
  }

  async #hangupAfterPlayout(reason: string): Promise<void> {
    if (this.#ended) return;
    this.#hangupAfterResponse = false;
    await this.#playedOut();
    if (!this.#ended) await this.#io!.hangup(reason);
  }

  /** Resolves once everything queued so far has been sent to the caller (or cleared, or after PLAYOUT_WAIT_MS). */
  #playedOut(): Promise<void> {
    const name = `rt-wait-${++this.#marks}`;
    return new Promise((resolve) => {
      this.#markWaiters.set(name, resolve);
      this.#later(() => { this.#markWaiters.delete(name); resolve(); }, PLAYOUT_WAIT_MS);
      this.#io!.mark(name);
    });
  }

  #later(fn: () => void, ms: number): void {
    const t = setTimeout(() => { this.#timers.delete(t); fn(); }, ms);
    this.#timers.add(t);
  }

  // ——— failure ———

  /** The Realtime side failed: on_failure, decided at once and logged with why. */
  async #fail(kind: FailureKind, detail: string, afterMs = 0): Promise<void> {
    if (this.#ended || this.#failing) return;
    this.#failing = true;
    const io = this.#io!;
    const closing = this.#rt;
    this.#rt = undefined;
    this.#responseActive = false;
    if (closing) { closing.socket.removeAllListeners('close'); try { closing.close({ code: 1000, reason: 'failed' }); } catch { /* gone */ } }
    const action: FailureAction = decideFailure(this.#s.on_failure, this.#retried);
    this.#metrics!.failure = kind;
    io.log.warn({ event: 'realtime_failure', kind, detail, action, decidedInMs: Math.round(afterMs) }, `openai-realtime: ${kind} — ${action.kind}`);
    switch (action.kind) {
      case 'retry':
        this.#retried = true;
        // A failure of the reconnection itself comes back here and takes the retry's `then`.
        this.#failing = false;
        await this.#connect(true);
        return;
      case 'transfer': {
        try {
          const outcome = await io.transfer(action.target, { mode: 'blind' });
          io.log.info({ event: 'realtime_failure_transfer', target: action.target, outcome }, 'openai-realtime: fall-back transfer');
          if (outcome.result === 'transferred') return;
        } catch (err) {
          io.log.warn({ event: 'realtime_failure_transfer', target: action.target, err }, 'openai-realtime: fall-back transfer refused, hanging up');
        }
        await this.#apologiseAndHangup(kind);
        return;
      }
      case 'hangup':
        await this.#apologiseAndHangup(kind);
    }
  }

  async #apologiseAndHangup(kind: FailureKind): Promise<void> {
    const io = this.#io!;
    const prompt = await this.#apology;
    if (prompt && !this.#ended) {
      io.play(prompt.samples, prompt.sampleRate);
      io.log.info({ event: 'realtime_apology', ms: Math.round((prompt.samples.length / prompt.sampleRate) * 1000) }, 'openai-realtime: apology played before hanging up');
      await this.#playedOut();
    }
    if (!this.#ended) await io.hangup(`openai-realtime failed (${kind})`);
  }
}
