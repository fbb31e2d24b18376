/**
 * `media.rtp_timeout_s` / `media.hold_timeout_s` (issue 15 item 5): a caller that vanishes without
 * a BYE (network gone, carrier fault) would otherwise keep its call, agent and trunk channel until
 * the session timer runs out. 0 turns a timeout off.
 */
import { z } from 'zod';

export const mediaTimeoutFields = {
  /** No RTP from the far end of an answered leg for this long → BYE (seconds). */
  rtp_timeout_s: z.number().min(0).default(60),
  /** The same while the caller holds the call (a=sendonly/inactive, RFC 3264 §8.4): music on hold may be silent. */
  hold_timeout_s: z.number().min(0).default(3600),
};
