/**
 * SRTP on legs the gateway places itself (transfer targets, SIP routes): the config fields both
 * share, and the check that SDES keys only travel over TLS unless the entry says otherwise
 * (RFC 4568 §8.3). A `sips:` URI asks for TLS on every hop (RFC 3261 §26.2.1), so without an
 * explicit `srtp` it gets `mandatory`.
 */
import { z } from 'zod';

export const legSrtpFields = {
  /** SRTP toward this leg: off, optional (RTP/AVP with a=crypto), mandatory (RTP/SAVP); default: mandatory for sips:, else off. */
  srtp: z.enum(['off', 'optional', 'mandatory']).optional(),
  /** Allow SDES keys on a leg that is not signalled over TLS (sips: or ;transport=tls). */
  srtp_keys_without_tls: z.boolean().default(false),
};

/** The leg is signalled over TLS: a sips: URI, or transport=tls (RFC 3261 §26.2, §19.1.1). */
export function signalledOverTls(uri: string): boolean {
  return /^sips:/i.test(uri) || /;transport=tls\b/i.test(uri);
}

/** The policy a leg to `uri` gets from its entry's `srtp` (undefined: mandatory for sips:, else off). */
export function legSrtpPolicy(uri: string, srtp: 'off' | 'optional' | 'mandatory' | undefined): 'off' | 'optional' | 'mandatory' {
  return srtp ?? (/^sips:/i.test(uri) ? 'mandatory' : 'off');
}

/** A config issue when SRTP is asked for on a URI not reached over TLS without srtp_keys_without_tls, else undefined. */
export function legSrtpIssue(uri: string, entry: { srtp?: 'off' | 'optional' | 'mandatory' | undefined; srtp_keys_without_tls: boolean }): string | undefined {
  if (legSrtpPolicy(uri, entry.srtp) === 'off' || entry.srtp_keys_without_tls || !/^sips?:/i.test(uri) || signalledOverTls(uri)) return undefined;
  return `srtp: ${entry.srtp} sends SDES keys in clear text to ${uri}: use a sips: URI or ;transport=tls, or set srtp_keys_without_tls: true`;
}
