/**
 * Adapts one call's MediaSession and call controls to the AgentIO an agent sees. Every agent
 * callback runs inside a guard: a throw becomes `onFailure`, which ends the call cleanly.
 */
import type { Logger } from '../../log.js';
import type { MediaSession } from '../../media/index.js';
import type { AgentIO, PayloadIO, TransferOptions, TransferOutcome } from '../../agents/types.js';

/** Marks the gateway queues for itself (transfer playout, ringback loops) never reach the agent. */
const INTERNAL_MARK = /^trunkgate:/;

export interface AgentIOControls {
  hangup(reason: string): Promise<void>;
  transfer(target: string, options: TransferOptions): Promise<TransferOutcome>;
  /** Start recording the call (anchored in rtpengine with a recording directory only). */
  record?: (() => Promise<void>) | undefined;
  onFailure(err: unknown): void;
  log: Logger;
}

export interface AgentIOHandle {
  io: AgentIO;
  /** Detach from the media session (call ended). */
  detach(): void;
}

export function createAgentIO(session: MediaSession, controls: AgentIOControls): AgentIOHandle {
  const audio: ((frame: Int16Array) => void)[] = [];
  const dtmf: ((digit: string) => void)[] = [];
  const marks: ((name: string, cleared: boolean) => void)[] = [];
  const payloads: ((payload: Uint8Array) => void)[] = [];
  let rate = session.negotiated.codec.name === 'G722' ? 16000 : session.negotiated.codec.name === 'opus' ? 48000 : session.negotiated.codec.clockRate;
  let detached = false;

  const guard = <A extends unknown[]>(fns: ((...a: A) => void)[], ...args: A): void => {
    for (const fn of fns) {
      try { fn(...args); } catch (err) { controls.onFailure(err); return; }
    }
  };
  const onAudio = (f: { samples: Int16Array }): void => { if (!detached) guard(audio, f.samples); };
  const onDtmf = (e: { digit: string }): void => { if (!detached) guard(dtmf, e.digit); };
  const onMark = (name: string, info: { cleared: boolean }): void => { if (!detached && !INTERNAL_MARK.test(name)) guard(marks, name, info.cleared); };
  const onPayload = (f: { payload: Uint8Array }): void => { if (!detached) guard(payloads, f.payload); };
  session.setOutputRate(rate);
  // Decoded audio only once the agent listens (a passthrough agent listens to payload only).
  let listening = false;
  const listenAudio = (): void => {
    if (listening || detached) return;
    listening = true;
    session.on('audio', onAudio);
  };
  session.on('dtmf', onDtmf);
  session.on('mark', onMark);

  const codec = session.negotiated.codec.name;
  function payloadIO(name: 'PCMU' | 'PCMA'): PayloadIO {
    let format = false;
    return {
      codec: name,
      onPayload: (l) => {
        payloads.push(l);
        if (payloads.length === 1 && !detached) session.on('payload', onPayload);
      },
      play: (bytes) => {
        if (detached || session.closed) return;
        if (!format) {
          format = true;
          session.setPlayFormat('payload');
        }
        session.playPayload(bytes);
      },
    };
  }

  const io: AgentIO = {
    get audioRate() { return rate; },
    set audioRate(r: number) {
      rate = r;
      session.setOutputRate(r);
    },
    onAudio: (l) => { audio.push(l); listenAudio(); },
    onDtmf: (l) => { dtmf.push(l); },
    onMark: (l) => { marks.push(l); },
    play: (pcm, r) => { if (!detached && !session.closed) session.play(pcm, r); },
    mark: (name) => { if (!detached && !session.closed) session.mark(name); },
    clear: () => { if (!detached && !session.closed) session.clear(); },
    get queuedMs() { return session.closed ? 0 : session.queuedMs; },
    hangup: (reason) => controls.hangup(reason ?? 'agent hung up'),
    sendDtmf: (digits) => session.sendDtmf(digits),
    transfer: (target, options) => controls.transfer(target, options ?? {}),
    ...(controls.record ? { record: controls.record } : {}),
    ...(codec === 'PCMU' || codec === 'PCMA' ? { payload: payloadIO(codec) } : {}),
    log: controls.log,
  };
  return {
    io,
    detach() {
      detached = true;
      session.off('audio', onAudio);
      session.off('dtmf', onDtmf);
      session.off('mark', onMark);
      session.off('payload', onPayload);
    },
  };
}
