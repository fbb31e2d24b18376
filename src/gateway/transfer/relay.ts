/**
 * `transfer.media: relay`: caller ↔ human audio through trunkgate's media engine. Each session's
 * decoded frames are played into the other at one shared PCM rate (the higher codec rate of the
 * two, so a G.722 caller and a PCMU human are transcoded through 16 kHz PCM and nothing is lost on
 * the wideband side), and RFC 4733 digits are passed on as digits.
 *
 * Where: when both sessions run on the same media worker (the human's leg is placed next to the
 * caller's, MediaSessionOptions.near), the worker forwards the frames itself, within its tick; else
 * this thread does. Either way session/forward.ts keeps each leg's play queue short, so a stall does
 * not add its length to the call's delay for good.
 */
import { forwardAudio, type DtmfEvent, type Forward, type MediaSession } from '../../media/index.js';

export interface RelayOptions {
  /** Most audio a leg's play queue may hold when a frame arrives, ms; above it the frame is dropped. Default 20 (one frame of slack). */
  maxBacklogMs?: number;
  /** A backlog of a frame or more that lasts this long loses one frame, ms. Default 1000. */
  drainAfterMs?: number;
}

export interface Relay {
  /** Stops relaying (the sessions stay open). */
  stop(): void;
  /** Where the audio is relayed: in the sessions' media worker, or in this thread. */
  readonly where: 'worker' | 'thread';
  /** Frames this thread dropped to keep the delay down, per direction (a worker's drops are not counted here). */
  readonly dropped: { aToB: number; bToA: number };
}

/** The PCM rate a session's codec delivers without resampling (G.722 is 16 kHz audio on an 8 kHz RTP clock). */
export function pcmRateOf(session: MediaSession): number {
  const c = session.negotiated.codec;
  if (c.name === 'G722') return 16000;
  if (c.name === 'opus') return 48000;
  return c.clockRate;
}

export function relayMedia(a: MediaSession, b: MediaSession, options: RelayOptions = {}): Relay {
  const rate = Math.max(pcmRateOf(a), pcmRateOf(b));
  a.setOutputRate(rate);
  b.setOutputRate(rate);
  let aToB: Forward | undefined;
  let bToA: Forward | undefined;
  let where: 'worker' | 'thread' = 'thread';
  if (a.forwardInWorker?.(b, options) === true) {
    if (b.forwardInWorker?.(a, options) === true) where = 'worker';
    else a.forwardInWorker(null);
  }
  if (where === 'thread') {
    aToB = forwardAudio(a, b, options);
    bToA = forwardAudio(b, a, options);
  }
  const dtmfAToB = (e: DtmfEvent): void => { if (!b.closed) b.sendDtmf(e.digit).catch(() => undefined); };
  const dtmfBToA = (e: DtmfEvent): void => { if (!a.closed) a.sendDtmf(e.digit).catch(() => undefined); };
  a.on('dtmf', dtmfAToB);
  b.on('dtmf', dtmfBToA);
  let stopped = false;
  return {
    where,
    stop() {
      if (stopped) return;
      stopped = true;
      if (where === 'worker') {
        a.forwardInWorker?.(null);
        b.forwardInWorker?.(null);
      }
      aToB?.stop();
      bToA?.stop();
      a.off('dtmf', dtmfAToB);
      b.off('dtmf', dtmfBToA);
    },
    get dropped() { return { aToB: aToB?.dropped ?? 0, bToA: bToA?.dropped ?? 0 }; },
  };
}
