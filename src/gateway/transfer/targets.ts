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
    return { ...base, inviteUri: uri, referTo: uri };
  }
  if (/^tel:/i.test(uri)) return { ...base, ...numberUris(uri.slice(4), ctx) };
  if (NUMBER.test(uri)) return { ...base, ...numberUris(uri, ctx) };
  const names = Object.keys(ctx.config.transfer_targets);
  throw new TransferTargetError(target, `not a name in transfer_targets (${names.length ? names.join(', ') : 'none defined'}), a SIP URI or a phone number`);
}
