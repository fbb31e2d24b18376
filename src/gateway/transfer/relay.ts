/**
 * `transfer.media: relay`: caller ↔ human audio through trunkgate's media engine. Each session's
 * decoded frames are played into the other at one shared PCM rate (the higher codec rate of the
 * two, so a G.722 caller and a PCMU human are transcoded through 16 kHz PCM and nothing is lost on
 * the wideband side), and RFC 4733 digits are passed on as digits.
 */
import type { AudioFrame, DtmfEvent, MediaSession } from '../../media/index.js';

export interface Relay {
  /** Stops relaying (the sessions stay open). */
  stop(): void;
}

/** The PCM rate a session's codec delivers without resampling (G.722 is 16 kHz audio on an 8 kHz RTP clock). */
export function pcmRateOf(session: MediaSession): number {
  const c = session.negotiated.codec;
  if (c.name === 'G722') return 16000;
  if (c.name === 'opus') return 48000;
  return c.clockRate;
}

export function relayMedia(a: MediaSession, b: MediaSession): Relay {
  const rate = Math.max(pcmRateOf(a), pcmRateOf(b));
  a.setOutputRate(rate);
  b.setOutputRate(rate);
  const aToB = (f: AudioFrame): void => { if (!b.closed) b.play(f.samples, f.sampleRate); };
  const bToA = (f: AudioFrame): void => { if (!a.closed) a.play(f.samples, f.sampleRate); };
  const dtmfAToB = (e: DtmfEvent): void => { if (!b.closed) b.sendDtmf(e.digit).catch(() => undefined); };
  const dtmfBToA = (e: DtmfEvent): void => { if (!a.closed) a.sendDtmf(e.digit).catch(() => undefined); };
  a.on('audio', aToB);
  b.on('audio', bToA);
  a.on('dtmf', dtmfAToB);
  b.on('dtmf', dtmfBToA);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      a.off('audio', aToB);
      b.off('audio', bToA);
      a.off('dtmf', dtmfAToB);
      b.off('dtmf', dtmfBToA);
    },
  };
}
