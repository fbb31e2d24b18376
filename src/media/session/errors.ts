import { TrunkgateError } from '../../errors.js';
export type MediaSessionErrorCode = 'MEDIA_NO_TELEPHONE_EVENT' | 'MEDIA_SESSION_CLOSED' | 'MEDIA_PAYLOAD_UNSUPPORTED' | 'MEDIA_PLAY_FORMAT';
export class MediaSessionError extends TrunkgateError<MediaSessionErrorCode> {
  constructor(code: MediaSessionErrorCode, message: string) {
    super(code, message);
  }
}

/** A session could not open its RTP/RTCP sockets (the leased port is held by another process). */
export class MediaSocketError extends TrunkgateError<'MEDIA_SOCKET_FAILED'> {
  constructor(readonly port: number, override readonly cause: unknown) {
    super('MEDIA_SOCKET_FAILED', `RTP port ${port} could not be opened: ${(cause as Error)?.message ?? String(cause)}`);
  }

  /** The port is bound by someone else (EADDRINUSE): another pair may well be free. */
  get portTaken(): boolean {
    return (this.cause as { code?: unknown } | undefined)?.code === 'EADDRINUSE';
  }
}
