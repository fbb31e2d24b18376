/** The SIP message layer: model, parser, serializer, typed headers, stream framing. */
export type * from './types.js';
export { SipParseError, type SipParseErrorCode } from './errors.js';
export { SipHeaders } from './sip-headers.js';
export { COMPACT_FORMS, LIST_HEADERS, canonicalHeaderName, headerKey, normalizeHeaderName } from './header-names.js';
export { SipRequest, SipResponse, SIP_VERSION, type SipMessage } from './message.js';
export { parseMessage, tryParseMessage, type ParseResult } from './parser.js';
export { StreamFramer, type StreamFramerOptions } from './framer.js';
export { parseUri, formatUri } from './uri.js';
export { parseNameAddr, parseNameAddrList, parseContact, formatNameAddr } from './name-addr.js';
export { parseVia, parseViaParm, formatVia } from './via.js';
export {
  parseCSeq, formatCSeq, parseMaxForwards, parseContentLength, parseContentType, formatContentType,
  parseOptionTags, parseReplaces, formatReplaces, parseSessionExpires, formatSessionExpires,
  parseReferTo, parseReferredBy, type ContentType, type Replaces, type SessionExpires,
} from './headers.js';
export {
  parseAuthChallenge, formatAuthChallenge, parseAuthCredentials, formatAuthCredentials,
  type AuthChallenge, type AuthCredentials,
} from './auth.js';
export { parseEvent, parseSubscriptionState, endsSubscription, type EventHeader, type SubscriptionState } from './events.js';
export { parseRSeq, formatRSeq, parseRAck, formatRAck, MAX_RSEQ, type RAck } from './rack.js';
export { optionTags, hasOptionTag, unsupportedRequired } from './option-tags.js';
export { parseMultipart, buildMultipart, type BodyPart, type MultipartInput } from './multipart.js';
export { createResponse, reasonPhrase, REASON_PHRASES, type CreateResponseOptions } from './response.js';
export { generateTag, generateBranch, generateCallId, BRANCH_MAGIC_COOKIE } from './ids.js';
export { splitList, parseParams, formatParams, quote, unquote, isToken } from './scan.js';
