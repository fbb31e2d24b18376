import type { SipHeaders } from './sip-headers.js';
import { TrunkgateError } from '../../errors.js';

/** Stable machine-readable reasons a SIP message or header was rejected. */
export type SipParseErrorCode =
  | 'EMPTY'
  | 'NO_HEADER_END'
  | 'BAD_START_LINE'
  | 'BAD_VERSION'
  | 'BAD_METHOD'
  | 'BAD_STATUS'
  | 'BAD_REQUEST_URI'
  | 'BAD_HEADER'
  | 'BAD_HEADER_VALUE'
  | 'MISSING_HEADER'
  | 'DUPLICATE_HEADER'
  | 'BAD_URI'
  | 'BAD_NAME_ADDR'
  | 'BAD_VIA'
  | 'BAD_CSEQ'
  | 'CSEQ_METHOD_MISMATCH'
  | 'BAD_CONTENT_LENGTH'
  | 'CONTENT_LENGTH_MISMATCH'
  | 'MISSING_CONTENT_LENGTH'
  | 'BAD_MAX_FORWARDS'
  | 'BAD_CONTENT_TYPE'
  | 'BAD_AUTH'
  | 'BAD_MULTIPART'
  | 'MESSAGE_TOO_LARGE';

/**
 * The only error the message layer throws. `reason` is short and safe to use as the reason phrase
 * of a 400 response; `partialHeaders` holds the header fields that could be read, so the transport
 * can copy Via/From/To/Call-ID/CSeq into that 400 (RFC 3261 §8.2.6).
 */
export class SipParseError extends TrunkgateError<SipParseErrorCode> {
  readonly reason: string;
  isRequest: boolean;
  partialHeaders?: SipHeaders;

  constructor(code: SipParseErrorCode, reason: string, options: { isRequest?: boolean; partialHeaders?: SipHeaders } = {}) {
    super(code, `${code}: ${reason}`);
    this.reason = reason;
    this.isRequest = options.isRequest ?? false;
    if (options.partialHeaders) this.partialHeaders = options.partialHeaders;
  }
}
