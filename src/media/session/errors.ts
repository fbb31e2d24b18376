export class MediaSessionError extends Error {
  constructor(readonly code: 'MEDIA_NO_TELEPHONE_EVENT' | 'MEDIA_SESSION_CLOSED' | 'MEDIA_PAYLOAD_UNSUPPORTED' | 'MEDIA_PLAY_FORMAT', message: string) {
    super(message);
    this.name = 'MediaSessionError';
  }
}

/** A session could not open its RTP/RTCP sockets (the leased port is held by another process). */
export class MediaSocketError extends Error {
  readonly code = 'MEDIA_SOCKET_FAILED';
  constructor(readonly port: number, override readonly cause: unknown) {
    super(`RTP port ${port} could not be opened: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'MediaSocketError';
  }
}
