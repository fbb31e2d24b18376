import { TrunkgateError } from '../../errors.js';

/** Why an SRTP/SRTCP packet was refused (RFC 3711 §3.3 steps 3–5, §3.4). */
export type SrtpRejection =
  /** Too short, not version 2, or its header runs past the packet. */
  | 'malformed'
  /** The authentication tag does not match (tampered, or the wrong key). */
  | 'auth'
  /** Already received, or behind the replay window. */
  | 'replay';

/** A bad key or crypto attribute (SDES, configuration). */
export class SrtpKeyError extends TrunkgateError<'SRTP_BAD_KEY' | 'SRTP_UNKNOWN_SUITE'> {
  constructor(code: 'SRTP_BAD_KEY' | 'SRTP_UNKNOWN_SUITE', message: string) {
    super(code, message);
  }
}
