/**
 * The MediaSession API: one object per call that owns the RTP endpoint (symmetric RTP, RTCP),
 * the codec, the jitter buffer, resampling, pacing and RFC 4733 DTMF. The gateway builds calls
 * on this interface; agents only see `audio`/`dtmf`/`mark` events and `play`/`mark`/`clear`.
 *
 * Typical use (early offer):
 *   const lease = ports.allocate();
 *   const answer = negotiateAnswer(offerSdp, { codecs, localAddress, localPort: lease.port });
 *   const session = await createMediaSession({ lease, negotiated: answer, localAddress });
 *   session.setOutputRate(16000);
 *   session.on('audio', (f) => agent.push(f.samples, f.sampleRate));
 *   agent.on('speech', (pcm, rate) => session.play(pcm, rate));
 */
import type { SourceCheck } from '../rtp/latch.js';
import type { Logger } from '../../log.js';
import type { PortLease } from '../ports.js';
import type { MediaTicker } from '../rtp/clock.js';
import type { MediaDirection, NegotiatedMedia, RtpAddress } from '../sdp/types.js';

/** Linear 16-bit mono PCM. */
export interface AudioFrame {
  samples: Int16Array;
  sampleRate: number;
}

/**
 * One received frame as the codec carried it (the RTP payload, copied: the listener owns it), for
 * agents that forward G.711 untouched (`setPlayFormat('payload')`). Emitted per ptime, like
 * `audio`, only while someone listens; a lost frame is filled with the codec's silence payload.
 */
export interface PayloadFrame {
  payload: Uint8Array;
}

/** What `play` queues: PCM (default) or, for PCMU/PCMA, codec payload that leaves as it is. */
export type PlayFormat = 'pcm' | 'payload';

export interface DtmfEvent {
  /** 0-9 * # A-D (RFC 4733 §3.2 events 0–15). */
  digit: string;
  durationMs: number;
}

/** Counters since the session started. Loss and jitter per RFC 3550 §6.4.1 / A.3 / A.8. */
export interface MediaStats {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** Packets from sources other than the latched one, or otherwise invalid (RTP injection). */
  packetsRejected: number;
  /** Expected minus received, cumulative (may be negative with duplicates). */
  packetsLost: number;
  /** Fraction lost in the last RTCP interval, 0..1. */
  fractionLost: number;
  /** Interarrival jitter in ms. */
  jitterMs: number;
  /** Frames that left more than half a ptime after their deadline (event loop or CPU starved). */
  lateFrames: number;
  /** Frames sent in total by the pacer (audio + silence). */
  framesSent: number;
  /** Frames the jitter buffer could not supply at playout time (concealed or skipped). */
  underruns: number;
  /** The source symmetric RTP latched onto, if any. */
  latchedSource?: RtpAddress;
  /** Round-trip time from the peer's last RTCP report (LSR/DLSR), ms. */
  rttMs?: number;
  /** The peer's view of our stream, from its last RTCP report. */
  remoteFractionLost?: number;
  remotePacketsLost?: number;
  remoteJitterMs?: number;
  dtmfIn: number;
  dtmfOut: number;
}

/** Events as tuples (mediasoup style). Listener throws are contained (safeEmit). */
export interface MediaSessionEvents {
  /** One decoded frame per ptime, at the rate set with setOutputRate (default: codec rate). */
  audio: [frame: AudioFrame];
  /** One frame's codec payload per ptime, undecoded (only while listened to). */
  payload: [frame: PayloadFrame];
  dtmf: [event: DtmfEvent];
  /** A mark queued with mark(name): all audio before it has been sent, or clear() dropped it. */
  mark: [name: string, info: { cleared: boolean }];
  /** Emitted every RTCP interval with the current counters. */
  stats: [stats: MediaStats];
  close: [reason: string];
}

export interface MediaSession {
  readonly id: string;
  readonly localPort: number;
  readonly negotiated: NegotiatedMedia;
  readonly closed: boolean;

  on<K extends keyof MediaSessionEvents>(event: K, listener: (...args: MediaSessionEvents[K]) => void): this;
  once<K extends keyof MediaSessionEvents>(event: K, listener: (...args: MediaSessionEvents[K]) => void): this;
  off<K extends keyof MediaSessionEvents>(event: K, listener: (...args: MediaSessionEvents[K]) => void): this;

  /** Sample rate of `audio` events (resampled from the codec rate). */
  setOutputRate(rate: number): void;
  /** Queue PCM for sending: resampled to the codec rate and split into ptime frames. */
  play(pcm: Int16Array, sampleRate: number): void;
  /**
   * 'payload' (PCMU/PCMA only, else MediaSessionError MEDIA_PAYLOAD_UNSUPPORTED): the send queue
   * holds codec payload, queued with `playPayload` and sent as is; PCM given to `play` is then
   * encoded as it is queued. A change of format drops what is queued (like `clear`).
   */
  setPlayFormat(format: PlayFormat): void;
  /** Queue codec payload (one octet per sample for G.711), split into ptime frames; needs format 'payload'. */
  playPayload(payload: Uint8Array): void;
  /** Queue a mark: reported by the `mark` event once everything queued before it has been sent. */
  mark(name: string): void;
  /** Barge-in: drop all queued audio; pending marks are reported with `cleared: true`. */
  clear(): void;
  /** Send digits as RFC 4733 events (needs a negotiated telephone-event); resolves when sent. */
  sendDtmf(digits: string, options?: { durationMs?: number; gapMs?: number }): Promise<void>;
  /**
   * A re-INVITE changed the peer: a new negotiation result, the peer's SDP text, or a bare address.
   * Resets symmetric-RTP latching to the new address.
   */
  updateRemote(update: NegotiatedMedia | string | RtpAddress): void;
  /**
   * Our media direction (RFC 3264 §8.4): true = hold → `inactive` (no audio sent, no `audio`
   * events; RTP timestamps keep running), false = `sendrecv`; or an explicit direction. The SDP for
   * the re-INVITE is the caller's (createOffer with the same direction and the session's origin).
   */
  setDirection(hold: boolean | MediaDirection): void;
  /** Queued audio not sent yet, in ms. */
  readonly queuedMs: number;
  /**
   * Sessions on a media worker: forward this session's decoded audio to `to` inside the worker
   * (session/forward.ts), when `to` runs on the same worker; returns false otherwise (the caller
   * then forwards in its own thread). `to: null` stops it.
   */
  forwardInWorker?(to: MediaSession | null, options?: { maxBacklogMs?: number; drainAfterMs?: number }): boolean;
  stats(): MediaStats;
  /** Idempotent: sends RTCP BYE, closes the socket, releases the port, emits `close`. */
  close(reason?: string): Promise<void>;
}

/** Packet tap for tests and recording: every RTP/RTCP datagram in or out. */
export type PacketTap = (direction: 'in' | 'out', packet: Buffer, peer: RtpAddress) => void;

/**
 * A session's settings that are plain data: what a media worker receives to create it, as they
 * are (MediaSessionOptions adds what lives in the calling thread: lease, clock, logger, tap …).
 */
export interface MediaSessionSettings {
  negotiated: NegotiatedMedia;
  /** Address to bind (default 127.0.0.1 in tests; the host's media address in production). */
  localAddress: string;
  /** What to send when nothing is queued: encoded silence (default), low comfort noise, or nothing. */
  idle?: 'silence' | 'comfort-noise' | 'none';
  /** Jitter buffer target depth in ms (default 40). */
  jitterTargetMs?: number;
  /** Consecutive packets from one source needed before latching (default 3). */
  latchPackets?: number;
  /** 'latch' (default): symmetric RTP latching; 'strict': RTP and RTCP only from the SDP's addresses (src/media/rtp/latch.ts). */
  sourceCheck?: SourceCheck;
  /** RTCP report interval in ms (default 5000, RFC 3550 §6.2 minimum). */
  rtcpIntervalMs?: number;
  /** Call-ID or other identifier for logs (default random). */
  id?: string;
}

export interface MediaSessionOptions extends MediaSessionSettings {
  /** The port to bind (released on close). */
  lease: PortLease;
  /** Shared pacing clock; default: the process-wide one (one timer drives all sessions). */
  clock?: MediaTicker;
  logger?: Logger;
  tap?: PacketTap;
  /** Run on the same media worker as this session, if it runs on one (a bridge's other leg). */
  near?: MediaSession;
  /**
   * The samples of an `audio` frame are valid only while the event runs (every listener copies
   * what it keeps), so the session decodes each frame into one reused buffer instead of a new
   * array. The media worker sets it: it copies each frame into its batch at once. Default false:
   * listeners own the frames they get.
   */
  transientAudio?: boolean;
}
