/**
 * What `io.transfer(target)` names, resolved into where the gateway sends the REFER or places the
 * human's leg: a name in `transfer_targets`, a SIP URI, a tel: URI or a phone number. Phone numbers
 * go through the trunk: to its `outbound.proxy` (with its credentials) or, without one, back to the
 * address the call came from; in a REFER they are written as the trunk's `transfer.uri_scheme` says
 * (some carriers refuse `sip:` for numbers, others `tel:`).
 */
import type { GatewayConfig, TrunkConfig } from '../config/schema.js';
import { normalizeNumber } from '../routing/numbers.js';
import { TrunkgateError } from '../../errors.js';
import type { SrtpNegotiationOptions } from '../../media/sdp/types.js';
import { legSrtpPolicy, signalledOverTls } from '../config/leg-srtp.js';

export class TransferTargetError extends TrunkgateError<'TRANSFER_TARGET_INVALID'> {
  constructor(readonly target: string, reason: string) {
    super('TRANSFER_TARGET_INVALID', `transfer target '${target}': ${reason}`);
  }
}

export interface ResolvedTarget {
  /** The config name, when the target was one. */
  name?: string;
  /** Request-URI of the INVITE the gateway sends for a bridge. */
  inviteUri: string;
  /** Where that INVITE goes when it is not the Request-URI's host (the trunk's carrier). */
  proxy?: string;
  auth?: { username: string; password: string };
  /** The Refer-To URI of a REFER (RFC 3515 §2.1), without angle brackets. */
  referTo: string;
  /** The number or user the human sees as the caller. */
  callerId: string;
  headers: Record<string, string>;
  timeoutSec: number;
  /** SRTP on the leg the gateway places (a bridge), from the target's `srtp` or the URI (config/leg-srtp.ts). */
  srtp: SrtpNegotiationOptions;
}

export interface TargetContext {
  config: Pick<GatewayConfig, 'transfer_targets'>;
  trunk: TrunkConfig;
  /** The caller's number (From user part): the default caller ID toward the human. */
  callerNumber: string;
  /** The carrier's address (the INVITE's source), where numbers go without `outbound.proxy`. */
  carrierAddress: string;
}

const NUMBER = /^\+?[0-9][0-9\s\-.()]{2,24}$/;
const DEFAULT_TIMEOUT_S = 30;

function numberUris(digits: string, ctx: TargetContext): Pick<ResolvedTarget, 'inviteUri' | 'referTo' | 'proxy' | 'auth'> {
  const e164 = normalizeNumber(digits, { countryCode: ctx.trunk.country_code, nationalPrefix: ctx.trunk.national_prefix });
  const user = /^\d+$/.test(e164) && (digits.trim().startsWith('+') || ctx.trunk.country_code) ? `+${e164}` : e164;
  const outbound = ctx.trunk.outbound;
  const host = outbound ? hostOf(outbound.proxy) : ctx.carrierAddress;
  const inviteUri = `sip:${user}@${host}`;
  return {
    inviteUri,
    referTo: ctx.trunk.transfer.uri_scheme === 'tel' ? `tel:${user}` : inviteUri,
    ...(outbound ? { proxy: /^sips?:/i.test(outbound.proxy) ? outbound.proxy : `sip:${outbound.proxy}` } : {}),
    ...(outbound?.username && outbound.password ? { auth: { username: outbound.username, password: outbound.password } } : {}),
  };
}

function hostOf(proxy: string): string {
  const m = /^sips?:(?:[^@]*@)?([^;>]+)/i.exec(proxy);
  return m ? m[1]! : proxy;
}

function callerIdFor(setting: string, ctx: TargetContext): string {
  if (setting === 'caller') return ctx.callerNumber;
  if (setting === 'gateway') return ctx.trunk.outbound?.from_number ?? 'trunkgate';
  return setting;
}

/**
 * SRTP toward a number placed through the trunk: the target's `srtp`, else the trunk's; keys go only
 * when the trunk's outbound proxy is reached over TLS or the target or trunk allows keys without it
 * (RFC 4568 §8.3) — `optional` then falls back to plain RTP, `mandatory` cannot be placed.
 */
function numberSrtp(target: string, named: TargetContext['config']['transfer_targets'][string] | undefined, ctx: TargetContext): SrtpNegotiationOptions {
  const policy = named?.srtp ?? ctx.trunk.srtp;
  if (policy === 'off') return { policy: 'off' };
  const proxy = ctx.trunk.outbound?.proxy;
  if (!(proxy && signalledOverTls(proxy)) && !named?.srtp_keys_without_tls && !ctx.trunk.srtp_keys_without_tls) {
    if (policy === 'mandatory') throw new TransferTargetError(target, 'SRTP is mandatory but the trunk\'s outbound proxy is not reached over TLS (sips: or ;transport=tls) and srtp_keys_without_tls is not set');
    return { policy: 'off' };
  }
  return { policy, suites: ctx.trunk.srtp_suites };
}

export function resolveTarget(target: string, ctx: TargetContext): ResolvedTarget {
  const t = target.trim();
  const named = ctx.config.transfer_targets[t];
  const base = {
    callerId: callerIdFor(named?.caller_id ?? 'caller', ctx),
    headers: { ...named?.headers },
    timeoutSec: named?.timeout_s ?? DEFAULT_TIMEOUT_S,
    ...(named ? { name: t } : {}),
  };
  const uri = named?.uri ?? t;
  if (/^sips?:/i.test(uri)) {
    if (!/^sips?:[^\s<>"]+$/i.test(uri)) throw new TransferTargetError(target, 'not a valid SIP URI');
    // A named target's srtp was checked against its URI at load (config/leg-srtp.ts); an ad-hoc sips: URI gets mandatory.
    const policy = legSrtpPolicy(uri, named?.srtp);
    return { ...base, inviteUri: uri, referTo: uri, srtp: policy === 'off' ? { policy } : { policy, suites: ctx.trunk.srtp_suites } };
  }
  if (/^tel:/i.test(uri)) return { ...base, ...numberUris(uri.slice(4), ctx), srtp: numberSrtp(target, named, ctx) };
  if (NUMBER.test(uri)) return { ...base, ...numberUris(uri, ctx), srtp: numberSrtp(target, named, ctx) };
  const names = Object.keys(ctx.config.transfer_targets);
  throw new TransferTargetError(target, `not a name in transfer_targets (${names.length ? names.join(', ') : 'none defined'}), a SIP URI or a phone number`);
}
