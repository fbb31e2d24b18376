/** Typed negotiation failures. The call layer answers all of them with 488 Not Acceptable Here. */
import { TrunkgateError } from '../../errors.js';

export type SdpErrorCode = 'SDP_INVALID' | 'SDP_NO_AUDIO' | 'SDP_MEDIA_REJECTED' | 'MEDIA_NO_COMMON_CODEC' | 'SDP_SRTP_REQUIRED';

export class SdpError extends TrunkgateError<SdpErrorCode> {
  /** RFC 3261 §21.4.26: the status the INVITE is rejected with. */
  readonly status = 488;
  constructor(code: SdpErrorCode, message: string) {
    super(code, message);
  }
}

/** None of our codecs is in the offer (or the answer picked none of ours). */
export class NoCommonCodecError extends SdpError {
  constructor(readonly offered: string[], readonly supported: string[]) {
    super('MEDIA_NO_COMMON_CODEC', `no common codec: offered [${offered.join(', ')}], supported [${supported.join(', ')}]`);
  }
}
