/**
 * One answered (or answering) call: its media session, agent, dialog and session timer, and the
 * close cascade that tears all of them down exactly once and logs the summary line.
 */
import type Srf from 'drachtio-srf';
import type { Logger } from '../../log.js';
import type { MediaSession, SdpAnswer } from '../../media/index.js';
import type { Agent, CallInfo } from '../../agents/types.js';
import type { AgentIOHandle } from './agent-io.js';
import type { SessionTimer } from './session-timer.js';

/** Who ended the call. */
export type HangupSide = 'caller' | 'agent' | 'gateway';

export interface CallEnd {
  by: HangupSide;
  reason: string;
}

export interface CallParts {
  info: CallInfo;
  log: Logger;
  session: MediaSession;
  answer: SdpAnswer;
  agentName: string;
  agent?: Agent;
  io?: AgentIOHandle;
}

export class Call {
  readonly info: CallInfo;
  readonly log: Logger;
  readonly session: MediaSession;
  readonly agentName: string;
  readonly startedAt = Date.now();
  answer: SdpAnswer;
  agent: Agent | undefined;
  io: AgentIOHandle | undefined;
  dialog: Srf.Dialog | undefined;
  timer: SessionTimer | undefined;
  answeredAt: number | undefined;
  #ended: CallEnd | undefined;
  #done: Promise<void> | undefined;
  readonly #onClosed: (call: Call) => void;

  constructor(parts: CallParts, onClosed: (call: Call) => void) {
    this.info = parts.info;
    this.log = parts.log;
    this.session = parts.session;
    this.answer = parts.answer;
    this.agentName = parts.agentName;
    this.agent = parts.agent;
    this.io = parts.io;
    this.#onClosed = onClosed;
  }

  get ended(): boolean {
    return this.#ended !== undefined;
  }

  /**
   * Ends the call once: BYE (unless the caller already hung up or the dialog never formed),
   * agent stop, media close, summary log. Safe to call many times; later calls await the first.
   */
  end(by: HangupSide, reason: string): Promise<void> {
    if (this.#done) return this.#done;
    this.#ended = { by, reason };
    this.#done = this.#teardown(by, reason);
    return this.#done;
  }

  async #teardown(by: HangupSide, reason: string): Promise<void> {
    this.timer?.stop();
    this.io?.detach();
    try {
      this.agent?.stop?.(reason);
    } catch (err) {
      this.log.warn({ err }, 'agent.stop threw');
    }
    const dialog = this.dialog;
    if (dialog && by !== 'caller') {
      await new Promise<void>((resolve) => {
        try {
          dialog.destroy({ headers: { Reason: `SIP;cause=200;text="${reason.replace(/"/g, "'").slice(0, 120)}"` } }, () => resolve());
        } catch (err) {
          this.log.warn({ err }, 'BYE failed');
          resolve();
        }
      });
    }
    await this.session.close(reason);
    // After close: a session on a media worker delivers its final counters before `close`.
    const stats = this.session.stats();
    const now = Date.now();
    this.log.info({
      event: 'call_end',
      durationMs: this.answeredAt ? now - this.answeredAt : 0,
      setupMs: this.answeredAt ? this.answeredAt - this.startedAt : undefined,
      codec: this.answer.codec.name,
      agent: this.agentName,
      trunk: this.info.trunk,
      from: this.info.from,
      to: this.info.to,
      packetsIn: stats.packetsIn,
      packetsOut: stats.packetsOut,
      framesSent: stats.framesSent,
      lateFrames: stats.lateFrames,
      packetsLost: stats.packetsLost,
      jitterMs: Math.round(stats.jitterMs * 10) / 10,
      dtmfIn: stats.dtmfIn,
      hangupBy: by,
      reason,
    }, 'call ended');
    this.#onClosed(this);
  }
}
