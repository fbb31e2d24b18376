export class MediaSessionError extends Error {
  constructor(readonly code: 'MEDIA_NO_TELEPHONE_EVENT' | 'MEDIA_SESSION_CLOSED' | 'MEDIA_PAYLOAD_UNSUPPORTED' | 'MEDIA_PLAY_FORMAT', message: string) {
    super(message);
    this.name = 'MediaSessionError';
  }
}
