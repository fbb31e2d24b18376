/**
 * A trunk's `outbound:` settings: where calls the gateway places go (outbound calls from the REST
 * API, transfers to phone numbers), with what credentials, caller ID and registration.
 */
import { z } from 'zod';

/** RFC 3261 §10.2.1: the registrar may shorten the expiry; 60 s is a common floor for carriers. */
const registration = z.object({
  /** Expires we ask for, seconds (the registrar's answer wins). */
  expires: z.number().int().min(1).default(3600),
  /** After a failed REGISTER (refused, timed out), try again after this many seconds. */
  retry_s: z.number().positive().default(30),
  /** The address-of-record's user part (default: username, else from_number). */
  user: z.string().min(1).optional(),
}).strict();

export const trunkOutboundSchema = z.object({
  /** The carrier's SIP address: host[:port] or a SIP URI. */
  proxy: z.string().min(1),
  /** Caller ID on calls the gateway places when the caller's own number is not passed through. */
  from_number: z.string().min(1).optional(),
  /** Digest credentials the carrier's 401/407 challenges are answered with (RFC 3261 §22.2, §22.3). */
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** REGISTER with the carrier (false: the carrier knows us by address). */
  register: z.union([z.literal(false), registration]).default(false),
  /**
   * Where the caller ID goes: `from` (the From header only), `pai` (also P-Asserted-Identity,
   * RFC 3325) or `rpid` (also Remote-Party-ID, draft-ietf-sip-privacy-04), as the carrier wants.
   */
  caller_id_header: z.enum(['from', 'pai', 'rpid']).default('from'),
  /** Ring time of outbound calls when the request gives none, seconds. */
  ring_timeout_s: z.number().positive().default(45),
}).strict()
  .refine((o) => (o.username === undefined) === (o.password === undefined), { message: 'username and password go together', path: ['password'] })
  .refine((o) => o.register === false || o.username !== undefined || o.register.user !== undefined || o.from_number !== undefined, { message: 'register needs a user: username, register.user or from_number', path: ['register'] });

export type TrunkOutboundConfig = z.output<typeof trunkOutboundSchema>;
