/** Typed negotiation failures. The call layer answers all of them with 488 Not Acceptable Here. */

export class SdpError extends Error {
  /** RFC 3261 §21.4.26: the status the INVITE is rejected with. */
  readonly status = 488;
  constructor(readonly code: 'SDP_INVALID' | 'SDP_NO_AUDIO' | 'SDP_MEDIA_REJECTED' | 'MEDIA_NO_COMMON_CODEC' | 'SDP_SRTP_REQUIRED', message: string) {
    super(message);
    this.name = 'SdpError';
  }
}

/** None of our codecs is in the offer (or the answer picked none of ours). */
export class NoCommonCodecError extends SdpError {
  constructor(readonly offered: string[], readonly supported: string[]) {
    super('MEDIA_NO_COMMON_CODEC', `no common codec: offered [${offered.join(', ')}], supported [${supported.join(', ')}]`);
    this.name = 'NoCommonCodecError';
  }
}
