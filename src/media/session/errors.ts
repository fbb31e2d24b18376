export class MediaSessionError extends Error {
  constructor(readonly code: 'MEDIA_NO_TELEPHONE_EVENT' | 'MEDIA_SESSION_CLOSED', message: string) {
    super(message);
    this.name = 'MediaSessionError';
  }
}
