import { rootLogger } from '../../src/log.js';
import type { AgentIO, CallInfo } from '../../src/agents/types.js';

/** An in-memory AgentIO: what the agent played, marked and did; lets a test feed audio and DTMF. */
export function recordingIO(rate = 8000) {
  const audio: ((f: Int16Array) => void)[] = [];
  const dtmf: ((d: string) => void)[] = [];
  const marks: ((n: string, c: boolean) => void)[] = [];
  const played: { pcm: Int16Array; rate: number }[] = [];
  const queuedMarks: string[] = [];
  const hangups: string[] = [];
  const transfers: string[] = [];
  let cleared = 0;
  const io: AgentIO = {
    audioRate: rate,
    onAudio: (l) => { audio.push(l); },
    onDtmf: (l) => { dtmf.push(l); },
    onMark: (l) => { marks.push(l); },
    play: (pcm, r) => { played.push({ pcm, rate: r }); },
    mark: (n) => { queuedMarks.push(n); },
    clear: () => { cleared++; },
    queuedMs: 0,
    hangup: async (reason) => { hangups.push(reason ?? ''); },
    sendDtmf: async () => undefined,
    transfer: async (target) => { transfers.push(target); return { result: 'failed', method: 'bridge', ms: 0, reason: 'no transfers in this fake' }; },
    log: rootLogger,
  };
  return {
    io, played, queuedMarks, hangups, transfers,
    get cleared() { return cleared; },
    feed: (f: Int16Array) => audio.forEach((l) => l(f)),
    press: (d: string) => dtmf.forEach((l) => l(d)),
    reach: (name: string) => marks.forEach((l) => l(name, false)),
  };
}

export const callInfo: CallInfo = {
  from: '+919000000001', fromUri: 'sip:+919000000001@127.0.0.1', to: '+919876543210', dialled: '919876543210', toUri: 'sip:919876543210@127.0.0.1',
  trunk: 'test', callId: 'call-1', codec: { name: 'PCMU', clockRate: 8000 }, customParameters: {},
};
