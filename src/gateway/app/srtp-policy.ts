/**
 * A trunk's SRTP settings (config `srtp`, `srtp_suites`, `srtp_keys_without_tls`) turned into the
 * media layer's offer/answer options for one call. SDES puts the master keys in the SDP in clear
 * (RFC 4568 §8.3: "the SDP MUST be protected"), so unless the trunk allows otherwise, a call that
 * did not arrive over TLS gets no SRTP: `optional` falls back to plain RTP and `mandatory` refuses
 * the call with 488.
 */
import { SdpError } from '../../media/sdp/errors.js';
import type { NegotiatedMedia, SrtpNegotiationOptions } from '../../media/sdp/types.js';
import type { TrunkConfig } from '../config/schema.js';

/** Options for a call that arrived on `protocol` ('udp' | 'tcp' | 'tls', drachtio-srf's req.protocol). */
export function srtpForCall(trunk: Pick<TrunkConfig, 'srtp' | 'srtp_suites' | 'srtp_keys_without_tls'>, protocol: string | undefined): SrtpNegotiationOptions {
  if (trunk.srtp === 'off') return { policy: 'off' };
  const secureSignalling = protocol?.toLowerCase() === 'tls' || trunk.srtp_keys_without_tls;
  if (!secureSignalling) {
    if (trunk.srtp === 'mandatory') {
      throw new SdpError('SDP_SRTP_REQUIRED', `SRTP is mandatory on this trunk but the call arrived over ${protocol ?? 'an unknown transport'}; SDES keys are only exchanged over TLS (srtp_keys_without_tls: false)`);
    }
    return { policy: 'off' };
  }
  return { policy: trunk.srtp, suites: trunk.srtp_suites };
}

/** A re-offer or re-answer in a call: SRTP stays on with our key if the call has it (RFC 4568 §7.1.4). */
export function srtpForReoffer(current: Pick<NegotiatedMedia, 'srtp'>): SrtpNegotiationOptions {
  return current.srtp ? { policy: 'mandatory', localKey: current.srtp.localKey } : { policy: 'off' };
}
