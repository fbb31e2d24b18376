/**
 * What the caller hears while a transfer rings the human: a ringback tone made here (ITU-T E.180:
 * 400 Hz + 450 Hz, 0.4 s on, 0.2 s off, 0.4 s on, 2 s off, the common "ring ring" cadence; or the
 * North American 440 + 480 Hz, 2 s on, 4 s off), or a hold file looped. Queued one cycle at a time
 * on the caller's session, refilled by a mark, so stopping it drops at most one cycle.
 */
import { readFile } from 'node:fs/promises';
import type { MediaSession } from '../../media/index.js';
import { readWav, type PcmAudio } from '../../agents/builtin/wav.js';

const RATE = 8000;

/** One cadence cycle of a dual-tone ringback at 8 kHz, −16 dBFS per tone. */
export function ringbackCycle(style: 'uk' | 'us' = 'uk'): Int16Array {
  const [f1, f2, pattern] = style === 'us' ? [440, 480, [[2, true], [4, false]] as const] : [400, 450, [[0.4, true], [0.2, false], [0.4, true], [2, false]] as const];
  const total = pattern.reduce((n, [s]) => n + Math.round(s * RATE), 0);
  const out = new Int16Array(total);
  const amp = 32767 * 10 ** (-16 / 20);
  let i = 0;
  for (const [seconds, on] of pattern) {
    const n = Math.round(seconds * RATE);
    for (let k = 0; k < n; k++, i++) {
      if (on) out[i] = Math.round(amp * (Math.sin((2 * Math.PI * f1 * i) / RATE) + Math.sin((2 * Math.PI * f2 * i) / RATE)) / 2);
    }
  }
  return out;
}

/** Mono PCM from a WAV file (stereo is mixed down). */
export async function loadHoldAudio(path: string): Promise<PcmAudio> {
  return readWav(await readFile(path));
}

export interface Loop {
  stop(): void;
}

let loopIds = 0;

/** Plays `audio` to the session over and over until stopped (then drops what is queued). */
export function loopAudio(session: MediaSession, audio: PcmAudio): Loop {
  const mark = `trunkgate:loop:${++loopIds}`;
  let stopped = false;
  const queue = (): void => {
    if (stopped || session.closed) return;
    session.play(audio.samples, audio.sampleRate);
    session.mark(mark);
  };
  const onMark = (name: string, info: { cleared: boolean }): void => {
    if (name === mark && !info.cleared) queue();
  };
  session.on('mark', onMark);
  queue();
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      session.off('mark', onMark);
      if (!session.closed) session.clear();
    },
  };
}
