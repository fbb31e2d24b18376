/**
 * MediaEngine: what the call layer holds once per process — the RTP port range, the local media
 * address and codec preferences — and uses to turn an offer into an answer plus a running
 * MediaSession (or to make an offer for a late-offer INVITE).
 *
 *   const engine = new MediaEngine({ localAddress: '203.0.113.5', ports: { min: 30000, max: 39999 }, codecs: ['PCMU', 'PCMA', 'G722', 'opus'] });
 *   const { answer, session } = await engine.answer(req.body);     // early offer → 200 OK body
 *   const pending = engine.offer();                                 // late offer → 200 OK body
 *   const session = await pending.accept(ackBody);                  // … ACK carries the answer
 */
import type { Logger } from '../../log.js';
import { PortAllocator, type PortLease } from '../ports.js';
import { applyAnswer, createOffer, negotiateAnswer } from '../sdp/negotiate.js';
import type { CodecName, MediaDirection, SdpAnswer, SdpOffer, SrtpNegotiationOptions } from '../sdp/types.js';
import { MediaSocketError } from './errors.js';
import { createMediaSession } from './session.js';
import type { MediaSession, MediaSessionOptions } from './types.js';

/** Per-session options the call layer passes with each answer/offer. */
export type SessionStartOptions = Pick<MediaSessionOptions, 'id' | 'logger' | 'tap' | 'near' | 'sourceCheck'>;

export interface MediaEngineOptions {
  /** Address bound for RTP (and written in SDP c= unless `sdpAddress` is set). */
  localAddress: string;
  /** Address written in SDP c= when it differs from the bound one (a public address before NAT). */
  sdpAddress?: string;
  ports: { min: number; max: number } | PortAllocator;
  /** Codec preference, most preferred first (default PCMU, PCMA, G722, opus). */
  codecs?: CodecName[];
  dtmf?: boolean;
  ptime?: number;
  logger?: Logger;
  /** Defaults for every session (idle filler, jitter target …). */
  session?: Pick<MediaSessionOptions, 'idle' | 'jitterTargetMs' | 'latchPackets' | 'rtcpIntervalMs'>;
  /** Where sessions run (default: this thread). E.g. `(o) => pool.create(o)` for a MediaWorkerPool. */
  createSession?: (options: MediaSessionOptions) => Promise<MediaSession>;
}

export interface PendingOffer {
  offer: SdpOffer;
  /** Apply the peer's answer (from the ACK or the 200 OK) and start the session. */
  accept(answerSdp: string, options?: SessionStartOptions): Promise<MediaSession>;
  /** The call failed before the answer: give the port back. */
  cancel(): void;
}

/** Port pairs an answer tries when the ones it leased are held by another process. */
const BIND_ATTEMPTS = 4;

export class MediaEngine {
  readonly ports: PortAllocator;
  readonly #opts: MediaEngineOptions;

  constructor(options: MediaEngineOptions) {
    this.#opts = options;
    this.ports = options.ports instanceof PortAllocator ? options.ports : new PortAllocator(options.ports);
  }

  get codecs(): CodecName[] {
    return this.#opts.codecs ?? ['PCMU', 'PCMA', 'G722', 'opus'];
  }

  /**
   * Answer an offer and start the session. Throws NoCommonCodecError / SdpError (→ 488),
   * PortExhaustedError (→ 503) or MediaSocketError (the port could not be bound); the port is
   * released on any failure.
   */
  async answer(offerSdp: string, options: SessionStartOptions & { codecs?: CodecName[]; hold?: boolean; srtp?: SrtpNegotiationOptions } = {}): Promise<{ answer: SdpAnswer; session: MediaSession }> {
    // The answer is not sent yet, so a pair another process holds (the range overlaps the
    // system's ephemeral ports, say) costs a retry on the next pair, not the call; the held pair
    // goes to the back of the free list like any released one.
    for (let attempt = 1; ; attempt++) {
      const lease = this.ports.allocate();
      try {
        const answer = negotiateAnswer(offerSdp, {
          codecs: options.codecs ?? this.codecs, localAddress: this.#sdpAddress, localPort: lease.port,
          dtmf: this.#opts.dtmf ?? true, ...(this.#opts.ptime !== undefined ? { ptime: this.#opts.ptime } : {}), ...(options.hold ? { hold: true } : {}),
          ...(options.srtp ? { srtp: options.srtp } : {}),
        });
        const session = await this.#start(lease, answer, options);
        return { answer, session };
      } catch (err) {
        lease.release();
        if (!(err instanceof MediaSocketError && err.portTaken && attempt < BIND_ATTEMPTS)) throw err;
        (options.logger ?? this.#opts.logger)?.warn({ event: 'media_port_taken', port: err.port, attempt }, `RTP port ${err.port} is held by another process (EADDRINUSE): trying the next pair of the range`);
      }
    }
  }

  /** Make an offer (late-offer INVITE, answered in the ACK). */
  offer(options: { direction?: MediaDirection; codecs?: CodecName[]; srtp?: SrtpNegotiationOptions } = {}): PendingOffer {
    const lease = this.ports.allocate();
    const offer = createOffer({
      codecs: options.codecs ?? this.codecs, localAddress: this.#sdpAddress, localPort: lease.port,
      dtmf: this.#opts.dtmf ?? true, ...(this.#opts.ptime !== undefined ? { ptime: this.#opts.ptime } : {}),
      ...(options.direction ? { direction: options.direction } : {}),
      ...(options.srtp ? { srtp: options.srtp } : {}),
    });
    return {
      offer,
      accept: async (answerSdp, o = {}) => {
        try {
          return await this.#start(lease, applyAnswer(offer, answerSdp), o);
        } catch (err) {
          lease.release();
          throw err;
        }
      },
      cancel: () => lease.release(),
    };
  }

  get #sdpAddress(): string {
    return this.#opts.sdpAddress ?? this.#opts.localAddress;
  }

  async #start(lease: PortLease, negotiated: SdpAnswer | ReturnType<typeof applyAnswer>, options: SessionStartOptions): Promise<MediaSession> {
    try {
      return await (this.#opts.createSession ?? createMediaSession)({
        lease, negotiated, localAddress: this.#opts.localAddress,
        ...this.#opts.session,
        ...(this.#opts.logger ? { logger: this.#opts.logger } : {}),
        ...options,
      });
    } catch (err) {
      throw new MediaSocketError(lease.port, err);
    }
  }
}
